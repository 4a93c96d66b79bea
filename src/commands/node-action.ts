import { z } from 'zod';
import { ephemeral } from '../chat/message.ts';
import type { NodeActionKind } from '../incidents/actions.ts';
import { defineCommand } from './define.ts';
import { nodeOption } from './options.ts';

/** cordon, uncordon and drain differ only in their verb: one shape, three command files. */
export function nodeActionCommand(kind: NodeActionKind, description: string) {
  return defineCommand({
    group: 'node',
    name: kind,
    description,
    options: z.object({ node: nodeOption }),
    positional: ['node'],
    examples: [`/node ${kind} gpu-node-5`],
    permission: 'anyone',
    incident: 'required',
    needs: { node: [kind] },
    target: { node: 'node' },
    async execute(ctx, o) {
      const action = await ctx.services.actions.request(ctx.incident, kind, o.node, ctx.actor);
      return ephemeral(
        `Requested ${kind} of ${action.target}. It runs once someone approves it${ctx.services.actions.needsSecondPerson(action, ctx.incident) ? ' (a second person, at this severity)' : ''}.`,
      );
    },
  });
}
