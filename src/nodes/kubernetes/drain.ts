import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { BotError } from '../../core/errors.ts';
import { plural } from '../../core/text.ts';
import { abortableSleep } from '../errors.ts';
import type { CallOptions, DrainPlan, MutationResult, Workload } from '../port.ts';
import { type AdapterContext, listPods } from './context.ts';
import { apiStatus } from './errors.ts';
import { drainDecision, podId, toWorkload } from './objects.ts';

/** A drain plan plus what the preview should warn about; `warnings` is not (yet) in the port. */
export interface KubernetesDrainPlan extends DrainPlan {
  readonly warnings: readonly string[];
}

export interface PlannedDrain {
  readonly plan: KubernetesDrainPlan;
  readonly evictPods: readonly V1Pod[];
}

export function planFromPods(name: string, alreadyCordoned: boolean, pods: readonly V1Pod[]): PlannedDrain {
  const evict: Workload[] = [];
  const evictPods: V1Pod[] = [];
  const skip: { workload: Workload; reason: string }[] = [];
  const warnings: string[] = [];
  const sorted = [...pods].sort((a, b) => podId(a).localeCompare(podId(b)));
  for (const pod of sorted) {
    const decision = drainDecision(pod);
    if (decision.evict) {
      evict.push(toWorkload(pod));
      evictPods.push(pod);
      if (decision.warning) warnings.push(decision.warning);
    } else {
      skip.push({ workload: toWorkload(pod), reason: decision.reason });
    }
  }
  return {
    plan: { node: name, evict, skip, alreadyCordoned, warnings },
    evictPods,
  };
}

/** The HTTP status behind a BotError the client wrapper built from an ApiException. */
function apiCode(err: unknown): { code: number; message: string } | undefined {
  if (!(err instanceof BotError) || !(err.cause instanceof ApiException)) return undefined;
  return { code: err.cause.code, message: apiStatus(err.cause).message ?? err.message };
}

type Outcome =
  | { kind: 'evicted'; pod: V1Pod; refusals: number }
  | { kind: 'gone'; pod: V1Pod }
  | { kind: 'blocked'; pod: V1Pod; refusals: number; message: string }
  | { kind: 'failed'; pod: V1Pod; message: string };

export interface DrainTiming {
  /** performance.now() after which refused evictions are not retried and termination is not awaited. */
  readonly deadline: number;
  readonly retryMs: number;
  /** Whether to wait for evicted pods to be gone (pointless when the node's kubelet is not Ready). */
  readonly awaitTermination: boolean;
}

/**
 * POST /api/v1/namespaces/{ns}/pods/{name}/eviction (policy/v1 Eviction). The API answers 201 when
 * it evicts, 429 while a PodDisruptionBudget allows no disruption (retried until the deadline, as
 * kubectl drain does every 5 s), 500 when PDBs are misconfigured (e.g. two select the pod), 404
 * when the pod is already gone (kubernetes.io docs "API-initiated Eviction").
 */
async function evict(
  ctx: AdapterContext,
  pod: V1Pod,
  timing: DrainTiming,
  opts?: CallOptions,
): Promise<Outcome> {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? 'default';
  const id = podId(pod);
  let refusals = 0;
  for (;;) {
    try {
      await ctx.client.request(
        {
          what: `Eviction of ${id}`,
          permission: { verb: 'create', resource: 'pods/eviction' },
          notFound: () => new BotError('bot.node.gone', `${id} is already gone`),
        },
        opts,
        (o) =>
          ctx.client.core.createNamespacedPodEviction(
            {
              name,
              namespace,
              body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
            },
            o,
          ),
      );
      return { kind: 'evicted', pod, refusals };
    } catch (err) {
      if (err instanceof BotError && err.code === 'bot.node.gone') return { kind: 'gone', pod };
      if (err instanceof BotError && err.code === 'bot.node.forbidden')
        return { kind: 'failed', pod, message: err.message };
      const api = apiCode(err);
      // Transport failures and a rejected token end the drain; an answer about this pod does not.
      if (!api || (err as BotError).code !== 'bot.node.api_error') throw err;
      if (api.code !== 429) return { kind: 'failed', pod, message: `${api.code}: ${api.message}` };
      refusals++;
      const left = timing.deadline - performance.now();
      if (left <= 0) return { kind: 'blocked', pod, refusals, message: api.message };
      await abortableSleep(Math.min(timing.retryMs, left), opts?.signal, `Drain (eviction of ${id})`);
    }
  }
}

/** Runs `work` over `items`, at most `limit` at a time; the first throw rejects the whole. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Evictions in flight at once: kubectl drain sends them all; a bound keeps a big node polite to the API. */
const EVICTION_CONCURRENCY = 8;

/** Evicts every pod; when one eviction throws (API gone, caller gave up), the others stop too. */
async function evictAll(
  ctx: AdapterContext,
  pods: readonly V1Pod[],
  timing: DrainTiming,
  opts?: CallOptions,
): Promise<Outcome[]> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts?.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts?.signal?.aborted) stop.abort();
  try {
    return await pool(pods, EVICTION_CONCURRENCY, (p) => evict(ctx, p, timing, { signal: stop.signal }));
  } catch (err) {
    stop.abort();
    throw err;
  } finally {
    opts?.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Waits until the evicted pods have left the node (kubectl drain waits for deletion too), polling
 * every retry interval until the deadline. Returns the ids still there.
 */
async function awaitTermination(
  ctx: AdapterContext,
  node: string,
  evicted: readonly V1Pod[],
  timing: DrainTiming,
  opts?: CallOptions,
): Promise<string[]> {
  const uids = new Set(evicted.map((p) => p.metadata?.uid));
  for (;;) {
    const pods = await listPods(ctx, node, `Drain of ${node} (waiting for pods to terminate)`, opts);
    // A StatefulSet replacement keeps the name but not the uid: only the old uid counts.
    const left = pods.filter((p) => uids.has(p.metadata?.uid)).map(podId);
    const remaining = timing.deadline - performance.now();
    if (left.length === 0 || remaining <= 0) return left;
    await abortableSleep(Math.min(timing.retryMs, remaining), opts?.signal, `Drain of ${node}`);
  }
}

export async function runDrain(
  ctx: AdapterContext,
  name: string,
  cordonLine: string,
  timing: DrainTiming,
  opts?: CallOptions,
): Promise<MutationResult> {
  const pods = await listPods(ctx, name, `Drain of ${name}`, opts);
  const { plan, evictPods } = planFromPods(name, true, pods);
  const lines = [cordonLine, ...plan.warnings.map((w) => `warning: ${w}`)];
  for (const p of evictPods) lines.push(`evicting pod ${podId(p)}`);

  const outcomes = await evictAll(ctx, evictPods, timing, opts);
  const evicted = outcomes.filter((o) => o.kind === 'evicted').map((o) => o.pod);
  for (const o of outcomes) {
    const id = podId(o.pod);
    if (o.kind === 'evicted') {
      lines.push(
        `pod ${id} evicted${o.refusals ? ` (a PodDisruptionBudget refused it ${plural(o.refusals, 'time')} first)` : ''}`,
      );
    } else if (o.kind === 'gone') {
      lines.push(`pod ${id} already gone`);
    } else if (o.kind === 'blocked') {
      lines.push(
        `pod ${id} NOT evicted: ${o.message} (refused ${plural(o.refusals, 'time')} until the drain timeout)`,
      );
    } else {
      lines.push(`pod ${id} NOT evicted: ${o.message}`);
    }
  }
  let terminating: string[] = [];
  if (evicted.length && timing.awaitTermination) {
    terminating = await awaitTermination(ctx, name, evicted, timing, opts);
    for (const id of terminating) lines.push(`pod ${id} still terminating at the drain timeout`);
  } else if (evicted.length) {
    lines.push(
      `not waiting for evicted pods to terminate: the kubelet of ${name} is not Ready, so it cannot confirm they stopped (force-delete them if the node is gone for good)`,
    );
  }
  for (const s of plan.skip) lines.push(`skipping ${s.workload.id}: ${s.reason}`);

  const blocked = outcomes.filter((o) => o.kind === 'blocked').length;
  const failed = outcomes.filter((o) => o.kind === 'failed').length;
  const moved = outcomes.length - blocked - failed;
  const ok = blocked === 0 && failed === 0;
  lines.push(ok ? `node/${name} drained` : `node/${name} NOT fully drained`);
  if (ctx.namespace)
    lines.push(`(only namespace ${ctx.namespace} was drained: this adapter is limited to it)`);

  const parts = [`${moved} evicted`];
  if (blocked) parts.push(`${blocked} blocked by a PodDisruptionBudget`);
  if (failed) parts.push(`${failed} failed`);
  if (terminating.length) parts.push(`${terminating.length} still terminating`);
  parts.push(`${plan.skip.length} left in place`);
  const summary =
    evictPods.length === 0
      ? `Drained ${name}: nothing to evict, ${plan.skip.length} left in place`
      : `${ok ? 'Drained' : 'Drain incomplete on'} ${name}: ${parts.join(', ')}`;
  return { ok, summary, output: lines.join('\n') };
}
