import { isValidNodeName } from '../node-names.ts';
import type { NodeInfo, NodeState, Workload } from '../port.ts';
import { type GpuRecord, type NodeRecord, nodeIdOf, type PoolRecord, poolIdOf } from './records.ts';

/**
 * Control-plane records seen the way the NodeAdapter port sees nodes and workloads.
 *
 * Node state: online → ready; draining (or cordoned) → cordoned; offline, failed, registering, or
 * a heartbeat older than staleAfterMs → not_ready (a node that stopped heartbeating is not ready
 * even before the registry's own sweep marks it offline). A node that is both draining and
 * offline is not_ready: that it is down matters more at 3 a.m.; `draining` is still kept.
 *
 * Pools are the workloads: each runs an engine (llama.cpp, vLLM…) on some of the node's GPUs.
 */

export interface PoolView {
  readonly id: string;
  /** Undefined when the record only names the pool (orchestratord's `pools: ["pool-0"]`). */
  readonly ready: boolean | undefined;
  readonly live: boolean | undefined;
  readonly draining: boolean;
  readonly engine: string | undefined;
  readonly model: string | undefined;
  readonly slotsFree: number | undefined;
  readonly slotsTotal: number | undefined;
  readonly vramFreeBytes: number | undefined;
  readonly activeLeases: number | undefined;
  readonly gpus: number;
  readonly restartCount: number;
  readonly lastExitCode: number | null;
}

export interface NodeView {
  readonly name: string;
  readonly state: NodeState;
  /** The registry's word for it (`online`, `draining`, `offline`, …), lower case. */
  readonly status: string;
  readonly draining: boolean;
  readonly stale: boolean;
  readonly heartbeatAgeMs: number | undefined;
  readonly registeredAgeMs: number | undefined;
  readonly version: string | undefined;
  readonly cpuCores: number | undefined;
  readonly ramTotalBytes: number | undefined;
  readonly gpus: readonly GpuRecord[];
  readonly pools: readonly PoolView[];
  readonly labels: Readonly<Record<string, string>>;
  /** Removed from the registry by this adapter's drain; kept so /node list still shows it. */
  readonly deregistered: boolean;
}

export interface ViewContext {
  /** The control plane's clock (its Date header), or the bot's when it sent none. */
  readonly now: number;
  readonly staleAfterMs: number;
  /** Told about names the port cannot carry (they are left out). */
  readonly skipped: (what: string) => void;
}

const MIB = 1024 * 1024;
// One second of slack: the Date header has whole seconds.
const DATE_RESOLUTION_MS = 1000;
const ONLINE = new Set(['online', 'ready', 'draining', 'cordoned']);
const DRAINING = new Set(['draining', 'cordoned']);
const DOWN = new Set(['offline', 'failed', 'registering']);
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

function poolView(p: string | PoolRecord): PoolView {
  const r: PoolRecord = typeof p === 'string' ? { pool_id: p } : p;
  return {
    id: typeof p === 'string' ? p : poolIdOf(r),
    ready: r.ready ?? undefined,
    live: r.live ?? undefined,
    draining: r.draining === true,
    engine: r.engine ?? undefined,
    model: r.model ?? r.model_id ?? r.models_available?.[0] ?? undefined,
    slotsFree: r.slots_free ?? undefined,
    slotsTotal: r.slots_total ?? undefined,
    vramFreeBytes: r.vram_free_bytes ?? undefined,
    activeLeases: r.active_leases ?? undefined,
    gpus: r.gpus ?? 0,
    restartCount: r.restart_count ?? 0,
    lastExitCode: r.last_exit_code ?? null,
  };
}

export function poolViews(
  pools: readonly (string | PoolRecord)[],
  node: string,
  ctx: ViewContext,
): PoolView[] {
  const seen = new Set<string>();
  const out: PoolView[] = [];
  for (const p of pools) {
    const view = poolView(p);
    if (!isValidNodeName(view.id)) {
      ctx.skipped(`pool ${JSON.stringify(view.id.slice(0, 80))} on ${node}`);
      continue;
    }
    if (seen.has(view.id)) continue;
    seen.add(view.id);
    out.push(view);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function age(now: number, at: number | null | undefined): number | undefined {
  return at == null ? undefined : Math.max(0, now - at);
}

/** The view of one record, or undefined when its name cannot be a node name here. */
export function nodeView(rec: NodeRecord, ctx: ViewContext): NodeView | undefined {
  const name = nodeIdOf(rec);
  if (!isValidNodeName(name)) {
    ctx.skipped(`node ${JSON.stringify(name.slice(0, 80))}`);
    return undefined;
  }
  const status = (rec.status ?? (rec.online ? 'online' : 'offline')).toLowerCase();
  const up = (rec.online ?? ONLINE.has(status)) && !DOWN.has(status);
  const draining = rec.draining === true || DRAINING.has(status);
  const heartbeatAgeMs = age(ctx.now, rec.last_heartbeat_ms);
  const stale =
    ctx.staleAfterMs > 0 &&
    heartbeatAgeMs !== undefined &&
    heartbeatAgeMs > ctx.staleAfterMs + DATE_RESOLUTION_MS;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec.labels ?? {})) if (LABEL_KEY.test(k)) labels[k] = v;
  if (rec.machine_id && labels.machine === undefined) labels.machine = rec.machine_id;
  if (rec.version && labels.version === undefined) labels.version = rec.version;
  const gpus = [...(rec.capabilities?.gpus ?? [])]
    .map((g, i) => ({ g, i, index: g.device_id ?? g.index ?? i }))
    .sort((a, b) => a.index - b.index || a.i - b.i)
    .map(({ g }) => g);
  return {
    name,
    state: !up || stale ? 'not_ready' : draining ? 'cordoned' : 'ready',
    status,
    draining,
    stale,
    heartbeatAgeMs,
    registeredAgeMs: age(ctx.now, rec.registered_at_ms),
    version: rec.version ?? undefined,
    cpuCores: rec.capabilities?.cpu_cores ?? undefined,
    ramTotalBytes: rec.capabilities?.ram_total_bytes ?? undefined,
    gpus,
    pools: poolViews(rec.pools ?? [], name, ctx),
    labels,
    deregistered: false,
  };
}

export function nodeInfo(view: NodeView, adapter: string): NodeInfo {
  return { name: view.name, adapter, state: view.state, gpus: view.gpus.length, labels: { ...view.labels } };
}

/**
 * ready → running; live but not ready → restarting (the engine is loading); neither → exited.
 * Draining (the pool or its node): a pool still up finishes what it serves and takes nothing new
 * → stopped. A pool named without a state takes its node's. On a node that is not heartbeating
 * the registry's pool snapshot is old news and the pool serves nothing → exited.
 */
export function workloadState(pool: PoolView, node: NodeView): Workload['state'] {
  if (node.state === 'not_ready' || node.deregistered) return 'exited';
  const ready = pool.ready ?? true;
  if (pool.draining || node.draining) return ready || pool.live ? 'stopped' : 'exited';
  if (ready) return 'running';
  return pool.live ? 'restarting' : 'exited';
}

export function workloadOf(pool: PoolView, node: NodeView): Workload {
  return {
    id: `${node.name}/${pool.id}`,
    name: pool.id,
    node: node.name,
    state: workloadState(pool, node),
    restartCount: pool.restartCount,
    lastExitCode: pool.lastExitCode,
    gpus: pool.gpus,
    // The registry lists serving pools only; the node's own agents (pool-managerd) are not in it.
    system: false,
  };
}

export function mib(bytes: number | undefined): number {
  return bytes === undefined ? 0 : Math.round(bytes / MIB);
}

/**
 * The node's GPUs as `nvidia-smi --query-gpu` CSV rows, so the triage parsers read them like a
 * real node's. The registry knows each GPU's index, name and VRAM, nothing live: the rest prints
 * `[N/A]`, nvidia-smi's own word for a value it cannot give (parsed as unknown, never as 0 °C).
 */
export function gpuCsv(view: NodeView): string {
  return view.gpus
    .map((g, i) => {
      const index = g.device_id ?? g.index ?? i;
      const name = (g.name ?? '').replace(/[,\r\n]+/g, ' ').trim() || 'GPU';
      const total = g.vram_total_bytes == null ? '[N/A]' : `${mib(g.vram_total_bytes)} MiB`;
      return `${index > 999 ? i : index}, ${name}, [N/A], [N/A], [N/A], ${total}, [N/A]`;
    })
    .join('\n');
}
