import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { workloadOption } from '../../src/commands/options.ts';
import { redactHead } from '../../src/core/index.ts';
import { truncate } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'workload',
  name: 'logs',
  description: 'The last lines of a workload’s log (secrets redacted; only you see them)',
  options: z.object({
    workload: workloadOption,
    tail: z
      .number({ error: 'must be a whole number from 1 to 500' })
      .int('must be a whole number from 1 to 500')
      .min(1, 'must be a whole number from 1 to 500')
      .max(500, 'must be a whole number from 1 to 500')
      .default(50)
      .describe('How many lines, from the end'),
  }),
  positional: ['workload'],
  short: { tail: 'n' },
  examples: ['/workload logs vllm-llama3-70b', '/workload logs gpu-node-3/vllm-llama3-70b --tail 200'],
  permission: 'anyone',
  incident: 'none',
  needs: { node: ['logs'] },
  target: { workload: 'workload' },
  async execute(ctx, o) {
    const signal = AbortSignal.timeout(30_000);
    // Its adapter can read logs: the dispatcher checked `needs` against it.
    const { adapter, workload } = await ctx.services.nodes.findWorkload(o.workload, { signal });
    const result = await adapter.workloadLogs(workload.id, o.tail, { signal });
    // Leave room for the fences and the header within the platform's limit.
    const max = ctx.chat.capabilities.maxTextLength - 200;
    // Only what is shown is redacted (cut first, with a margin): a log of long lines costs no more.
    const raw = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`;
    const text = redactHead(ctx.services.redact, raw, max).trimEnd();
    const header = `📜 ${workload.id}: last ${o.tail} lines`;
    const body = truncate(text || '(empty)', max);
    return ephemeral({
      text: header,
      header,
      sections: [`\`\`\`\n${body}\n\`\`\``],
      context: [`${workload.node} · ${workload.state} · exit ${result.exitCode} · secrets redacted`],
    });
  },
});
