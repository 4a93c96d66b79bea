import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { incidentRef } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'resolve',
  description: 'Resolve the incident: impact is over',
  options: z.object({}),
  permission: 'anyone',
  incident: 'required',
  async execute(ctx) {
    const incident = await ctx.services.incidents.changeStatus(ctx.incident, 'resolved', ctx.actor);
    // The channel and the announcement channel hear of it from the use case, as for the buttons.
    return ephemeral(`${incidentRef(incident)} resolved.`);
  },
});
