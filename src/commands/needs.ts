import { BotError } from '../core/index.ts';
import { unsupportedError } from '../nodes/errors.ts';
import type { NodeCapability } from '../nodes/port.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { CommandDefinition } from './define.ts';

/** Finding a workload lists them across the fleet; as long as any one remote call may take. */
const FIND_TIMEOUT_MS = 30_000;

function noAdapterCan(capability: NodeCapability): BotError {
  return new BotError(
    'bot.node.unsupported',
    `None of the configured node adapters has the ${capability} capability.`,
    {
      hint: 'Configure an adapter that has it under `adapters` in the config file, or do it outside the bot.',
    },
  );
}

/** The value of the option the command names as its target: one name, a list, or nothing given. */
function targetOf(def: CommandDefinition, options: Readonly<Record<string, unknown>>) {
  const target = def.target;
  if (!target) return { kind: 'fleet' as const };
  if ('workload' in target) {
    const ref = options[target.workload];
    return typeof ref === 'string' ? { kind: 'workload' as const, ref } : { kind: 'fleet' as const };
  }
  const value = 'node' in target ? options[target.node] : options[target.nodes];
  const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value.map(String) : [];
  return names.length > 0 ? { kind: 'nodes' as const, names } : { kind: 'fleet' as const };
}

/**
 * The options with the nodes the command targets spelled as the fleet spells them (`GPU-Node-5`
 * → gpu-node-5, NodeRegistry.canonicalName), so what is checked, stored and shown is the node's
 * own name. Other options are left as they are.
 */
export async function canonicalTargets(
  def: CommandDefinition,
  options: Readonly<Record<string, unknown>>,
  nodes: NodeRegistry,
): Promise<Record<string, unknown>> {
  const target = def.target;
  if (!target || 'workload' in target) return { ...options };
  const key = 'node' in target ? target.node : target.nodes;
  const value = options[key];
  const signal = AbortSignal.timeout(FIND_TIMEOUT_MS);
  if (typeof value === 'string') return { ...options, [key]: await nodes.canonicalName(value, { signal }) };
  if (!Array.isArray(value)) return { ...options };
  const names: string[] = [];
  for (const v of value) names.push(await nodes.canonicalName(String(v), { signal }));
  return { ...options, [key]: names };
}

/**
 * Checks `def.needs` before the command runs, against the adapters behind what it targets: each
 * named node's adapter, the adapter that runs the named workload, or (nothing named) at least one
 * adapter of the fleet. "This adapter cannot drain" beats a half-run command.
 */
export async function checkNeeds(
  def: CommandDefinition,
  options: Readonly<Record<string, unknown>>,
  nodes: NodeRegistry,
): Promise<void> {
  const needs = def.needs?.node ?? [];
  if (needs.length === 0) return;
  const target = targetOf(def, options);
  switch (target.kind) {
    case 'workload': {
      const { adapter, workload } = await nodes.findWorkload(target.ref, {
        signal: AbortSignal.timeout(FIND_TIMEOUT_MS),
      });
      const missing = needs.find((c) => !adapter.capabilities.has(c));
      if (missing) throw unsupportedError(workload.node, adapter.name, missing);
      return;
    }
    case 'nodes':
      // In order, so a list with a typo is answered about the first bad name.
      for (const node of target.names) for (const capability of needs) await nodes.resolve(node, capability);
      return;
    case 'fleet': {
      const missing = needs.find((c) => !nodes.adapters.some((a) => a.capabilities.has(c)));
      if (missing) throw noAdapterCan(missing);
      return;
    }
  }
}
