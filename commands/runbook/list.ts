import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { plural } from '../../src/core/index.ts';
import { alertnames } from '../../src/runbooks/schema.ts';

export default defineCommand({
  group: 'runbook',
  name: 'list',
  description: 'The runbooks and the alerts each one matches',
  options: z.object({}),
  examples: ['/runbook list'],
  permission: 'anyone',
  incident: 'none',
  async execute(ctx) {
    const { runbooks } = ctx.services;
    if (runbooks.length === 0) return ephemeral('No runbooks are loaded (runbooks/*.yml).');
    const lines = [...runbooks]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => `• \`${r.name}\` ${r.title}: ${alertnames(r).join(', ')}`);
    const header = `📘 ${plural(runbooks.length, 'runbook')}`;
    return ephemeral({
      text: `${header}: ${runbooks.map((r) => r.name).join(', ')}`,
      header,
      sections: [lines.join('\n')],
      context: ['/runbook show <name> for one; /runbook run <name> <node…> in an incident channel runs it.'],
    });
  },
});
