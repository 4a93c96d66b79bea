import { z } from 'zod';
import { ephemeral } from '../chat/message.ts';
import type { WorkloadActionKind } from '../incidents/actions.ts';
import { defineCommand } from './define.ts';
import { workloadOption } from './options.ts';

/** restart and stop differ only in their verb: one shape, two command files. */
export function workloadActionCommand(kind: WorkloadActionKind, description: string) {
  return defineCommand({
    group: 'workload',
    name: kind,
    description,
    options: z.object({
      workload: workloadOption,
    }),
    positional: ['workload'],
    examples: [`/workload ${kind} gpu-node-3/vllm-llama3-70b`],
    permission: 'anyone',
    incident: 'required',
    needs: { node: [kind] },
    target: { workload: 'workload' },
    async execute(ctx, o) {
      const action = await ctx.services.actions.request(ctx.incident, kind, o.workload, ctx.actor);
      return ephemeral(
        `Requested ${kind} of ${action.target}. It runs once someone approves it${ctx.services.actions.needsSecondPerson(action, ctx.incident) ? ' (a second person, at this severity)' : ''}.`,
      );
    },
  });
}
