import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { plural } from '../../src/core/index.ts';

const STATE_EMOJI: Record<string, string> = {
  ready: '🟢',
  not_ready: '🔴',
  cordoned: '🟡',
  unreachable: '⚫',
};

function firing(count: number | undefined): string {
  return count ? `🔥 ${plural(count, 'alert')} firing` : 'no alerts';
}

export default defineCommand({
  group: 'node',
  name: 'list',
  description: 'Fleet status: every node with its state, GPU count and firing alerts',
  options: z.object({}),
  permission: 'anyone',
  incident: 'none',
  needs: { node: ['list'] },
  async execute(ctx) {
    const [nodes, alerts] = await Promise.all([
      ctx.services.nodes.listNodes(),
      ctx.services.incidents.firingAlertsByNode(),
    ]);
    const counts = new Map<string, number>();
    for (const n of nodes) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
    const summary = [...counts].map(([state, n]) => `${n} ${state.replace('_', ' ')}`).join(' · ');
    const lines = nodes.map(
      (n) =>
        `${STATE_EMOJI[n.state] ?? '•'} \`${n.name}\` ${n.state.replace('_', ' ')} · ${n.gpus} GPU · ${firing(alerts.get(n.name))} · ${n.adapter}${
          Object.keys(n.labels).length
            ? ` · ${Object.entries(n.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}`
            : ''
        }`,
    );
    const alerting = nodes.filter((n) => alerts.has(n.name)).length;
    const header = `Fleet: ${nodes.length} nodes (${summary || 'none'})${alerting ? ` · 🔥 ${alerting} with firing alerts` : ''}`;
    return ephemeral({ text: header, header, sections: [lines.join('\n') || '_no nodes configured_'] });
  },
});
