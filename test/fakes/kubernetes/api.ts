import type { Json } from './builders.ts';
import { APPS_KINDS, type AppsKind, type FakeCluster, key, logKey } from './cluster.ts';
import { applyPatch, PatchError } from './patch.ts';

/**
 * The REST surface of the fake: paths, verbs, field and label selectors, Status errors, written
 * after the real API server. Each route says which RBAC verb and resource it needs, so a test can
 * forbid exactly one of them.
 */

export interface Answer {
  readonly status: number;
  /** JSON, or the text itself when `contentType` is set (a pod's log). */
  readonly body: unknown;
  readonly contentType?: string;
}

/** A `Status` object, the body of every API error. */
export function statusBody(code: number, reason: string, message: string, details?: Json): Json {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

export function notFound(resource: string, name: string, group = ''): Answer {
  return {
    status: 404,
    body: statusBody(404, 'NotFound', `${group ? `${resource}.${group}` : resource} "${name}" not found`, {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    }),
  };
}

export const NO_ROUTE: Answer = {
  status: 404,
  body: statusBody(404, 'NotFound', 'the server could not find the requested resource'),
};

export interface Route {
  readonly verb: string;
  /** RBAC resource, with subresource: `pods/eviction`. */
  readonly resource: string;
  readonly group: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly handle: () => Answer;
}

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType: string;
  readonly body: unknown;
}

type Selector = { field: string; op: '=' | '!='; value: string }[];

/** Field selectors each resource supports (a subset of the API server's, enough for clients like this one). */
const FIELDS: Record<string, readonly string[]> = {
  pods: ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase', 'spec.restartPolicy'],
  events: [
    'involvedObject.kind',
    'involvedObject.name',
    'involvedObject.namespace',
    'involvedObject.uid',
    'reason',
    'type',
    'source',
    'metadata.name',
    'metadata.namespace',
  ],
  nodes: ['metadata.name', 'spec.unschedulable'],
};

class BadRequest extends Error {}

function parseSelector(text: string | null): Selector {
  if (!text) return [];
  return text.split(',').map((term) => {
    const m = /^([^=!]+?)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw new BadRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    return { field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
  });
}

function fieldValue(obj: Json, field: string): string {
  if (field === 'source') return String(obj.source?.component ?? '');
  let v: any = obj;
  for (const part of field.split('.')) v = v?.[part];
  return v === undefined || v === null ? '' : String(v);
}

function byFields(resource: string, text: string | null): (obj: Json) => boolean {
  const terms = parseSelector(text);
  for (const t of terms) {
    if (!FIELDS[resource]?.includes(t.field)) throw new BadRequest(`field label not supported: ${t.field}`);
  }
  return (obj) => terms.every((t) => (fieldValue(obj, t.field) === t.value) === (t.op === '='));
}

function byLabels(text: string | null): (obj: Json) => boolean {
  if (!text) return () => true;
  const terms = text.split(',').map((t) => t.trim());
  return (obj) => {
    const labels: Record<string, string> = obj.metadata?.labels ?? {};
    return terms.every((t) => {
      const m = /^([^=!]+?)(==|=|!=)(.*)$/.exec(t);
      if (m) return (labels[m[1]!.trim()] === m[3]!.trim()) === (m[2] !== '!=');
      if (t.startsWith('!')) return !(t.slice(1) in labels);
      return t in labels;
    });
  };
}

function list(kind: string, apiVersion: string, rv: string, items: Json[]): Answer {
  const sorted = [...items].sort((a, b) =>
    key(a.metadata.namespace ?? '', a.metadata.name).localeCompare(
      key(b.metadata.namespace ?? '', b.metadata.name),
    ),
  );
  return { status: 200, body: { kind, apiVersion, metadata: { resourceVersion: rv }, items: sorted } };
}

function ok(body: unknown, status = 200): Answer {
  return { status, body: structuredClone(body) };
}

const APPS_KIND_NAMES: Record<AppsKind, string> = {
  deployments: 'Deployment',
  replicasets: 'ReplicaSet',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
};

export class Api {
  constructor(
    private readonly cluster: FakeCluster,
    private readonly now: () => string,
  ) {}

  /** The route for a request, or undefined when no resource lives at that path. */
  route(req: ApiRequest): Route | undefined {
    const { method, path, query } = req;
    const c = this.cluster;

    const guarded = (fn: () => Answer) => () => {
      try {
        return fn();
      } catch (err) {
        if (err instanceof BadRequest)
          return { status: 400, body: statusBody(400, 'BadRequest', err.message) };
        throw err;
      }
    };

    if (path === '/api/v1/nodes' && method === 'GET') {
      return {
        verb: 'list',
        resource: 'nodes',
        group: '',
        handle: guarded(() => {
          const f = byFields('nodes', query.get('fieldSelector'));
          const l = byLabels(query.get('labelSelector'));
          return list(
            'NodeList',
            'v1',
            c.resourceVersion(),
            [...c.nodes.values()].filter((n) => f(n) && l(n)),
          );
        }),
      };
    }
    const nodeItem = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
    if (nodeItem) {
      const name = decodeURIComponent(nodeItem[1]!);
      if (method === 'GET') {
        return {
          verb: 'get',
          resource: 'nodes',
          group: '',
          name,
          handle: () => {
            const node = c.nodes.get(name);
            return node ? ok(node) : notFound('nodes', name);
          },
        };
      }
      if (method === 'PATCH') {
        return {
          verb: 'patch',
          resource: 'nodes',
          group: '',
          name,
          handle: () => this.patch(c.nodes, name, name, 'nodes', '', req),
        };
      }
    }
    const podList = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/pods$/.exec(path);
    if (podList && method === 'GET') {
      const namespace = podList[1] ? decodeURIComponent(podList[1]) : undefined;
      return {
        verb: 'list',
        resource: 'pods',
        group: '',
        ...(namespace ? { namespace } : {}),
        handle: guarded(() => {
          const f = byFields('pods', query.get('fieldSelector'));
          const l = byLabels(query.get('labelSelector'));
          const items = [...c.pods.values()].filter(
            (p) => (!namespace || p.metadata.namespace === namespace) && f(p) && l(p),
          );
          return list('PodList', 'v1', c.resourceVersion(), items);
        }),
      };
    }
    const podLog = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(path);
    if (podLog && method === 'GET') {
      const namespace = decodeURIComponent(podLog[1]!);
      const name = decodeURIComponent(podLog[2]!);
      return {
        verb: 'get',
        resource: 'pods/log',
        group: '',
        namespace,
        name,
        handle: () => this.log(namespace, name, query),
      };
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/eviction)?$/.exec(path);
    if (m) {
      const namespace = decodeURIComponent(m[1]!);
      const name = decodeURIComponent(m[2]!);
      if (m[3] && method === 'POST') {
        return {
          verb: 'create',
          resource: 'pods/eviction',
          group: '',
          namespace,
          name,
          handle: () => this.evict(namespace, name, req.body),
        };
      }
      if (!m[3] && method === 'GET') {
        return {
          verb: 'get',
          resource: 'pods',
          group: '',
          namespace,
          name,
          handle: () => {
            const pod = c.pods.get(key(namespace, name));
            return pod ? ok(pod) : notFound('pods', name);
          },
        };
      }
      if (!m[3] && method === 'DELETE') {
        return {
          verb: 'delete',
          resource: 'pods',
          group: '',
          namespace,
          name,
          handle: () => {
            const pod = c.deletePod(namespace, name);
            return pod ? ok(pod) : notFound('pods', name);
          },
        };
      }
    }
    const eventList = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/events$/.exec(path);
    if (eventList && method === 'GET') {
      const namespace = eventList[1] ? decodeURIComponent(eventList[1]) : undefined;
      return {
        verb: 'list',
        resource: 'events',
        group: '',
        ...(namespace ? { namespace } : {}),
        handle: guarded(() => {
          const f = byFields('events', query.get('fieldSelector'));
          const items = c.events.filter((e) => (!namespace || e.metadata.namespace === namespace) && f(e));
          return list('EventList', 'v1', c.resourceVersion(), items);
        }),
      };
    }
    const apps = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(path);
    if (apps) {
      const namespace = decodeURIComponent(apps[1]!);
      const plural = apps[2] as AppsKind;
      if (!APPS_KINDS.includes(plural)) return undefined;
      const store = c.apps[plural];
      if (!apps[3] && method === 'GET') {
        return {
          verb: 'list',
          resource: plural,
          group: 'apps',
          namespace,
          handle: () =>
            list(
              `${APPS_KIND_NAMES[plural]}List`,
              'apps/v1',
              c.resourceVersion(),
              [...store.values()].filter((o) => o.metadata.namespace === namespace),
            ),
        };
      }
      const name = apps[3] ? decodeURIComponent(apps[3]) : '';
      if (name && method === 'GET') {
        return {
          verb: 'get',
          resource: plural,
          group: 'apps',
          namespace,
          name,
          handle: () => {
            const obj = store.get(key(namespace, name));
            return obj ? ok(obj) : notFound(plural, name, 'apps');
          },
        };
      }
      if (name && method === 'PATCH') {
        return {
          verb: 'patch',
          resource: plural,
          group: 'apps',
          namespace,
          name,
          handle: () => this.patch(store, key(namespace, name), name, plural, 'apps', req),
        };
      }
    }
    const pdbList = /^\/apis\/policy\/v1\/namespaces\/([^/]+)\/poddisruptionbudgets$/.exec(path);
    if (pdbList && method === 'GET') {
      const namespace = decodeURIComponent(pdbList[1]!);
      return {
        verb: 'list',
        resource: 'poddisruptionbudgets',
        group: 'policy',
        namespace,
        handle: () =>
          list(
            'PodDisruptionBudgetList',
            'policy/v1',
            c.resourceVersion(),
            c.pdbs.map((p) => p.obj).filter((p) => p.metadata.namespace === namespace),
          ),
      };
    }
    const metrics = /^\/apis\/metrics\.k8s\.io\/v1beta1\/nodes\/([^/]+)$/.exec(path);
    if (metrics && method === 'GET') {
      const name = decodeURIComponent(metrics[1]!);
      return {
        verb: 'get',
        resource: 'nodes',
        group: 'metrics.k8s.io',
        name,
        handle: () => {
          // Without metrics-server the APIService is absent and the whole group 404s.
          if (!c.metricsServer) return NO_ROUTE;
          const usage = c.nodeMetrics.get(name);
          if (!usage || !c.nodes.has(name)) return notFound('nodes', name, 'metrics.k8s.io');
          return ok({
            kind: 'NodeMetrics',
            apiVersion: 'metrics.k8s.io/v1beta1',
            metadata: { name, creationTimestamp: this.now() },
            timestamp: this.now(),
            window: '20.05s',
            usage,
          });
        },
      };
    }
    return undefined;
  }

  /**
   * A container's log as the API server (through the kubelet) answers it: text/plain, `tailLines`
   * from the end, `previous` for the last terminated run, and its 400s in the kubelet's words.
   */
  private log(namespace: string, name: string, query: URLSearchParams): Answer {
    const pod = this.cluster.pods.get(key(namespace, name));
    if (!pod) return notFound('pods', name);
    const bad = (message: string): Answer => ({ status: 400, body: statusBody(400, 'BadRequest', message) });
    const names: string[] = (pod.spec?.containers ?? []).map((c: Json) => c.name);
    let container = query.get('container') ?? '';
    if (!container) {
      if (names.length !== 1) {
        return bad(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
      }
      container = names[0]!;
    }
    if (!names.includes(container)) return bad(`container ${container} is not valid for pod ${name}`);
    if (!pod.spec?.nodeName) return bad(`pod ${name} does not have a host assigned`);
    const tailText = query.get('tailLines');
    const tail = tailText === null ? undefined : Number(tailText);
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) {
      return bad(`tailLines: Invalid value: ${tailText}: must be greater than or equal to 0`);
    }
    const status = (pod.status?.containerStatuses ?? []).find((c: Json) => c.name === container);
    const logs = this.cluster.logs.get(logKey(namespace, name, container));
    let lines: string[];
    if (query.get('previous') === 'true') {
      if (!status?.lastState?.terminated) {
        return bad(`previous terminated container "${container}" in pod "${name}" not found`);
      }
      lines = logs?.previous ?? [];
    } else {
      const waiting = status?.state?.waiting;
      if (!status || waiting) {
        return bad(
          `container "${container}" in pod "${name}" is waiting to start: ${waiting?.reason ?? 'ContainerCreating'}`,
        );
      }
      lines = logs?.current ?? [];
    }
    const kept = tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail);
    return {
      status: 200,
      body: kept.map((l) => `${l}\n`).join(''),
      contentType: 'text/plain',
    };
  }

  private patch(
    store: Map<string, Json>,
    k: string,
    name: string,
    resource: string,
    group: string,
    req: ApiRequest,
  ): Answer {
    const current = store.get(k);
    if (!current) return notFound(resource, name, group);
    let next: Json;
    try {
      next = applyPatch(current, req.contentType, req.body);
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      const reason =
        err.status === 415 ? 'UnsupportedMediaType' : err.status === 422 ? 'Invalid' : 'BadRequest';
      return { status: err.status, body: statusBody(err.status, reason, err.message) };
    }
    if (next.metadata?.name !== current.metadata.name) {
      return {
        status: 422,
        body: statusBody(
          422,
          'Invalid',
          `${resource} "${name}" is invalid: metadata.name: field is immutable`,
        ),
      };
    }
    // A change to the pod template is a new generation: what a rollout controller acts on.
    if (JSON.stringify(next.spec?.template) !== JSON.stringify(current.spec?.template)) {
      next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    this.cluster.touch(next);
    store.set(k, next);
    return ok(next);
  }

  private evict(namespace: string, name: string, body: unknown): Answer {
    const eviction = body as Json | undefined;
    if (eviction?.kind !== 'Eviction' || eviction.metadata?.name !== name) {
      return {
        status: 400,
        body: statusBody(400, 'BadRequest', 'name in URL does not match name in Eviction object'),
      };
    }
    const answer = this.cluster.evict(namespace, name);
    switch (answer.status) {
      case 404:
        return notFound('pods', name);
      case 429: {
        const min = answer.pdb.spec.minAvailable ?? 1;
        return {
          status: 429,
          body: statusBody(
            429,
            'TooManyRequests',
            "Cannot evict pod as it would violate the pod's disruption budget.",
            {
              causes: [
                {
                  reason: 'DisruptionBudget',
                  message: `The disruption budget ${answer.pdb.metadata.name} needs ${min} healthy pods and has ${Math.min(min, answer.healthy)} currently`,
                },
              ],
            },
          ),
        };
      }
      case 500:
        return {
          status: 500,
          body: statusBody(
            500,
            'InternalError',
            'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
          ),
        };
      case 201:
        return {
          status: 201,
          body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
        };
    }
  }
}
