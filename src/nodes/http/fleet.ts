import { isBotError } from '../../core/errors.ts';
import { graphemeHead } from '../../core/text.ts';
import type { Logger } from '../../logger.ts';
import { invalidNodeNameError, unknownNodeError } from '../errors.ts';
import { compareNodeNames, isValidNodeName } from '../node-names.ts';
import type { CallOptions, Workload } from '../port.ts';
import type { ControlPlane } from './control-plane.ts';
import { apiError } from './errors.ts';
import type { HttpPaths } from './options.ts';
import { parseNode, parseNodeList, parsePoolList } from './records.ts';
import { type NodeView, nodeView, type PoolView, poolViews, type ViewContext, workloadOf } from './views.ts';

const MAX_DEREGISTERED = 1000;
const MAX_WARNED = 200;
const WORKLOAD_FETCH_CONCURRENCY = 8;

export interface FleetConfig {
  readonly adapter: string;
  readonly baseUrl: string;
  readonly paths: HttpPaths;
  readonly staleAfterMs: number;
  readonly logger: Pick<Logger, 'debug' | 'warn'>;
}

export interface NodeRead {
  readonly view: NodeView;
  /** The request the record came from, e.g. `GET /v2/nodes/gpu-node-3`. */
  readonly request: string;
}

/**
 * The adapter's view of the registry: reads nodes and pools, remembers which node names the
 * registry had (hasNode() is synchronous), and which nodes the adapter itself drained by
 * deregistration: those stay in /node list as cordoned until they register again, instead of
 * vanishing from the fleet the moment the bot removed them. The memory is per process.
 */
export class Fleet {
  private known = new Set<string>();
  private readonly deregistered = new Map<string, NodeView>();
  private readonly warned = new Set<string>();
  private readonly cp: ControlPlane;
  private readonly config: FleetConfig;

  constructor(cp: ControlPlane, config: FleetConfig) {
    this.cp = cp;
    this.config = config;
  }

  has(node: string): boolean {
    return this.known.has(node) || this.deregistered.has(node);
  }

  /** After a 404: true when the node had been listed. */
  forget(node: string): boolean {
    return this.known.delete(node);
  }

  private context(now: number): ViewContext {
    const { adapter, logger, staleAfterMs } = this.config;
    return {
      now,
      staleAfterMs,
      skipped: (what) => {
        if (this.warned.has(what) || this.warned.size >= MAX_WARNED) return;
        this.warned.add(what);
        logger.warn({ adapter }, `left out ${what}: not a valid name for the bot (letters, digits, . _ -)`);
      },
    };
  }

  /** Every node of the registry, and the ones this adapter deregistered, in natural order. */
  async list(what: string, opts?: CallOptions): Promise<NodeView[]> {
    const { paths } = this.config;
    const { value, now } = await this.cp.read(paths.nodes, {}, what, opts, { key: 'nodes' }, parseNodeList);
    const ctx = this.context(now);
    const views = new Map<string, NodeView>();
    for (const rec of value) {
      const view = nodeView(rec, ctx);
      if (view && !views.has(view.name)) views.set(view.name, view);
    }
    this.known = new Set(views.keys());
    for (const [n, gone] of this.deregistered) {
      // Registered again (pool-managerd restarted): the registry speaks for it from now on.
      if (views.has(n)) this.deregistered.delete(n);
      else views.set(n, gone);
    }
    return [...views.values()].sort((a, b) => compareNodeNames(a.name, b.name));
  }

  /** One node; bot.node.invalid_name before any request, bot.node.unknown when the registry lacks it. */
  async read(node: string, what: string, opts?: CallOptions): Promise<NodeRead> {
    if (!isValidNodeName(node)) throw invalidNodeNameError(node);
    const { paths, adapter, baseUrl } = this.config;
    let found: NodeRead;
    if (paths.node) {
      try {
        const { value, now, request } = await this.cp.read(
          paths.node,
          { node },
          what,
          opts,
          { node, key: 'node' },
          parseNode,
        );
        const view = nodeView(value, this.context(now));
        if (!view || view.name !== node) {
          throw apiError(
            { what, adapter, baseUrl, request },
            `answered the record of another node (${JSON.stringify(graphemeHead(view?.name ?? '', 80))}): check paths.node`,
          );
        }
        found = { view, request };
      } catch (err) {
        const gone = this.deregistered.get(node);
        if (gone && isBotError(err) && err.code === 'bot.node.unknown') {
          return { view: gone, request: this.cp.describe(paths.node, { node }) };
        }
        throw err;
      }
    } else {
      const view = (await this.list(what, opts)).find((v) => v.name === node);
      if (!view) throw unknownNodeError(node);
      found = { view, request: this.cp.describe(paths.nodes, {}) };
      if (view.deregistered) return found;
    }
    this.known.add(node);
    this.deregistered.delete(node);
    return found;
  }

  /** The node's pools: from the workloads endpoint when configured, else from its record. */
  async pools(view: NodeView, what: string, opts?: CallOptions): Promise<readonly PoolView[]> {
    const { paths } = this.config;
    if (view.deregistered) return [];
    if (!paths.workloads) return view.pools;
    const { value, now } = await this.cp.read(
      paths.workloads,
      { node: view.name },
      what,
      opts,
      { node: view.name, key: 'workloads' },
      parsePoolList,
    );
    return poolViews(value, view.name, this.context(now));
  }

  async workloads(view: NodeView, what: string, opts?: CallOptions): Promise<Workload[]> {
    return sortWorkloads((await this.pools(view, what, opts)).map((p) => workloadOf(p, view)));
  }

  async allWorkloads(what: string, opts?: CallOptions): Promise<Workload[]> {
    const views = await this.list(what, opts);
    const out: Workload[] = [];
    // Bounded fan-out when each node's pools are a request of their own.
    for (let i = 0; i < views.length; i += WORKLOAD_FETCH_CONCURRENCY) {
      const batch = views.slice(i, i + WORKLOAD_FETCH_CONCURRENCY);
      const pools = await Promise.all(batch.map((v) => this.pools(v, what, opts)));
      batch.forEach((v, j) => {
        for (const p of pools[j] ?? []) out.push(workloadOf(p, v));
      });
    }
    return sortWorkloads(out);
  }

  /** The node left the registry by this adapter's hand: keep showing it, cordoned. */
  rememberDeregistered(view: NodeView): void {
    if (this.deregistered.size >= MAX_DEREGISTERED) {
      const oldest = this.deregistered.keys().next().value;
      if (oldest !== undefined) this.deregistered.delete(oldest);
    }
    this.deregistered.set(view.name, {
      ...view,
      state: 'cordoned',
      status: 'deregistered',
      draining: true,
      pools: [],
      deregistered: true,
    });
  }
}

export function sortWorkloads(list: Workload[]): Workload[] {
  return list.sort((a, b) => compareNodeNames(a.node, b.node) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
