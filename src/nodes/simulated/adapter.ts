import type { Clock } from '../../core/clock.ts';
import { BotError } from '../../core/errors.ts';
import { DIAGNOSTIC_COMMANDS } from '../commands.ts';
import { abortableSleep, checkPort, throwIfAborted } from '../errors.ts';
import { checkLogTail, lastLines } from '../logs.ts';
import { parseNvidiaSmiCsv, toGpuHealth } from '../parse/nvidia-smi.ts';
import { PEER_PROBE_TIMEOUT_S, probeConnected, probeRefused, probeTimedOut } from '../peer-probe.ts';
import {
  type CallOptions,
  DIAGNOSTICS,
  type DiagnosticId,
  NODE_CAPABILITIES,
  type NodeAdapter,
  type NodeCapability,
} from '../port.ts';
import { simulatedBundle } from './bundle.ts';
import { Fleet, noRoom } from './fleet.ts';
import { renderWorkloadLog } from './logs.ts';
import type { FleetSnapshot } from './model.ts';
import { loadAverages, renderDiagnostic } from './outputs.ts';
import { seedFleet } from './seed.ts';

export interface SimulatedAdapterOptions {
  readonly clock: Clock;
  readonly name?: string;
  /** Delay added to every call, to see spinners, deadlines and cancellation at work. */
  readonly latencyMs?: number;
  /**
   * Where the fleet's state is kept between runs: `initial` is what the last run left (absent: a
   * fresh seed), `save` is called after every change with the whole state. Without it the fleet
   * lives in memory only.
   */
  readonly saved?: {
    readonly initial?: FleetSnapshot;
    save(snapshot: FleetSnapshot): Promise<void>;
  };
}

/**
 * The demo fleet gpu-node-1…13 (see seed.ts for its faults) behind the NodeAdapter port, peer
 * probes included (gpu-node-6 reaches no peer).
 *
 * With `saved`, every cordon, drain, restart and stop is saved as it happens and a new adapter
 * starts where the last one stopped (the faults keep their times). Without it, state lives in
 * this instance only.
 */
export function createSimulatedAdapter(options: SimulatedAdapterOptions): NodeAdapter {
  const { clock, name = 'simulated', latencyMs = 0, saved } = options;
  const t0 = saved?.initial?.t0 ?? clock.now().getTime();
  const seed = seedFleet(t0);
  const fleet = saved?.initial
    ? Fleet.restore(seed.nodes, saved.initial)
    : new Fleet(seed.nodes, seed.workloads);
  const now = () => clock.now().getTime();

  /** A change: made, then saved before its result is returned, so what was reported survives. */
  async function change<T>(what: string, opts: CallOptions | undefined, act: () => T): Promise<T> {
    const result = await call(what, opts, act);
    await saved?.save({ t0, ...fleet.snapshot() });
    return result;
  }

  /** Every call: refuse if already aborted, wait out the latency, then act (so an abort changes nothing). */
  async function call<T>(what: string, opts: CallOptions | undefined, act: () => T): Promise<T> {
    throwIfAborted(opts?.signal, what);
    if (latencyMs > 0) await abortableSleep(latencyMs, opts?.signal, what);
    throwIfAborted(opts?.signal, what);
    return act();
  }

  const capabilities: ReadonlySet<NodeCapability> = new Set(NODE_CAPABILITIES);

  return {
    name,
    capabilities,

    listNodes: (opts) =>
      call('Listing nodes', opts, () =>
        fleet.nodeNames().map((n) => {
          const node = fleet.node(n);
          return {
            name: n,
            adapter: name,
            state: fleet.state(node),
            // What nvidia-smi lists, like the ssh adapter; expectedGpus says how many it should.
            gpus: node.gpus.filter((g) => g.onBus).length,
            labels: { ...node.labels },
          };
        }),
      ),

    hasNode: (node) => fleet.has(node),
    // The inventory counts the GPUs the node was built with, including one that vanished.
    expectedGpus: (node) => (fleet.has(node) ? fleet.node(node).gpus.length : undefined),

    health: (node, opts) =>
      call(`Health check of ${node}`, opts, () => {
        const n = fleet.node(node);
        const t = now();
        // The GPU part is parsed from the nvidia-smi output itself, so the two cannot disagree.
        const gpus = parseNvidiaSmiCsv(renderDiagnostic(fleet, n, 'gpu', t).stdout).map(toGpuHealth);
        return {
          node,
          state: fleet.state(n),
          uptimeSeconds: Math.max(0, Math.floor((t - n.bootedAt) / 1000)),
          load1: loadAverages(fleet, n)[0],
          memoryUsedMiB: fleet.memUsedMiB(n),
          memoryTotalMiB: n.memTotalMiB,
          gpus,
          checkedAt: new Date(t),
        };
      }),

    diagnose: (node, diagnostic: DiagnosticId, opts) => {
      const started = now();
      return call(`Diagnostic ${diagnostic} on ${node}`, opts, () => {
        // The type says it is allow-listed; this guards callers that skipped validation at the edge.
        if (!Object.hasOwn(DIAGNOSTICS, diagnostic)) {
          throw new BotError('bot.node.unknown_diagnostic', `No diagnostic named ${String(diagnostic)}.`, {
            hint: `Diagnostics: ${Object.keys(DIAGNOSTICS).join(', ')}.`,
          });
        }
        const out = renderDiagnostic(fleet, fleet.node(node), diagnostic, now());
        return { command: DIAGNOSTIC_COMMANDS[diagnostic], ...out, durationMs: Math.max(0, now() - started) };
      });
    },

    collectBundle: (node, since, opts) => {
      const started = now();
      return call(`Diagnostic bundle of ${node}`, opts, () => ({
        node,
        collector: 'standard' as const,
        files: simulatedBundle(fleet, fleet.node(node), since, now()),
        durationMs: Math.max(0, now() - started),
      }));
    },

    // gpu-node-6's egress rule drops what it opens (a timeout); elsewhere the peer answers, with a
    // connection where something listens on the port and a refusal where nothing does.
    probePeer: (node, peer, port, opts) =>
      call(`Probe from ${node} to ${peer}:${port}`, opts, () => {
        const from = fleet.node(node);
        const to = fleet.node(peer);
        checkPort(port);
        if (from.egressDropped && from !== to)
          return probeTimedOut(peer, to.address, port, PEER_PROBE_TIMEOUT_S);
        return fleet.listens(to, port)
          ? probeConnected(peer, to.address, port)
          : probeRefused(peer, to.address, port);
      }),

    listWorkloads: (node, opts) =>
      call(node === undefined ? 'Listing workloads' : `Listing workloads on ${node}`, opts, () => {
        if (node !== undefined) fleet.node(node);
        const t = now();
        return fleet.workloadsOn(node).map((w) => fleet.toWorkload(w, t));
      }),

    cordon: (node, opts) => change(`Cordon of ${node}`, opts, () => fleet.cordon(node)),
    uncordon: (node, opts) => change(`Uncordon of ${node}`, opts, () => fleet.uncordon(node)),

    planDrain: (node, opts) =>
      call(`Drain plan for ${node}`, opts, () => {
        const { evict, skip } = fleet.planDrain(node);
        const placed = fleet.placements(evict);
        const t = now();
        return {
          node,
          evict: evict.map((w) => fleet.toWorkload(w, t)),
          skip: skip.map((s) => ({ workload: fleet.toWorkload(s.workload, t), reason: s.reason })),
          alreadyCordoned: fleet.node(node).cordoned,
          fates: Object.fromEntries(
            evict.map((w) => {
              const to = placed.get(w);
              return [
                w.id,
                to ? { kind: 'moved', to: to.name } : { kind: 'stopped', why: noRoom(w) },
              ] as const;
            }),
          ),
        };
      }),

    drain: (node, opts) => change(`Drain of ${node}`, opts, () => fleet.drain(node, now())),
    restartWorkload: (id, opts) => change(`Restart of ${id}`, opts, () => fleet.restart(id, now())),
    stopWorkload: (id, opts) => change(`Stop of ${id}`, opts, () => fleet.stop(id, now())),

    workloadLogs: (id, tail, opts) => {
      const started = now();
      return call(`Logs of ${id}`, opts, () => {
        checkLogTail(tail);
        const w = fleet.workload(id);
        return {
          // What the SSH adapter's default template runs for this container.
          command: `docker logs --tail ${tail} '${w.name}' 2>&1`,
          exitCode: 0,
          stdout: lastLines(renderWorkloadLog(fleet, w, now()), tail),
          stderr: '',
          durationMs: Math.max(0, now() - started),
        };
      });
    },

    close: async () => {},
  };
}
