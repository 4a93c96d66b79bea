import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { closedReply, closeIncident } from '../../src/incidents/resolution.ts';

export default defineCommand({
  group: 'incident',
  name: 'close',
  description: 'Close a resolved incident (final; archives the channel when configured)',
  options: z.object({}),
  permission: 'commander',
  incident: 'required',
  async execute(ctx) {
    // Requests still waiting are cancelled first; the channel notice is posted before archiving.
    const { incident, cancelled } = await closeIncident(ctx.services, ctx.incident, ctx.actor);
    return ephemeral(closedReply(incident, cancelled));
  },
});
