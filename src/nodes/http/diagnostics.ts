import { formatDuration } from '../../core/duration.ts';
import { DIAGNOSTIC_COMMANDS } from '../commands.ts';
import type { DiagnosticId } from '../port.ts';
import { gpuCsv, mib, type NodeView, type PoolView, workloadState } from './views.ts';

/**
 * What a control plane's API can say for each allow-listed diagnostic.
 *
 * - `gpu`: the registry's GPU inventory, as nvidia-smi CSV with `[N/A]` for what it does not know
 *   (temperature, utilization, memory used, ECC).
 * - `containers`: the node's pools (the engines it serves), one line each, `<pool> Up (…)` when
 *   ready, in the shape of `docker ps` so triage counts them.
 * - everything else (uptime and load, memory use, dmesg Xid and OOM lines, container restarts,
 *   the NCCL port) needs a shell on the node: the result has exit code 127 (a shell's "command
 *   not found"), empty stdout, and a stderr saying so and what the control plane does know.
 */

/** Exit code of a diagnostic this adapter cannot run: a shell's "command not found". */
export const DIAGNOSTIC_UNAVAILABLE = 127;

export interface Rendered {
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** "status online, registered 3 d 4 h ago, last heartbeat 2 s ago, version 0.1.0". */
export function registryFacts(view: NodeView): string {
  const facts = [`status ${view.deregistered ? 'deregistered by the bot' : view.status}`];
  if (view.registeredAgeMs !== undefined)
    facts.push(`registered ${formatDuration(view.registeredAgeMs)} ago`);
  if (view.heartbeatAgeMs !== undefined) {
    facts.push(`last heartbeat ${formatDuration(view.heartbeatAgeMs)} ago${view.stale ? ' (stale)' : ''}`);
  }
  if (view.version) facts.push(`version ${view.version}`);
  return facts.join(', ');
}

const GIB = 1024 ** 3;

function poolLine(pool: PoolView, node: NodeView): string {
  const state = workloadState(pool, node);
  const word = { running: 'Up', stopped: 'Draining', restarting: 'Starting', exited: 'Not ready' }[state];
  const details: string[] = [];
  if (pool.ready !== undefined) details.push(pool.ready ? 'ready' : 'not ready');
  if (pool.draining || node.draining) details.push('draining');
  if (pool.engine) details.push(`engine ${pool.engine}`);
  if (pool.model) details.push(`model ${pool.model}`);
  if (pool.slotsTotal !== undefined) details.push(`${pool.slotsFree ?? '?'}/${pool.slotsTotal} slots free`);
  if (pool.vramFreeBytes !== undefined)
    details.push(`${(pool.vramFreeBytes / GIB).toFixed(1)} GiB VRAM free`);
  if (pool.activeLeases !== undefined) details.push(`${pool.activeLeases} active leases`);
  return `${pool.id} ${word}${details.length ? ` (${details.join(', ')})` : ''}`;
}

function unavailable(id: DiagnosticId, view: NodeView, adapter: string, known: string): Rendered {
  return {
    command: `not run (needs a shell on the node): ${DIAGNOSTIC_COMMANDS[id]}`,
    exitCode: DIAGNOSTIC_UNAVAILABLE,
    stdout: '',
    stderr: [
      `${id} needs a shell on ${view.name}; adapter ${adapter} only talks to the control plane's HTTP API.`,
      ...(known ? [known] : []),
      `To run it, reach ${view.name} over SSH (an ssh adapter entry for it, or by hand).`,
    ].join('\n'),
  };
}

/**
 * `request` names the read the answer came from (`GET /v2/nodes/gpu-node-3`); `pools` are the
 * node's pools (from its record or the workloads endpoint).
 */
export function renderDiagnostic(
  id: DiagnosticId,
  view: NodeView,
  pools: readonly PoolView[],
  request: string,
  adapter: string,
): Rendered {
  switch (id) {
    case 'gpu':
      return {
        command: `${request} (GPU inventory; nvidia-smi fields the API lacks print [N/A])`,
        exitCode: 0,
        stdout: gpuCsv(view),
        stderr: view.gpus.length ? '' : `The control plane reports no GPUs for ${view.name}.`,
      };
    case 'containers':
      return {
        command: `${request} (pools as containers)`,
        exitCode: 0,
        stdout: pools.map((p) => poolLine(p, view)).join('\n'),
        stderr: pools.length ? '' : `The control plane lists no pools on ${view.name}.`,
      };
    case 'uptime':
      return unavailable(id, view, adapter, `The control plane's view of it: ${registryFacts(view)}.`);
    case 'memory': {
      const parts = [
        ...(view.ramTotalBytes !== undefined
          ? [`${Math.round(mib(view.ramTotalBytes) / 1024)} GiB of RAM`]
          : []),
        ...(view.cpuCores !== undefined ? [`${view.cpuCores} CPU cores`] : []),
      ];
      return unavailable(
        id,
        view,
        adapter,
        parts.length ? `The control plane reports ${parts.join(' and ')}, not how much is in use.` : '',
      );
    }
    default:
      return unavailable(id, view, adapter, '');
  }
}
