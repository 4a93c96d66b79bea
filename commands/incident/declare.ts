import { ephemeral, inChannel } from '../../src/chat/message.ts';
import { declareOptions } from '../../src/commands/declare-options.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { incidentRef } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'declare',
  description: 'Declare an incident: opens its channel, posts the card, announces it',
  options: declareOptions,
  positional: ['title'],
  short: { severity: 's', description: 'd' },
  examples: ['/incident declare gpu-node-5 fell off the bus --severity SEV2'],
  permission: 'anyone',
  incident: 'none',
  async execute(ctx, o) {
    const incident = await ctx.services.incidents.declare(ctx.chat, {
      title: o.title,
      description: o.description,
      severity: o.severity,
      private: o.private,
      actor: ctx.actor,
    });
    const where = incident.channelId
      ? ctx.chat.channelLink({ id: incident.channelId, name: incident.channelName ?? '' })
      : 'its channel';
    const text = `${incidentRef(incident)} declared (${incident.severity}): ${incident.title} → ${where}`;
    // A private incident's name and channel stay with the people in it.
    return incident.private ? ephemeral(text) : inChannel(text);
  },
});
