import type { V1Node } from '@kubernetes/client-node';
import type { GpuHealth, NodeHealth } from '../port.ts';
import { GPU_PRODUCT_LABEL, nodeGpus, nodeState, readyCondition } from './objects.ts';
import { toMiB } from './quantity.ts';

/** Said on every GPU, so a reader does not take the port's required zeros for readings. */
const NO_TELEMETRY = '[no telemetry via the Kubernetes API]';

/**
 * NodeHealth from a Node object. The port wants numbers the API does not have (GPU temperature,
 * utilization, ECC, load average, boot time): they are 0, or the nearest thing the API has.
 */
export function nodeHealth(node: V1Node, name: string, now: Date, usedMiB: number | null): NodeHealth {
  const { capacity, allocatable } = nodeGpus(node);
  const product = node.metadata?.labels?.[GPU_PRODUCT_LABEL] ?? 'nvidia.com/gpu';
  const ready = readyCondition(node);
  const since = ready?.status === 'True' ? ready.lastTransitionTime : undefined;
  const totalMiB = toMiB(node.status?.capacity?.memory) ?? 0;
  // The device plugin withholds unhealthy GPUs from allocatable; the API does not say which index.
  const gpus: GpuHealth[] = Array.from({ length: capacity }, (_, index) => ({
    index,
    name: `${product} ${NO_TELEMETRY}`,
    temperatureC: 0,
    utilizationPct: 0,
    memoryUsedMiB: 0,
    memoryTotalMiB: 0,
    eccUncorrected: 0,
    responding: index < allocatable,
  }));
  return {
    node: name,
    state: nodeState(node),
    // Time in the Ready state: the closest the API comes to uptime (boot time is not in it).
    uptimeSeconds: since ? Math.max(0, Math.floor((now.getTime() - new Date(since).getTime()) / 1000)) : 0,
    // Load average is not in the API either.
    load1: 0,
    memoryUsedMiB: Math.min(usedMiB ?? 0, totalMiB),
    memoryTotalMiB: totalMiB,
    gpus,
    checkedAt: now,
  };
}
