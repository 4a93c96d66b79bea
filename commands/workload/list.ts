import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { nodeOption } from '../../src/commands/options.ts';

const STATE_EMOJI: Record<string, string> = { running: '🟢', restarting: '🔁', exited: '⚪', stopped: '⏹️' };

export default defineCommand({
  group: 'workload',
  name: 'list',
  description: 'Workloads (containers, pods, jobs) with their state and restart counts',
  options: z.object({ node: nodeOption.optional().describe('Only this node') }),
  short: { node: 'n' },
  examples: ['/workload list', '/workload list --node gpu-node-3'],
  permission: 'anyone',
  incident: 'none',
  needs: { node: ['workloads'] },
  target: { node: 'node' },
  async execute(ctx, o) {
    const { nodes } = ctx.services;
    const signal = AbortSignal.timeout(30_000);
    const adapters = o.node
      ? [await nodes.resolve(o.node, 'workloads')]
      : nodes.adapters.filter((a) => a.capabilities.has('workloads'));
    const lists = await Promise.all(adapters.map((a) => a.listWorkloads(o.node, { signal })));
    const workloads = lists
      .flat()
      .sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name));
    const lines = workloads.map(
      (w) =>
        `${STATE_EMOJI[w.state] ?? '•'} \`${w.id}\` ${w.state} · ${w.gpus} GPU · ${w.restartCount} restarts${w.lastExitCode !== null ? ` · last exit ${w.lastExitCode}` : ''}${w.system ? ' · system' : ''}`,
    );
    const header = `Workloads${o.node ? ` on ${o.node}` : ''}: ${workloads.length}`;
    return ephemeral({ text: header, header, sections: [lines.join('\n') || '_none_'] });
  },
});
