import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { statusOption } from '../../src/commands/options.ts';
import { durations, formatDuration, ROLE_LABEL } from '../../src/core/index.ts';
import { formatTime, incidentRef } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'status',
  description: 'Show the incident’s status, or move it (investigating, mitigated, resolved, closed)',
  options: z.object({
    status: statusOption.optional().describe('New status; leave out to see the current one'),
  }),
  positional: ['status'],
  examples: ['/incident status', '/incident status investigating'],
  permission: 'anyone',
  incident: 'required',
  async execute(ctx, o) {
    const incident = ctx.incident;
    const { incidents } = ctx.services;
    if (o.status) {
      // The channel hears of the change from the use case, as it does for the card's buttons.
      const updated = await incidents.changeStatus(incident, o.status, ctx.actor);
      return ephemeral(`${incidentRef(updated)} is now ${updated.status}.`);
    }
    const roles = await incidents.roles(incident);
    const d = durations(incident);
    const tz = ctx.actor.timeZone ?? ctx.services.displayTimeZone;
    const lines = [
      `*${incidentRef(incident)}: ${incident.title}*`,
      `${incident.severity} · ${incident.status} · declared ${formatTime(incident.createdAt, tz)}`,
      ...(['commander', 'communications', 'responder'] as const).map((role) => {
        const who = roles.filter((r) => r.role === role).map((r) => ctx.chat.mention(r.userId));
        return `${ROLE_LABEL[role]}: ${who.length ? who.join(', ') : 'unassigned'}`;
      }),
      `Time to acknowledge: ${d.toAcknowledge === null ? '—' : formatDuration(d.toAcknowledge)} · to mitigate: ${d.toMitigate === null ? '—' : formatDuration(d.toMitigate)} · to resolve: ${d.toResolve === null ? '—' : formatDuration(d.toResolve)}`,
    ];
    return ephemeral(
      lines.join('\n'),
      roles.map((r) => r.userId),
    );
  },
});
