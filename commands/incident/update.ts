import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { textOption } from '../../src/commands/options.ts';
import { incidentRef } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'update',
  description: 'Post a status update: in the channel, in the announcement channel and on the card',
  options: z.object({ text: textOption('update').describe('What changed, what is next') }),
  positional: ['text'],
  examples: ['/incident update Drained gpu-node-5; error rate back under 1%. Next update 14:30.'],
  permission: 'anyone',
  incident: 'required',
  async execute(ctx, o) {
    const incident = await ctx.services.incidents.postUpdate(ctx.incident, o.text, ctx.actor);
    return ephemeral(`Update posted for ${incidentRef(incident)}.`);
  },
});
