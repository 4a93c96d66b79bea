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
import { Fleet } from './fleet.ts';
import { renderWorkloadLog } from './logs.ts';
import { loadAverages, renderDiagnostic } from './outputs.ts';
import { seedFleet } from './seed.ts';

export interface SimulatedAdapterOptions {
  readonly clock: Clock;
  readonly name?: string;
  /** Delay added to every call, to see spinners, deadlines and cancellation at work. */
  readonly latencyMs?: number;
}

/**
 * The demo fleet gpu-node-1…8 (see seed.ts for its faults) behind the NodeAdapter port, peer
 * probes included (gpu-node-6 reaches no peer).
 *
 * State lives in memory in this adapter instance: a restart of the bot (a new adapter) brings
 * every fault back and forgets every cordon, drain and restart. That is the point of a demo fleet.
 */
export function createSimulatedAdapter(options: SimulatedAdapterOptions): NodeAdapter {
  const { clock, name = 'simulated', latencyMs = 0 } = options;
  const seed = seedFleet(clock.now().getTime());
  const fleet = new Fleet(seed.nodes, seed.workloads);
  const now = () => clock.now().getTime();

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
            gpus: node.gpus.length,
            labels: { ...node.labels },
          };
        }),
      ),

    hasNode: (node) => fleet.has(node),

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

    cordon: (node, opts) => call(`Cordon of ${node}`, opts, () => fleet.cordon(node)),
    uncordon: (node, opts) => call(`Uncordon of ${node}`, opts, () => fleet.uncordon(node)),

    planDrain: (node, opts) =>
      call(`Drain plan for ${node}`, opts, () => {
        const { evict, skip } = fleet.planDrain(node);
        const t = now();
        return {
          node,
          evict: evict.map((w) => fleet.toWorkload(w, t)),
          skip: skip.map((s) => ({ workload: fleet.toWorkload(s.workload, t), reason: s.reason })),
          alreadyCordoned: fleet.node(node).cordoned,
        };
      }),

    drain: (node, opts) => call(`Drain of ${node}`, opts, () => fleet.drain(node, now())),
    restartWorkload: (id, opts) => call(`Restart of ${id}`, opts, () => fleet.restart(id, now())),
    stopWorkload: (id, opts) => call(`Stop of ${id}`, opts, () => fleet.stop(id, now())),

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
