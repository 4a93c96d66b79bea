import { z } from 'zod';
import { inChannel } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { incidentRef } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'mitigated',
  description: 'Mark the impact as mitigated (the fix may still be pending)',
  options: z.object({}),
  permission: 'anyone',
  incident: 'required',
  async execute(ctx) {
    const incident = await ctx.services.incidents.changeStatus(ctx.incident, 'mitigated', ctx.actor);
    return inChannel(`🩹 ${incidentRef(incident)} marked mitigated by ${ctx.chat.mention(ctx.actor.id)}.`, [
      ctx.actor.id,
    ]);
  },
});
