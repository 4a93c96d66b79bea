import type { GpuHealth, NodeState } from '../port.ts';

/**
 * What the `state` command says about the node's scheduling, in the port's terms. Slurm's `%T`
 * prints `idle`, `mixed`, `allocated`, `drained`, `draining`, `down`, … with a trailing `*` when
 * slurmctld cannot reach the node. An empty answer or a failed command means "no opinion".
 */
export type SchedulerView = 'cordoned' | 'not_ready' | 'ready' | undefined;

export function parseSchedulerState(result: {
  readonly exitCode: number;
  readonly stdout: string;
}): SchedulerView {
  if (result.exitCode !== 0) return undefined;
  const line = result.stdout
    .split(/\r?\n/)
    .map((l) => l.trim().toLowerCase())
    .find((l) => l !== '');
  if (!line) return undefined;
  if (line.includes('drain')) return 'cordoned';
  if (/^(down|fail|inval|not_responding|power(ed)?_down|unk)/.test(line) || line.endsWith('*'))
    return 'not_ready';
  return 'ready';
}

/** Cordoning is what an operator did, so it shows over not_ready, as in the simulated fleet and kubectl. */
export function nodeState(view: SchedulerView, gpus: readonly GpuHealth[]): NodeState {
  if (view === 'cordoned') return 'cordoned';
  if (view === 'not_ready' || gpus.some((g) => !g.responding)) return 'not_ready';
  return 'ready';
}
