import { z } from 'zod';
import { inChannel } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { nodeListOption, runbookOption } from '../../src/commands/options.ts';
import { BotError, plural } from '../../src/core/index.ts';
import { findRunbook } from '../../src/runbooks/find.ts';
import { runbookMessage } from '../../src/runbooks/message.ts';

export default defineCommand({
  group: 'runbook',
  name: 'run',
  description: "Run a runbook's diagnostics on nodes and request the mitigations its hints recommend",
  options: z.object({
    name: runbookOption,
    nodes: nodeListOption
      .optional()
      .describe("Node names, separated by spaces or commas; default: the nodes the incident's alerts name"),
  }),
  positional: ['name', 'nodes'],
  examples: [
    '/runbook run gpu-xid gpu-node-5',
    '/runbook run crash-loop gpu-node-3 gpu-node-7',
    '/runbook run gpu-xid',
  ],
  permission: 'anyone',
  incident: 'required',
  needs: { node: ['diagnose'] },
  target: { nodes: 'nodes' },
  async execute(ctx, o) {
    const runbook = findRunbook(ctx.services.runbooks, o.name);
    const given = o.nodes ?? [];
    const nodes = given.length
      ? given
      : [...new Set((await ctx.services.incidents.alerts(ctx.incident)).flatMap((a) => a.nodes))];
    if (nodes.length === 0) {
      throw new BotError('bot.command.missing_option', 'Name the nodes to run the runbook on.', {
        hint: `No alert of this incident names a node. Usage: /runbook run ${runbook.name} <node…>`,
      });
    }
    const results = await ctx.services.triage.run({
      chat: ctx.chat,
      channelId: ctx.channelId,
      incident: ctx.incident,
      nodes,
      actor: ctx.actor,
      runbook,
    });
    const unreachable = results.filter((r) => r.unreachable).length;
    const requested = results.reduce((n, r) => n + r.requested.length, 0);
    const done = `Ran on ${plural(results.length, 'node')}${unreachable ? `, ${unreachable} unreachable` : ''}: ${requested ? `${plural(requested, 'mitigation')} requested` : 'nothing requested'}; each node's report is above.`;
    // The runbook itself, with the mitigations that fit what the nodes showed.
    const message = runbookMessage(runbook, { findings: results.flatMap((r) => r.report?.findings ?? []) });
    return inChannel({
      ...message,
      text: `${message.text}\n${done}`,
      sections: [done, ...(message.sections ?? [])],
    });
  },
});
