import type { V1Pod } from '@kubernetes/client-node';
import { BotError } from '../../core/errors.ts';
import { throwIfAborted } from '../errors.ts';
import { checkLogTail, lastLines } from '../logs.ts';
import type { CallOptions, CommandResult } from '../port.ts';
import type { AdapterContext } from './context.ts';
import { apiStatus, isApiStatus } from './errors.ts';
import { readPod, workloadUnknownError } from './workloads.ts';

/**
 * The last `tail` lines of one pod's log: `GET …/pods/{pod}/log?container=…&tailLines=…`, the
 * read behind `kubectl logs --tail`.
 *
 * One container, the one `kubectl logs <pod>` shows: the container named by the pod's
 * `kubectl.kubernetes.io/default-container` annotation, else the first in its spec. Sidecars and
 * init containers are not read (the answer's stderr names the others); merging several logs
 * would need timestamps to interleave them, and `tail` lines of each would be more than `tail`.
 *
 * A container waiting to start again (CrashLoopBackOff) has no current log, and the API refuses
 * to read it; the log that says why it crashed is its previous run's, so that one is read
 * (`previous=true`, `kubectl logs --previous`), and stderr says so. Any other refusal (a container
 * still being created, a pod with no containers) is a result with exit code 1 and the API's words
 * on stderr, as kubectl prints them. The API server sends the whole tail: there is no byte cap
 * (`limitBytes` would keep the oldest bytes of it, not the newest).
 */

/** The annotation kubectl reads for `kubectl logs` / `exec` without `-c` (kubectl ≥ 1.21). */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** The container `kubectl logs <pod>` reads, and the pod's other containers. */
export function logContainer(pod: V1Pod): { container: string | undefined; others: string[] } {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const container = annotated !== undefined && names.includes(annotated) ? annotated : names[0];
  return { container, others: names.filter((n) => n !== container) };
}

export async function workloadLogs(
  ctx: AdapterContext,
  id: string,
  tail: number,
  opts?: CallOptions,
): Promise<CommandResult> {
  const started = performance.now();
  const what = `Logs of ${id}`;
  throwIfAborted(opts?.signal, what);
  checkLogTail(tail);
  const pod = await readPod(ctx, id, what, opts);
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  const podPath = `/api/v1/namespaces/${namespace}/pods/${name}`;
  const { container, others } = logContainer(pod);
  const duration = () => Math.max(0, Math.round(performance.now() - started));
  if (container === undefined) {
    return {
      command: `kubernetes: GET ${podPath}`,
      exitCode: 1,
      stdout: '',
      stderr: `pod ${id} has no containers\n`,
      durationMs: duration(),
    };
  }

  const status = pod.status?.containerStatuses?.find((s) => s.name === container);
  const waiting = status?.state?.waiting;
  const last = status?.lastState?.terminated;
  const previous = waiting !== undefined && last !== undefined;
  const query = `container=${container}&tailLines=${tail}${previous ? '&previous=true' : ''}`;
  const command = `kubernetes: GET ${podPath}; GET ${podPath}/log?${query}`;

  const notes: string[] = [];
  if (previous) {
    notes.push(
      `container ${container} is waiting to start again (${waiting.reason ?? 'waiting'}); this is the log of its previous run, which exited ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}${last.finishedAt ? ` at ${new Date(last.finishedAt).toISOString()}` : ''}`,
    );
  }
  if (others.length > 0) {
    notes.push(
      `pod ${id} has ${others.length + 1} containers; this is ${container}'s log, not ${others.join(', ')}'s`,
    );
  }

  let text: string;
  try {
    text = await ctx.client.request(
      {
        what,
        permission: { verb: 'get', resource: 'pods/log' },
        notFound: () => workloadUnknownError(id),
      },
      opts,
      (o) =>
        ctx.client.core.readNamespacedPodLog(
          { name, namespace, container, tailLines: tail, ...(previous ? { previous: true } : {}) },
          o,
        ),
    );
  } catch (err) {
    // 400: the API will not read this container's log now (still being created, never started).
    if (err instanceof BotError && isApiStatus(err.cause, 400)) {
      const said = apiStatus(err.cause).message ?? 'the API refused to read the log';
      return {
        command,
        exitCode: 1,
        stdout: '',
        stderr: [`Error from server (BadRequest): ${said}`, ...notes].map((l) => `${l}\n`).join(''),
        durationMs: duration(),
      };
    }
    throw err;
  }
  return {
    command,
    exitCode: 0,
    stdout: lastLines(typeof text === 'string' ? text : String(text ?? ''), tail),
    stderr: notes.map((l) => `${l}\n`).join(''),
    durationMs: duration(),
  };
}
