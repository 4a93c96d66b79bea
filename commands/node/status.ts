import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { nodeOption } from '../../src/commands/options.ts';
import { plural } from '../../src/core/index.ts';

export default defineCommand({
  group: 'node',
  name: 'status',
  description: 'One node’s health: load, memory and every GPU',
  options: z.object({ node: nodeOption }),
  positional: ['node'],
  examples: ['/node status gpu-node-5'],
  permission: 'anyone',
  incident: 'none',
  needs: { node: ['health'] },
  target: { node: 'node' },
  async execute(ctx, o) {
    const adapter = ctx.services.nodes.require(o.node, 'health');
    const h = await adapter.health(o.node, { signal: AbortSignal.timeout(30_000) });
    const gpus = h.gpus.map((g) =>
      g.responding
        ? `GPU ${g.index} ${g.name}: ${g.temperatureC}°C · ${g.utilizationPct}% util · ${g.memoryUsedMiB}/${g.memoryTotalMiB} MiB · ECC uncorrected ${g.eccUncorrected}`
        : `GPU ${g.index} ${g.name}: ⚠️ not responding`,
    );
    // What the bot remembers can say more than the node: past the RMA thresholds, resets are over.
    const rma = await ctx.services.triage.memory.rmaVerdicts(o.node);
    const rmaLines = rma.map((v) => `⚠️ ${v.gpu ? `GPU ${v.gpu}` : o.node} needs an RMA: ${v.why}.`);
    const expected = adapter.expectedGpus?.(o.node);
    const missing =
      expected !== undefined && h.gpus.length < expected
        ? [
            `⚠️ nvidia-smi lists ${h.gpus.length} of the ${plural(expected, 'GPU')} the inventory gives ${o.node}.`,
          ]
        : [];
    const header = `${o.node}: ${h.state.replace('_', ' ')}${rma.length ? ' · needs RMA' : ''}`;
    return ephemeral({
      text: header,
      header,
      fields: [
        {
          label: 'Uptime',
          value: `${Math.floor(h.uptimeSeconds / 86400)}d ${Math.floor((h.uptimeSeconds % 86400) / 3600)}h`,
        },
        { label: 'Load (1 min)', value: String(h.load1) },
        {
          label: 'Memory',
          value: `${Math.round(h.memoryUsedMiB / 1024)} / ${Math.round(h.memoryTotalMiB / 1024)} GiB`,
        },
      ],
      sections: [
        ...missing,
        ...(rmaLines.length ? [`${rmaLines.join('\n')} See /node history ${o.node}.`] : []),
        `\`\`\`\n${gpus.join('\n')}\n\`\`\``,
      ],
    });
  },
});
