import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { nodeOption } from '../../src/commands/options.ts';

export default defineCommand({
  group: 'node',
  name: 'collect',
  description: "Attach NVIDIA's diagnostic bundle of a node (nvidia-bug-report.sh) to the incident, redacted",
  options: z.object({ node: nodeOption }),
  positional: ['node'],
  examples: ['/node collect gpu-node-5'],
  // Read-only: nobody approves it; the bot collects one per node at a time, and one per while.
  permission: 'anyone',
  incident: 'required',
  needs: { node: ['collect'] },
  target: { node: 'node' },
  async execute(ctx, o) {
    await ctx.services.bundles.request({
      chat: ctx.chat,
      incident: ctx.incident,
      node: o.node,
      actor: ctx.actor,
    });
    return ephemeral(`Collecting the diagnostic bundle of ${o.node}; it will be attached to the channel.`);
  },
});
