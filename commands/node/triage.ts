import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { nodeListOption } from '../../src/commands/options.ts';
import { BotError, plural } from '../../src/core/index.ts';

export default defineCommand({
  group: 'node',
  name: 'triage',
  description: 'The first 60 seconds: health, GPUs, Xid errors, OOM kills, crash loops on nodes',
  options: z.object({
    nodes: nodeListOption.optional(),
    all: z.boolean().default(false).describe('Every node in the fleet'),
  }),
  positional: ['nodes'],
  short: { all: 'a' },
  examples: ['/node triage gpu-node-5', '/node triage gpu-node-5 gpu-node-7', '/node triage --all'],
  permission: 'anyone',
  incident: 'none',
  needs: { node: ['diagnose'] },
  target: { nodes: 'nodes' },
  async execute(ctx, o) {
    const named = o.nodes ?? [];
    if (o.all === named.length > 0) {
      throw new BotError('bot.command.missing_option', 'Name the nodes to triage, or use --all (not both).', {
        hint: 'Usage: /node triage <node…> or /node triage --all',
      });
    }
    const nodes = o.all ? (await ctx.services.nodes.listNodes()).map((n) => n.name) : named;
    // In an incident channel the results go on its timeline and findings become requests.
    const incident = await ctx.services.incidents.byChannel(ctx.chat.id, ctx.channelId);
    const results = await ctx.services.triage.run({
      chat: ctx.chat,
      channelId: ctx.channelId,
      incident,
      nodes,
      actor: ctx.actor,
    });
    const unreachable = results.filter((r) => r.unreachable).length;
    return ephemeral(
      `Triage finished: ${plural(results.length, 'node')}${unreachable ? `, ${unreachable} unreachable` : ''}. The reports are in the channel.`,
    );
  },
});
