import { type ContainerState, parseContainerRestarts, parseDockerPs } from '../parse/docker.ts';
import type { DrainPlan, Workload } from '../port.ts';

/**
 * Containers, as the `containers` and `container-restarts` diagnostics print them, in the port's
 * terms. Docker does not say how many GPUs a container holds in those two outputs, so `gpus` is 0.
 */

/** Node agents seen on GPU hosts; a drain leaves them, as Kubernetes leaves DaemonSet pods. */
export const DEFAULT_SYSTEM_WORKLOADS = ['dcgm-exporter*', 'node-exporter*', 'cadvisor*'] as const;

export function systemMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map(
    (p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`),
  );
  return (name) => res.some((re) => re.test(name));
}

const STATE: Readonly<Record<ContainerState, Workload['state']>> = {
  running: 'running',
  restarting: 'restarting',
  exited: 'exited',
  dead: 'exited',
  unknown: 'exited',
  created: 'stopped',
  paused: 'stopped',
};

export function toWorkloads(
  node: string,
  ps: string,
  restarts: string,
  isSystem: (name: string) => boolean,
): Workload[] {
  const counts = new Map(parseContainerRestarts(restarts).map((r) => [r.name, r]));
  return parseDockerPs(ps).map((c) => {
    const r = counts.get(c.name);
    const state = STATE[c.state];
    // Docker resets State.ExitCode when a container starts, so a running one has no last exit.
    const lastExitCode =
      state === 'running' || c.state === 'created' ? null : (c.exitCode ?? r?.lastExitCode ?? null);
    return {
      id: `${node}/${c.name}`,
      name: c.name,
      node,
      state,
      restartCount: r?.restartCount ?? 0,
      lastExitCode,
      gpus: 0,
      system: isSystem(c.name),
    };
  });
}

export function planFor(node: string, workloads: readonly Workload[], alreadyCordoned: boolean): DrainPlan {
  const evict: Workload[] = [];
  const skip: { workload: Workload; reason: string }[] = [];
  for (const w of workloads) {
    if (w.system) skip.push({ workload: w, reason: 'system workload (node agent): drains leave it' });
    else if (w.state !== 'running' && w.state !== 'restarting')
      skip.push({ workload: w, reason: `not running (${w.state})` });
    else evict.push(w);
  }
  return { node, evict, skip, alreadyCordoned };
}
