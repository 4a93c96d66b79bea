import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import { BotError } from '../../core/errors.ts';
import type { Logger } from '../../logger.ts';
import { invalidNodeNameError, unknownNodeError } from '../errors.ts';
import { isValidNodeName } from '../node-names.ts';
import type { CallOptions } from '../port.ts';
import type { KubeClient } from './client.ts';
import type { MemoryUsage } from './diagnostics.ts';
import { toMiB } from './quantity.ts';

/** What every part of one adapter instance shares. */
export interface AdapterContext {
  readonly name: string;
  readonly client: KubeClient;
  readonly namespace: string | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Node names seen by the last listing or read: what `hasNode` answers from. */
  readonly known: Set<string>;
}

/** GET /api/v1/nodes/{name}; a 404 is "unknown node" and drops the name from the cache. */
export async function readNode(
  ctx: AdapterContext,
  node: string,
  what: string,
  opts?: CallOptions,
): Promise<V1Node> {
  if (!isValidNodeName(node)) throw invalidNodeNameError(node);
  const found = await ctx.client.request(
    {
      what,
      permission: { verb: 'get', resource: 'nodes' },
      notFound: () => {
        ctx.known.delete(node);
        return unknownNodeError(node);
      },
    },
    opts,
    (o) => ctx.client.core.readNode({ name: node }, o),
  );
  ctx.known.add(node);
  return found;
}

/** The API path a pod listing reads, for the record in CommandResult.command. */
export function podsPath(ctx: AdapterContext, node?: string): string {
  const base = ctx.namespace ? `/api/v1/namespaces/${ctx.namespace}/pods` : '/api/v1/pods';
  return node ? `${base}?fieldSelector=spec.nodeName=${node}` : base;
}

/** Pods on `node` (all of them when absent), in the adapter's namespace if it has one. */
export async function listPods(
  ctx: AdapterContext,
  node: string | undefined,
  what: string,
  opts?: CallOptions,
): Promise<V1Pod[]> {
  // The same field selector kubectl drain uses (kubectl pkg/drain/drain.go GetPodsForDeletion).
  const fieldSelector = node ? `spec.nodeName=${node}` : undefined;
  const list = await ctx.client.request(
    { what, permission: { verb: 'list', resource: 'pods' } },
    opts,
    (o) =>
      ctx.namespace
        ? ctx.client.core.listNamespacedPod({ namespace: ctx.namespace, fieldSelector }, o)
        : ctx.client.core.listPodForAllNamespaces({ fieldSelector }, o),
  );
  return list.items;
}

export function eventsPath(node: string): string {
  return `/api/v1/events?fieldSelector=involvedObject.kind=Node,involvedObject.name=${node}`;
}

/** Events about the node object itself (kubelet, node-problem-detector, node controller). */
export async function listNodeEvents(
  ctx: AdapterContext,
  node: string,
  what: string,
  opts?: CallOptions,
): Promise<CoreV1Event[]> {
  const list = await ctx.client.request(
    { what, permission: { verb: 'list', resource: 'events' } },
    opts,
    (o) =>
      ctx.client.core.listEventForAllNamespaces(
        { fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node}` },
        o,
      ),
  );
  return list.items;
}

export function metricsPath(node: string): string {
  return `/apis/metrics.k8s.io/v1beta1/nodes/${node}`;
}

/**
 * Memory in use from metrics-server (metrics.k8s.io NodeMetrics `usage.memory`, the working set).
 * Optional: a cluster without metrics-server, or RBAC without it, gets "unknown" and a reason.
 * Only a cancellation propagates; a slow or absent metrics API must not fail a health check.
 */
export async function readMemoryUsage(
  ctx: AdapterContext,
  node: string,
  opts?: CallOptions,
): Promise<MemoryUsage> {
  try {
    const metrics = (await ctx.client.request(
      {
        what: `Reading metrics of ${node}`,
        permission: { verb: 'get', resource: 'nodes', group: 'metrics.k8s.io' },
        notFound: () =>
          new BotError('bot.node.no_metrics', 'metrics.k8s.io is not served (no metrics-server)'),
      },
      opts,
      (o) =>
        ctx.client.custom.getClusterCustomObject(
          { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes', name: node },
          o,
        ),
    )) as { usage?: { memory?: string } };
    const mib = toMiB(metrics.usage?.memory);
    return mib === null ? { unavailable: 'metrics.k8s.io gave no memory usage' } : { mib };
  } catch (err) {
    if (err instanceof BotError && err.code === 'bot.node.aborted') throw err;
    const reason =
      err instanceof BotError && err.code === 'bot.node.no_metrics'
        ? err.message
        : `metrics.k8s.io: ${err instanceof Error ? err.message : String(err)}`;
    ctx.logger.debug({ adapter: ctx.name, node, err }, 'node metrics unavailable');
    return { unavailable: reason };
  }
}
