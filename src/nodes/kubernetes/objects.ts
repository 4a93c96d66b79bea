import type { V1Node, V1NodeCondition, V1ObjectMeta, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import type { NodeState, Workload } from '../port.ts';
import { parseQuantity } from './quantity.ts';

/**
 * Reading Kubernetes objects as the node port's terms. Pure: no I/O, no clock.
 */

/** The extended resource the NVIDIA device plugin advertises, one unit per GPU. */
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** GPU feature discovery's label for the GPU model, e.g. `NVIDIA-H100-80GB-HBM3`. */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
/** Set by the kubelet on the API copy of a static pod (k8s.io/api core/v1 MirrorPodAnnotationKey). */
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
/** What `kubectl rollout restart` sets on the pod template (kubectl polymorphichelpers/objectrestarter.go). */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export function readyCondition(node: V1Node): V1NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

/**
 * Health first, then scheduling: a NotReady node that is also cordoned reads `not_ready`, since
 * that is what needs attention. Ready=Unknown is what the node controller sets when the kubelet
 * stops posting status, so the control plane has lost the node: `unreachable`.
 */
export function nodeState(node: V1Node): NodeState {
  const ready = readyCondition(node)?.status;
  if (ready === 'Unknown') return 'unreachable';
  if (ready !== 'True') return 'not_ready';
  return node.spec?.unschedulable ? 'cordoned' : 'ready';
}

function wholeQuantity(q: string | undefined): number {
  const n = parseQuantity(q);
  return n === null || n < 0 ? 0 : Math.floor(n);
}

/** GPUs the node has (capacity) and how many the device plugin still offers as healthy (allocatable). */
export function nodeGpus(node: V1Node): { capacity: number; allocatable: number } {
  const capacity = wholeQuantity(node.status?.capacity?.[GPU_RESOURCE]);
  const allocatable = Math.min(capacity, wholeQuantity(node.status?.allocatable?.[GPU_RESOURCE]));
  return { capacity, allocatable };
}

export function podId(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'}`;
}

/** The owner with `controller: true`, as kubectl's metav1.GetControllerOf reads it. */
export function controllerOf(meta: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return meta?.ownerReferences?.find((o) => o.controller === true);
}

export function isMirrorPod(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined;
}

export function isDaemonSetPod(pod: V1Pod): boolean {
  return controllerOf(pod.metadata)?.kind === 'DaemonSet';
}

export function isFinished(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * Terminating pods read `stopped`; finished ones `exited`; a container waiting to come back (crash
 * loop back-off, image pull, creation) reads `restarting`, as does a pod still Pending on its node
 * or in phase Unknown: none of them is doing its work, and each may still come up.
 */
export function podState(pod: V1Pod): Workload['state'] {
  if (pod.metadata?.deletionTimestamp) return 'stopped';
  if (isFinished(pod)) return 'exited';
  const statuses = pod.status?.containerStatuses ?? [];
  if (statuses.some((c) => c.state?.waiting !== undefined || c.state?.terminated !== undefined))
    return 'restarting';
  return pod.status?.phase === 'Running' ? 'running' : 'restarting';
}

/** The exit code people ask about: a container terminated now, else the last termination of the most-restarted one. */
export function podLastExitCode(pod: V1Pod): number | null {
  const statuses = pod.status?.containerStatuses ?? [];
  const now = statuses.find((c) => c.state?.terminated !== undefined)?.state?.terminated?.exitCode;
  if (now !== undefined) return now;
  const last = [...statuses]
    .filter((c) => c.lastState?.terminated !== undefined)
    .sort((a, b) => b.restartCount - a.restartCount)[0];
  return last?.lastState?.terminated?.exitCode ?? null;
}

/** GPUs are an extended resource: set in limits (requests, when given, must equal them). */
export function podGpus(pod: V1Pod): number {
  const of = (c: { resources?: { limits?: Record<string, string>; requests?: Record<string, string> } }) =>
    wholeQuantity(c.resources?.limits?.[GPU_RESOURCE] ?? c.resources?.requests?.[GPU_RESOURCE]);
  const main = (pod.spec?.containers ?? []).reduce((sum, c) => sum + of(c), 0);
  const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map(of));
  return Math.max(main, init);
}

export function toWorkload(pod: V1Pod): Workload {
  return {
    id: podId(pod),
    name: pod.metadata?.name ?? '?',
    node: pod.spec?.nodeName ?? '',
    state: podState(pod),
    restartCount: (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0),
    lastExitCode: podLastExitCode(pod),
    gpus: podGpus(pod),
    system: isDaemonSetPod(pod) || isMirrorPod(pod),
  };
}

export function emptyDirVolumes(pod: V1Pod): string[] {
  return (pod.spec?.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name);
}

export type DrainDecision = { evict: true; warning?: string } | { evict: false; reason: string };

/**
 * What a drain does with one pod, in kubectl drain's filter order (kubectl pkg/drain/filters.go:
 * deleted, DaemonSet, mirror, local storage, unreplicated). Two choices differ from kubectl's
 * defaults on purpose: finished pods are left for their logs (they hold no resources), and
 * emptyDir does not stop the drain (GPU jobs mount /dev/shm as emptyDir) but is warned about.
 */
export function drainDecision(pod: V1Pod): DrainDecision {
  if (pod.metadata?.deletionTimestamp) return { evict: false, reason: 'already terminating' };
  if (isFinished(pod)) {
    return { evict: false, reason: `finished (${pod.status?.phase}): holds no resources, kept for its logs` };
  }
  if (isMirrorPod(pod)) {
    return {
      evict: false,
      reason: 'static (mirror) pod: the kubelet runs it from a manifest on the node; the API cannot move it',
    };
  }
  const owner = controllerOf(pod.metadata);
  if (owner?.kind === 'DaemonSet') {
    return {
      evict: false,
      reason: `DaemonSet pod (${owner.name}): the DaemonSet would put it straight back, so drains leave it`,
    };
  }
  if (!owner) {
    return {
      evict: false,
      reason:
        'no controller: evicting would delete it for good (kubectl drain refuses without --force); stop it explicitly if it must go',
    };
  }
  const scratch = emptyDirVolumes(pod);
  if (scratch.length > 0) {
    return {
      evict: true,
      warning: `${podId(pod)} uses emptyDir (${scratch.join(', ')}): that data is lost with the pod`,
    };
  }
  return { evict: true };
}
