import type { NodeAdapterDeps } from './adapter-module.ts';
import { httpModule } from './http/module.ts';
import { kubernetesModule } from './kubernetes/module.ts';
import type { NodeAdapter } from './port.ts';
import { simulatedModule } from './simulated/module.ts';
import { sshModule } from './ssh/module.ts';

/**
 * Every node adapter the bot has, one line each: the YAML file's `adapters` entries are validated
 * against their schemas, and main.ts builds each configured entry with its module's `create`.
 * A new adapter is its folder (with a `module.ts`) plus a line here.
 */
export const NODE_ADAPTERS = [simulatedModule, kubernetesModule, httpModule, sshModule] as const;

export type NodeAdapterEntry = Parameters<(typeof NODE_ADAPTERS)[number]['create']>[0];

/** Builds a configured entry with its own module (the one its `type` names). */
export function createNodeAdapter(entry: NodeAdapterEntry, deps: NodeAdapterDeps): Promise<NodeAdapter> {
  const module = NODE_ADAPTERS.find((m) => m.type === entry.type);
  if (!module) throw new Error(`no node adapter module for type ${entry.type}`);
  // The entry was validated against this module's own schema (its `type` picked it), which
  // TypeScript cannot follow through the union: the one cast.
  return (module.create as (options: NodeAdapterEntry, deps: NodeAdapterDeps) => Promise<NodeAdapter>)(
    entry,
    deps,
  );
}
