import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { resolvedReply, resolveIncident } from '../../src/incidents/resolution.ts';

export default defineCommand({
  group: 'incident',
  name: 'resolve',
  description: 'Resolve the incident: impact is over',
  options: z.object({
    requests: z
      .enum(['cancel', 'keep'])
      .optional()
      .describe('Mitigation requests still waiting for approval: cancel them, or keep them open'),
  }),
  examples: ['/incident resolve', '/incident resolve --requests cancel'],
  permission: 'anyone',
  incident: 'required',
  async execute(ctx, o) {
    // Requests still waiting and no --requests: the reply asks, with a button for each answer.
    const r = await resolveIncident(ctx.services, ctx.incident, ctx.actor, o.requests);
    // The channel and the announcement channel hear of it from the use case, as for the buttons.
    return ephemeral('asked' in r ? r.asked : resolvedReply(r));
  },
});
