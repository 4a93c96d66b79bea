import { BotError } from '../core/errors.ts';
import { closestNames } from '../core/suggest.ts';
import { invalidNodeNameError, unknownNodeError, unknownWorkloadError, unsupportedError } from './errors.ts';
import { compareNodeNames, isValidNodeName } from './node-names.ts';
import type { CallOptions, NodeAdapter, NodeCapability, NodeInfo, Workload } from './port.ts';

export interface ListFailure {
  readonly adapter: string;
  readonly error: unknown;
}

/**
 * The configured NodeAdapters seen as one fleet: finds the adapter that owns a node and checks it
 * can do what a command needs before anything runs. Node names are checked against
 * NODE_NAME_PATTERN here, first, because some adapters put them on a command line.
 */
export class NodeRegistry {
  readonly adapters: readonly NodeAdapter[];

  constructor(adapters: readonly NodeAdapter[]) {
    const seen = new Set<string>();
    for (const a of adapters) {
      if (seen.has(a.name)) {
        throw new BotError('bot.node.duplicate_adapter', `Two node adapters are named ${a.name}.`, {
          hint: 'Give each entry under `adapters` in the config file its own name.',
        });
      }
      seen.add(a.name);
    }
    this.adapters = [...adapters];
  }

  /** Whether some configured adapter owns `node`; never throws. */
  has(node: string): boolean {
    return isValidNodeName(node) && this.adapters.some((a) => a.hasNode(node));
  }

  /** The first configured adapter that owns `node` (config order decides if two claim it). */
  adapterFor(node: string): NodeAdapter {
    if (!isValidNodeName(node)) throw invalidNodeNameError(node);
    const adapter = this.adapters.find((a) => a.hasNode(node));
    if (!adapter) throw unknownNodeError(node);
    return adapter;
  }

  /** The adapter for `node`, provided it has `capability`. */
  require(node: string, capability: NodeCapability): NodeAdapter {
    const adapter = this.adapterFor(node);
    if (!adapter.capabilities.has(capability)) throw unsupportedError(node, adapter.name, capability);
    return adapter;
  }

  /** Whether `node` is a valid name that some adapter owns and can `capability` there; never throws. */
  canRun(node: string, capability: NodeCapability): boolean {
    if (!isValidNodeName(node)) return false;
    const adapter = this.adapters.find((a) => a.hasNode(node));
    return adapter?.capabilities.has(capability) === true;
  }

  /** Every node of every adapter that can list, in natural order; rejects if any adapter fails. */
  async listNodes(opts?: CallOptions): Promise<NodeInfo[]> {
    const { nodes, failures } = await this.listNodesSettled(opts);
    if (failures[0]) throw failures[0].error;
    return nodes;
  }

  /**
   * Like listNodes, but an adapter that fails (a cluster API down) does not hide the rest of the
   * fleet: its failure is returned beside the nodes the others listed.
   */
  async listNodesSettled(opts?: CallOptions): Promise<{ nodes: NodeInfo[]; failures: ListFailure[] }> {
    const listing = this.adapters.filter((a) => a.capabilities.has('list'));
    const results = await Promise.allSettled(listing.map((a) => a.listNodes(opts)));
    const nodes: NodeInfo[] = [];
    const failures: ListFailure[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') nodes.push(...r.value);
      else failures.push({ adapter: listing[i]?.name ?? '?', error: r.reason });
    });
    nodes.sort((a, b) => compareNodeNames(a.name, b.name) || compareNodeNames(a.adapter, b.adapter));
    return { nodes, failures };
  }

  /**
   * The fleet's own spelling of `node`: host names do not care about case, so `GPU-NODE-5` is
   * gpu-node-5 when exactly one node has that name in any case. A name some adapter owns as given,
   * or that matches none (or several), comes back as it was, for the usual answer.
   */
  async canonicalName(node: string, opts?: CallOptions): Promise<string> {
    if (!isValidNodeName(node) || this.has(node)) return node;
    const lower = node.toLowerCase();
    const { nodes } = await this.listNodesSettled(opts);
    const same = [...new Set(nodes.map((n) => n.name).filter((n) => n.toLowerCase() === lower))];
    return same.length === 1 && same[0] !== undefined ? same[0] : node;
  }

  /**
   * Like `require`, but an unknown name is answered with the closest names the fleet has ("did
   * you mean gpu-node-5?"), from a fresh listing.
   */
  async resolve(node: string, capability: NodeCapability, opts?: CallOptions): Promise<NodeAdapter> {
    try {
      return this.require(node, capability);
    } catch (err) {
      if (!(err instanceof BotError) || err.code !== 'bot.node.unknown') throw err;
      // Adapters over an API (Kubernetes, HTTP) learn their nodes by listing: list, then look again.
      const { nodes } = await this.listNodesSettled(opts);
      if (nodes.some((n) => n.name === node)) return this.require(node, capability);
      const names = closestNames(
        nodes.map((n) => n.name),
        node,
      );
      if (names.length === 0) throw err;
      throw new BotError('bot.node.unknown', `No node named ${node}. Did you mean ${names.join(' or ')}?`, {
        hint: err.hint ?? '',
      });
    }
  }

  /** Finds a workload by id (or by name, when only one workload has it) across the fleet. */
  async findWorkload(ref: string, opts?: CallOptions): Promise<{ adapter: NodeAdapter; workload: Workload }> {
    const listing = this.adapters.filter((a) => a.capabilities.has('workloads'));
    const results = await Promise.allSettled(listing.map((a) => a.listWorkloads(undefined, opts)));
    const found: { adapter: NodeAdapter; workload: Workload }[] = [];
    results.forEach((r, i) => {
      if (r.status !== 'fulfilled') return;
      for (const w of r.value)
        if (w.id === ref || w.name === ref) found.push({ adapter: listing[i]!, workload: w });
    });
    const exact = found.filter((f) => f.workload.id === ref);
    if (exact.length === 1) return exact[0]!;
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      throw new BotError('bot.workload.ambiguous', `${found.length} workloads are named ${ref}.`, {
        hint: `Use the id: ${found.map((f) => f.workload.id).join(', ')}.`,
      });
    }
    throw unknownWorkloadError(ref);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.adapters.map((a) => a.close()));
  }
}
