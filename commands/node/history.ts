import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { nodeOption } from '../../src/commands/options.ts';
import { type Incident, plural } from '../../src/core/index.ts';
import { formatTime, incidentRef } from '../../src/incidents/format.ts';
import { findingWords } from '../../src/incidents/hardware-memory.ts';

const DAYS = 'must be a whole number of days from 1 to 90';
/** Lines per part of the answer; the rest are counted. */
const MAX_LINES = 15;

function capped(lines: readonly string[], what: string): string {
  if (lines.length <= MAX_LINES) return lines.join('\n');
  return `${lines.slice(0, MAX_LINES).join('\n')}\n… and ${plural(lines.length - MAX_LINES, `more ${what}`)}`;
}

export default defineCommand({
  group: 'node',
  name: 'history',
  description:
    'What the bot remembers of a node: its incidents, GPU Xids and findings by serial, and mitigations',
  options: z.object({
    node: nodeOption,
    days: z.coerce
      .number({ error: DAYS })
      .int(DAYS)
      .min(1, DAYS)
      .max(90, DAYS)
      .default(30)
      .describe('How far back'),
  }),
  positional: ['node'],
  examples: ['/node history gpu-node-5', '/node history gpu-node-5 --days 7'],
  permission: 'anyone',
  incident: 'none',
  // No capability: a node that has left the inventory still has a past.
  target: { node: 'node' },
  async execute(ctx, o) {
    const { events, actions, incidents } = await ctx.services.triage.memory.nodeHistory(o.node, o.days);
    const header = `📜 ${o.node}: the last ${plural(o.days, 'day')}`;
    if (events.length === 0 && actions.length === 0) {
      const why = 'nothing remembered (no Xids or GPU findings seen by triage, no mitigations)';
      // A misspelt name remembers nothing too: say when the fleet does not know it either.
      const unknown = ctx.services.nodes.has(o.node)
        ? ''
        : ` ${o.node} is not in the node inventory either; /node list shows the fleet.`;
      return ephemeral({
        text: `${header}: ${why}.${unknown}`,
        header,
        sections: [`Nothing remembered: no Xids or GPU findings seen by triage, no mitigations.${unknown}`],
      });
    }
    // A private incident the asker cannot see is named by number only.
    const seen = new Map<string, boolean>();
    for (const [id, i] of incidents)
      seen.set(id, await ctx.services.visibility.visibleTo(ctx.chat, i, ctx.actor));
    const ref = (id: string | null) => {
      const i = id ? incidents.get(id) : undefined;
      return i ? incidentRef(i) : 'outside an incident';
    };
    const incidentLines = [...incidents.values()]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((i: Incident) =>
        seen.get(i.id)
          ? `${incidentRef(i)} · ${i.severity} · ${i.status} · ${i.title}`
          : `${incidentRef(i)} · private`,
      );
    // Per GPU, each Xid (×events) and each finding (on how many days), in that order.
    const perGpu = new Map<string, Map<string, { count: number; last: Date; order: number }>>();
    for (const e of events) {
      const what = e.xid !== null ? `Xid ${e.xid}` : findingWords(e.finding);
      const seen = perGpu.get(e.gpu) ?? new Map<string, { count: number; last: Date; order: number }>();
      const x = seen.get(what) ?? { count: 0, last: e.seenAt, order: e.xid ?? Number.MAX_SAFE_INTEGER };
      seen.set(what, { ...x, count: x.count + 1, last: x.last > e.seenAt ? x.last : e.seenAt });
      perGpu.set(e.gpu, seen);
    }
    const gpuLines = [...perGpu].map(
      ([gpu, seen]) =>
        `GPU ${gpu}: ${[...seen]
          .sort(([a, x], [b, y]) => x.order - y.order || a.localeCompare(b))
          .map(([what, x]) =>
            what.startsWith('Xid ')
              ? `${what} ×${x.count} (last ${formatTime(x.last)})`
              : `${what} on ${plural(x.count, 'day')} (last ${formatTime(x.last)})`,
          )
          .join(', ')}`,
    );
    const actionLines = actions.map(
      (a) =>
        `${formatTime(a.requestedAt)} · ${a.kind} ${a.target} · ${a.status}${a.decidedByName && seen.get(a.incidentId) ? ` · decided by ${a.decidedByName}` : ''} · ${ref(a.incidentId)}`,
    );
    const sections = [
      ...(incidentLines.length ? [`*Incidents:*\n${capped(incidentLines, 'incident')}`] : []),
      ...(gpuLines.length ? [`*GPU Xids and findings seen by triage:*\n${capped(gpuLines, 'GPU')}`] : []),
      ...(actionLines.length ? [`*Mitigations:*\n${capped(actionLines, 'mitigation')}`] : []),
    ];
    return ephemeral({ text: header, header, sections: sections.map((s) => ctx.services.redact(s)) });
  },
});
