import { PatchStrategy, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node';
import { BotError } from '../../core/errors.ts';
import { throwIfAborted } from '../errors.ts';
import type { CallOptions, MutationResult } from '../port.ts';
import { FIELD_MANAGER } from './client.ts';
import type { AdapterContext } from './context.ts';
import { stamp } from './format.ts';
import { controllerOf, isMirrorPod, RESTARTED_AT_ANNOTATION } from './objects.ts';

/**
 * Restart and stop of one pod, named `<namespace>/<pod>`.
 *
 * restart = `kubectl rollout restart` of what owns the pod: the Deployment (pod → ReplicaSet →
 * Deployment) or StatefulSet gets a new `kubectl.kubernetes.io/restartedAt` on its pod template
 * and replaces its pods one by one, as its rollout strategy says. A DaemonSet pod, or a pod of a
 * ReplicaSet no Deployment owns, is deleted alone: its controller recreates it. Anything else
 * (a bare pod, a Job, an operator's custom resource) is refused: nothing the bot knows would bring it back.
 *
 * stop = delete that one pod, gracefully. Scaling its owner to 0 was rejected: it stops every
 * replica on every node, which is not what the preview of "stop <pod>" promised. The result says
 * when a controller will start a replacement, and how to keep it stopped.
 */

export function workloadUnknownError(id: string, why?: string): BotError {
  return new BotError('bot.workload.unknown', `No workload with id ${id}${why ? ` (${why})` : ''}.`, {
    hint: 'On Kubernetes a workload id is `<namespace>/<pod>`; list them with `/workload list --node <node>`.',
  });
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function parseWorkloadId(ctx: AdapterContext, id: string): { namespace: string; name: string } {
  const [namespace = '', name = '', ...rest] = id.split('/');
  if (rest.length > 0 || !NAMESPACE.test(namespace) || !POD_NAME.test(name)) throw workloadUnknownError(id);
  if (ctx.namespace && namespace !== ctx.namespace) {
    throw workloadUnknownError(id, `adapter ${ctx.name} only manages namespace ${ctx.namespace}`);
  }
  return { namespace, name };
}

export async function readPod(
  ctx: AdapterContext,
  id: string,
  what: string,
  opts?: CallOptions,
): Promise<V1Pod> {
  const { namespace, name } = parseWorkloadId(ctx, id);
  return ctx.client.request(
    { what, permission: { verb: 'get', resource: 'pods' }, notFound: () => workloadUnknownError(id) },
    opts,
    (o) => ctx.client.core.readNamespacedPod({ name, namespace }, o),
  );
}

async function deletePod(
  ctx: AdapterContext,
  pod: V1Pod,
  what: string,
  opts?: CallOptions,
): Promise<boolean> {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? 'default';
  try {
    await ctx.client.request(
      {
        what,
        permission: { verb: 'delete', resource: 'pods' },
        notFound: () => new BotError('bot.node.gone', `${namespace}/${name} is already gone`),
      },
      opts,
      (o) => ctx.client.core.deleteNamespacedPod({ name, namespace }, o),
    );
    return true;
  } catch (err) {
    if (err instanceof BotError && err.code === 'bot.node.gone') return false;
    throw err;
  }
}

function refuse(summary: string, output: string): MutationResult {
  return { ok: false, summary, output };
}

/** The restartedAt patch, as `kubectl rollout restart` sends it: a strategic merge patch on the template. */
function restartPatch(now: Date) {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: stamp(now) } } } } };
}

async function rolloutRestart(
  ctx: AdapterContext,
  kind: 'Deployment' | 'StatefulSet',
  namespace: string,
  name: string,
  what: string,
  opts?: CallOptions,
): Promise<MutationResult> {
  const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
  const read = {
    what,
    permission: { verb: 'get', resource, group: 'apps' },
    notFound: () =>
      new BotError(
        'bot.workload.unknown',
        `The ${kind} ${namespace}/${name} that owns the pod no longer exists.`,
      ),
  };
  const owner =
    kind === 'Deployment'
      ? await ctx.client.request(read, opts, (o) =>
          ctx.client.apps.readNamespacedDeployment({ name, namespace }, o),
        )
      : await ctx.client.request(read, opts, (o) =>
          ctx.client.apps.readNamespacedStatefulSet({ name, namespace }, o),
        );
  const ref = `${resource.slice(0, -1)}.apps/${name}`;
  if (kind === 'Deployment' && (owner.spec as { paused?: boolean } | undefined)?.paused) {
    // kubectl refuses the same: a paused Deployment would not roll.
    return refuse(
      `Restart refused: deployment ${namespace}/${name} is paused`,
      `error: ${ref}: can't restart paused deployment (run rollout resume first)`,
    );
  }
  const body = restartPatch(ctx.clock.now());
  const patch = {
    what,
    permission: { verb: 'patch', resource, group: 'apps' },
    patch: PatchStrategy.StrategicMergePatch,
  };
  if (kind === 'Deployment') {
    await ctx.client.request(patch, opts, (o) =>
      ctx.client.apps.patchNamespacedDeployment({ name, namespace, body, fieldManager: FIELD_MANAGER }, o),
    );
  } else {
    await ctx.client.request(patch, opts, (o) =>
      ctx.client.apps.patchNamespacedStatefulSet({ name, namespace, body, fieldManager: FIELD_MANAGER }, o),
    );
  }
  const replicas = owner.spec?.replicas ?? 1;
  return {
    ok: true,
    summary: `Rollout restart of ${kind.toLowerCase()} ${namespace}/${name}: its ${replicas === 1 ? 'pod is' : `${replicas} pods are`} replaced one by one`,
    output: `${ref} restarted`,
  };
}

async function deploymentOf(
  ctx: AdapterContext,
  namespace: string,
  rs: V1OwnerReference,
  what: string,
  opts?: CallOptions,
): Promise<string | undefined> {
  const replicaSet = await ctx.client.request(
    {
      what,
      permission: { verb: 'get', resource: 'replicasets', group: 'apps' },
      notFound: () => new BotError('bot.node.gone', `replicaset ${namespace}/${rs.name} is gone`),
    },
    opts,
    (o) => ctx.client.apps.readNamespacedReplicaSet({ name: rs.name, namespace }, o),
  );
  const owner = controllerOf(replicaSet.metadata);
  return owner?.kind === 'Deployment' ? owner.name : undefined;
}

export async function restartWorkload(
  ctx: AdapterContext,
  id: string,
  opts?: CallOptions,
): Promise<MutationResult> {
  const what = `Restart of ${id}`;
  throwIfAborted(opts?.signal, what);
  const pod = await readPod(ctx, id, what, opts);
  const namespace = pod.metadata?.namespace ?? 'default';
  if (isMirrorPod(pod)) {
    return refuse(
      `Restart refused: ${id} is a static pod`,
      'the kubelet runs it from a manifest file on the node; restart it there (or with the ssh adapter)',
    );
  }
  const owner = controllerOf(pod.metadata);
  if (owner?.kind === 'ReplicaSet') {
    const deployment = await deploymentOf(ctx, namespace, owner, what, opts).catch((err: unknown) => {
      if (err instanceof BotError && err.code === 'bot.node.gone') return undefined;
      throw err;
    });
    if (deployment) return rolloutRestart(ctx, 'Deployment', namespace, deployment, what, opts);
  }
  if (owner?.kind === 'StatefulSet')
    return rolloutRestart(ctx, 'StatefulSet', namespace, owner.name, what, opts);
  if (owner?.kind === 'ReplicaSet' || owner?.kind === 'DaemonSet') {
    const deleted = await deletePod(ctx, pod, what, opts);
    return {
      ok: true,
      summary: `Restarted ${id}: deleted it; its ${owner.kind} ${owner.name} creates a fresh one${owner.kind === 'DaemonSet' ? ' on the same node' : ''}`,
      output: deleted
        ? `pod "${pod.metadata?.name}" deleted`
        : `pod "${pod.metadata?.name}" was already gone`,
    };
  }
  return refuse(
    `Restart refused: ${id} ${owner ? `is owned by ${owner.kind} ${owner.name}` : 'has no controller'}`,
    owner
      ? `the bot restarts pods of Deployments, StatefulSets, DaemonSets and ReplicaSets only; restart this one through the ${owner.kind}'s own tooling`
      : 'nothing would recreate it after a delete; recreate it from its manifest instead',
  );
}

export async function stopWorkload(
  ctx: AdapterContext,
  id: string,
  opts?: CallOptions,
): Promise<MutationResult> {
  const what = `Stop of ${id}`;
  throwIfAborted(opts?.signal, what);
  const pod = await readPod(ctx, id, what, opts);
  if (pod.metadata?.deletionTimestamp) {
    return {
      ok: true,
      summary: `${id} is already terminating`,
      output: `pod "${pod.metadata.name}" already terminating`,
    };
  }
  if (isMirrorPod(pod)) {
    return refuse(
      `Stop refused: ${id} is a static pod`,
      'the kubelet runs it from a manifest file on the node and recreates it at once; remove the manifest there',
    );
  }
  const owner = controllerOf(pod.metadata);
  if (owner?.kind === 'DaemonSet') {
    return refuse(
      `Stop refused: ${id} belongs to DaemonSet ${owner.name}, which would recreate it on the same node at once`,
      'use restart to replace it, or change the DaemonSet (nodeSelector, tolerations) to keep it off this node',
    );
  }
  const deleted = await deletePod(ctx, pod, what, opts);
  const name = pod.metadata?.name ?? '';
  const replacement = owner
    ? `; its ${owner.kind} ${owner.name} will start a replacement (elsewhere if this node is cordoned). To keep it stopped, scale the ${owner.kind} down: the bot does not, as that stops every replica`
    : '';
  return {
    ok: true,
    summary: deleted ? `Stopped ${id}${replacement}` : `${id} was already gone`,
    output: deleted ? `pod "${name}" deleted` : `pod "${name}" not found`,
  };
}
