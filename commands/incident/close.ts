import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { incidentRef } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'close',
  description: 'Close a resolved incident (final; archives the channel when configured)',
  options: z.object({}),
  permission: 'commander',
  incident: 'required',
  async execute(ctx) {
    const incident = await ctx.services.incidents.changeStatus(ctx.incident, 'closed', ctx.actor);
    // The channel notice is posted by the service before the channel is archived.
    return ephemeral(`${incidentRef(incident)} closed.`);
  },
});
