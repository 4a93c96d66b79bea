import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { usage } from '../../src/commands/option-spec.ts';
import { BotError } from '../../src/core/index.ts';

/** Help is built from the command definitions, so it cannot drift from them. */
export default defineCommand({
  group: 'incident',
  name: 'help',
  description: 'List the commands, or show one command’s options',
  options: z.object({ command: z.string().trim().optional().describe('A command name, e.g. declare') }),
  positional: ['command'],
  permission: 'anyone',
  incident: 'none',
  async execute(ctx, o) {
    const all = ctx.services.commands;
    if (o.command) {
      const wanted = o.command.replace(/^\//, '').split(/\s+/);
      const name = wanted.at(-1)!;
      const def = all.find((c) => c.name === name && (wanted.length === 1 || c.group === wanted[0]));
      if (!def) {
        throw new BotError('bot.command.unknown', `There is no command "${o.command}".`, {
          hint: 'See them all with /incident help.',
        });
      }
      const lines = [`*/${def.group} ${def.name}*: ${def.description}`, `Usage: \`${usage(def)}\``];
      for (const ex of def.examples ?? []) lines.push(`Example: \`${ex}\``);
      return ephemeral(lines.join('\n'));
    }
    const groups = [...new Set(all.map((c) => c.group))];
    const sections = groups.map((g) =>
      all
        .filter((c) => c.group === g)
        .map((c) => `\`/${c.group} ${c.name}\` ${c.description}`)
        .join('\n'),
    );
    return ephemeral({
      text: 'incident-bot commands',
      header: 'incident-bot commands',
      sections,
      context: ['Details of one: /incident help <command>. Options go after the words: --severity SEV2.'],
    });
  },
});
