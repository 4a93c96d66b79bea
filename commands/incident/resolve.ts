import { z } from 'zod';
import { inChannel } from '../../src/chat/message.ts';
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
    return inChannel(
      `✅ ${incidentRef(incident)} resolved by ${ctx.chat.mention(ctx.actor.id)}. Close it with /incident close once the follow-ups are written down.`,
      [ctx.actor.id],
    );
  },
});
