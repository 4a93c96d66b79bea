import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { textOption } from '../../src/commands/options.ts';

export default defineCommand({
  group: 'incident',
  name: 'note',
  description: 'Add a note to the timeline without posting it to everyone',
  options: z.object({ text: textOption('note').describe('The note') }),
  positional: ['text'],
  examples: ['/incident note Customer ticket #4411 looks related'],
  permission: 'anyone',
  incident: 'required',
  async execute(ctx, o) {
    const entry = await ctx.services.incidents.addNote(ctx.incident, o.text, ctx.actor);
    return ephemeral(`Noted on the timeline (entry #${entry.id}).`);
  },
});
