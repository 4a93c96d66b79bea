import { plural } from '../../core/text.ts';
import { unknownNodeError, unknownWorkloadError } from '../errors.ts';
import { compareNodeNames } from '../node-names.ts';
import type { MutationResult, NodeState, Workload } from '../port.ts';
import type { FleetSnapshot, NewSimWorkload, SimNode, SimWorkload } from './model.ts';

const CRASH_PERIOD_MS = 60_000;
/** docker stop sends SIGTERM; a process that does not handle it exits 128 + 15. */
const SIGTERM_EXIT = 143;

function isActive(w: SimWorkload): boolean {
  return w.state === 'running' || w.state === 'restarting';
}

/** The simulated fleet's state and the rules that change it (cordon, drain, restart, stop). */
export class Fleet {
  private readonly nodes = new Map<string, SimNode>();
  private readonly workloads = new Map<string, SimWorkload>();
  private created = 0;

  constructor(nodes: readonly SimNode[], workloads: readonly NewSimWorkload[]) {
    for (const n of nodes) this.nodes.set(n.name, n);
    for (const w of workloads) this.add(w);
  }

  /** What changes as people act on the fleet: which nodes are cordoned, and every workload. */
  snapshot(): Omit<FleetSnapshot, 't0'> {
    return {
      cordoned: [...this.nodes.values()].filter((n) => n.cordoned).map((n) => n.name),
      workloads: this.workloadsOn().map((w) => structuredClone(w)),
    };
  }

  /** The fleet as a snapshot left it: the seeded nodes, its cordons, its workloads as they were. */
  static restore(nodes: readonly SimNode[], snapshot: Omit<FleetSnapshot, 't0'>): Fleet {
    const cordoned = new Set(snapshot.cordoned);
    const fleet = new Fleet(
      nodes.map((n) => ({ ...n, cordoned: cordoned.has(n.name) })),
      [],
    );
    for (const w of snapshot.workloads) {
      if (!fleet.nodes.has(w.node)) continue;
      fleet.workloads.set(w.id, structuredClone(w));
      fleet.created = Math.max(fleet.created, w.created + 1);
    }
    return fleet;
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()].sort(compareNodeNames);
  }

  has(node: string): boolean {
    return this.nodes.has(node);
  }

  node(node: string): SimNode {
    const n = this.nodes.get(node);
    if (!n) throw unknownNodeError(node);
    return n;
  }

  /** Cordoning is what the operator did, so it shows over not_ready (`kubectl` shows both). */
  state(node: SimNode): NodeState {
    if (node.cordoned) return 'cordoned';
    return node.gpus.every((g) => g.responding) ? 'ready' : 'not_ready';
  }

  workload(id: string): SimWorkload {
    const w = this.workloads.get(id);
    if (!w) throw unknownWorkloadError(id);
    return w;
  }

  /** Oldest first; `node` filters. */
  workloadsOn(node?: string): SimWorkload[] {
    return [...this.workloads.values()]
      .filter((w) => node === undefined || w.node === node)
      .sort((a, b) => a.created - b.created);
  }

  activeOn(node: string): SimWorkload[] {
    return this.workloadsOn(node).filter(isActive);
  }

  /** Whether a running workload on `node` listens on `port` (29500 where a rank-0 trainer runs). */
  listens(node: SimNode, port: number): boolean {
    return this.activeOn(node.name).some((w) => w.state === 'running' && w.profile.ports.includes(port));
  }

  memUsedMiB(node: SimNode): number {
    return this.activeOn(node.name).reduce((sum, w) => sum + w.profile.memMiB, node.baseMemMiB);
  }

  /** When the crash-looping container last exited, and how many times it has restarted by `now`. */
  crashState(w: SimWorkload, now: number): { lastExitAt: number; restarts: number } | null {
    if (!w.crashLoop || w.state !== 'restarting') return null;
    const cycles = Math.max(0, Math.floor((now - w.crashLoop.firstExitAt) / CRASH_PERIOD_MS));
    return {
      lastExitAt: w.crashLoop.firstExitAt + cycles * CRASH_PERIOD_MS,
      restarts: w.restartCount + cycles,
    };
  }

  toWorkload(w: SimWorkload, now: number): Workload {
    return {
      id: w.id,
      name: w.name,
      node: w.node,
      state: w.state,
      restartCount: this.crashState(w, now)?.restarts ?? w.restartCount,
      lastExitCode: w.lastExitCode,
      gpus: w.profile.gpus,
      system: w.profile.system,
    };
  }

  /** Responding GPUs no active workload holds (`except` counts as not holding its own). */
  freeGpus(node: SimNode, except?: SimWorkload): number[] {
    const held = new Set(
      this.activeOn(node.name)
        .filter((w) => w !== except)
        .flatMap((w) => w.gpuIndices),
    );
    return node.gpus.filter((g) => g.responding && !held.has(g.index)).map((g) => g.index);
  }

  planDrain(node: string): { evict: SimWorkload[]; skip: { workload: SimWorkload; reason: string }[] } {
    this.node(node);
    const evict: SimWorkload[] = [];
    const skip: { workload: SimWorkload; reason: string }[] = [];
    for (const w of this.workloadsOn(node)) {
      if (w.profile.system)
        skip.push({ workload: w, reason: 'system workload (node agent): drains leave it' });
      else if (!isActive(w)) skip.push({ workload: w, reason: `not running (${w.state})` });
      else evict.push(w);
    }
    return { evict, skip };
  }

  cordon(node: string): MutationResult {
    const n = this.node(node);
    if (n.cordoned)
      return { ok: true, summary: `${node} already cordoned`, output: `node/${node} already cordoned` };
    n.cordoned = true;
    return {
      ok: true,
      summary: `Cordoned ${node}: no new workloads will be scheduled on it`,
      output: `node/${node} cordoned`,
    };
  }

  uncordon(node: string): MutationResult {
    const n = this.node(node);
    if (!n.cordoned)
      return { ok: true, summary: `${node} is not cordoned`, output: `node/${node} already uncordoned` };
    n.cordoned = false;
    return {
      ok: true,
      summary: `Uncordoned ${node}: it takes new workloads again`,
      output: `node/${node} uncordoned`,
    };
  }

  /**
   * Where a drain of these workloads would put each (the node, or undefined: nowhere has room), in
   * order, each one taking its room before the next is placed. The preview and the drain both ask
   * this, so what the preview says is what the drain then does.
   */
  placements(evict: readonly SimWorkload[]): Map<SimWorkload, SimNode | undefined> {
    const taken = new Map<string, { gpus: number; memMiB: number }>();
    const out = new Map<SimWorkload, SimNode | undefined>();
    for (const w of evict) {
      const target = this.placement(w, taken);
      if (target) {
        const t = taken.get(target.name) ?? { gpus: 0, memMiB: 0 };
        taken.set(target.name, { gpus: t.gpus + w.profile.gpus, memMiB: t.memMiB + w.profile.memMiB });
      }
      out.set(w, target);
    }
    return out;
  }

  /** Cordon, then move each evictable workload to a ready node with room, or stop it if none has room. */
  drain(node: string, now: number): MutationResult {
    const { evict, skip } = this.planDrain(node);
    const lines = [this.cordon(node).output];
    const placed = this.placements(evict);
    const stopped: SimWorkload[] = [];
    for (const w of evict) {
      lines.push(`evicting workload ${w.id}`);
      const target = placed.get(w);
      if (target) {
        const copy = this.move(w, target, now);
        lines.push(`workload ${w.id} rescheduled on ${target.name} as ${copy.id}`);
      } else {
        this.halt(w, now);
        lines.push(`workload ${w.id} stopped: ${noRoom(w)}`);
        stopped.push(w);
      }
    }
    for (const s of skip) lines.push(`skipping ${s.workload.id}: ${s.reason}`);
    lines.push(`node/${node} drained`);
    const moved = evict.length - stopped.length;
    const summary =
      evict.length === 0
        ? `Drained ${node}: nothing to evict`
        : `Drained ${node}: ${moved} moved, ${stopped.length} stopped, ${skip.length} left in place`;
    return {
      ok: true,
      summary,
      output: lines.join('\n'),
      ...(stopped.length > 0
        ? {
            warning: `${stopped.map((w) => w.name).join(', ')} ${stopped.length === 1 ? 'was' : 'were'} stopped, not moved: ${stopped.length === 1 ? noRoom(stopped[0]!) : 'no ready node had room'}. Start ${stopped.length === 1 ? 'it' : 'them'} again once a node is free.`,
          }
        : {}),
    };
  }

  /** Like `docker restart`: a crash loop ends (state running) but its restart count stays. */
  restart(id: string, now: number): MutationResult {
    const w = this.workload(id);
    const node = this.node(w.node);
    w.restartCount = this.crashState(w, now)?.restarts ?? w.restartCount;
    w.crashLoop = null;
    const free = this.freeGpus(node, w);
    if (free.length < w.profile.gpus) {
      // The container cannot get its GPUs: the runtime fails before the process starts.
      w.state = 'exited';
      w.lastExitCode = 128;
      w.finishedAt = now;
      const lost = node.gpus.filter((g) => !g.responding).map((g) => g.index);
      const reason =
        lost.length > 0
          ? 'nvidia-container-cli: detection error: nvml error: unknown error'
          : `only ${free.length} of ${w.profile.gpus} GPUs are free`;
      return {
        ok: false,
        summary: `Restart of ${id} failed: ${lost.length > 0 ? `GPU ${lost.join(', ')} not responding` : reason}`,
        output: `Error response from daemon: failed to create task for container: ${reason}: unknown\nError: failed to start containers: ${w.name}`,
      };
    }
    const keep = w.gpuIndices.length === w.profile.gpus && w.gpuIndices.every((i) => free.includes(i));
    w.gpuIndices = keep ? w.gpuIndices : free.slice(0, w.profile.gpus);
    w.state = 'running';
    // Docker resets State.ExitCode when a container starts.
    w.lastExitCode = null;
    w.startedAt = now;
    w.finishedAt = null;
    return { ok: true, summary: `Restarted ${id}`, output: w.name };
  }

  stop(id: string, now: number): MutationResult {
    const w = this.workload(id);
    if (!isActive(w)) return { ok: true, summary: `${id} is already ${w.state}`, output: w.name };
    this.halt(w, now);
    return { ok: true, summary: `Stopped ${id}`, output: w.name };
  }

  private add(w: NewSimWorkload): SimWorkload {
    let id = `${w.node}/${w.name}`;
    let name = w.name;
    for (let n = 2; this.workloads.has(id); n++) {
      name = `${w.name}-${n}`;
      id = `${w.node}/${name}`;
    }
    const full: SimWorkload = { ...w, id, name, created: this.created++ };
    this.workloads.set(id, full);
    return full;
  }

  private halt(w: SimWorkload, now: number): void {
    w.restartCount = this.crashState(w, now)?.restarts ?? w.restartCount;
    if (w.state === 'running') w.lastExitCode = SIGTERM_EXIT;
    w.state = 'stopped';
    w.crashLoop = null;
    w.finishedAt = now;
  }

  /**
   * A ready node other than the workload's own with room for it (less what `taken` reserves);
   * same pool first, then by name.
   */
  private placement(
    w: SimWorkload,
    taken: ReadonlyMap<string, { gpus: number; memMiB: number }> = new Map(),
  ): SimNode | undefined {
    const pool = this.node(w.node).labels.pool;
    return this.nodeNames()
      .map((name) => this.node(name))
      .filter((n) => {
        const t = taken.get(n.name) ?? { gpus: 0, memMiB: 0 };
        return (
          n.name !== w.node &&
          this.state(n) === 'ready' &&
          this.freeGpus(n).length - t.gpus >= w.profile.gpus &&
          n.memTotalMiB - this.memUsedMiB(n) - t.memMiB >= w.profile.memMiB
        );
      })
      .sort((a, b) => Number(b.labels.pool === pool) - Number(a.labels.pool === pool))[0];
  }

  /**
   * A new container on `target`; the old one is removed. A crash loop follows the workload: its
   * cause is in the workload, not the node.
   */
  private move(w: SimWorkload, target: SimNode, now: number): SimWorkload {
    this.workloads.delete(w.id);
    return this.add({
      name: w.name,
      node: target.name,
      profile: w.profile,
      state: w.crashLoop ? 'restarting' : 'running',
      restartCount: 0,
      lastExitCode: w.crashLoop ? w.crashLoop.exitCode : null,
      gpuIndices: this.freeGpus(target).slice(0, w.profile.gpus),
      startedAt: now,
      finishedAt: null,
      crashLoop: w.crashLoop ? { exitCode: w.crashLoop.exitCode, firstExitAt: now } : null,
    });
  }
}

/** Why a workload could not be moved: what it needs, which no ready node has. */
export function noRoom(w: SimWorkload): string {
  return `no ready node has ${plural(w.profile.gpus, 'free GPU')} and ${w.profile.memMiB.toLocaleString('en-US')} MiB of memory`;
}
