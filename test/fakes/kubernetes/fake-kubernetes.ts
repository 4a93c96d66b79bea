import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { type Answer, Api, NO_ROUTE, type Route, statusBody } from './api.ts';
import type { EventSpec, Json, NodeSpec, PdbSpec, PodSpec, WorkloadSpec } from './builders.ts';
import { type AppsKind, FakeCluster, key, logKey } from './cluster.ts';
import { type ClusterSeed, DEFAULT_NOW, DEFAULT_SEED } from './seed.ts';

export interface FakeKubernetesOptions {
  /**
   * The cluster. With none of these keys the default seed (seed.ts) is used; with any of them the
   * cluster holds exactly what is given.
   */
  readonly nodes?: readonly NodeSpec[];
  readonly pods?: readonly PodSpec[];
  readonly deployments?: readonly WorkloadSpec[];
  readonly replicaSets?: readonly WorkloadSpec[];
  readonly statefulSets?: readonly WorkloadSpec[];
  readonly daemonSets?: readonly WorkloadSpec[];
  readonly pdbs?: readonly PdbSpec[];
  readonly events?: readonly EventSpec[];
  readonly nodeMetrics?: ClusterSeed['nodeMetrics'];
  /** False: metrics.k8s.io is not served (no metrics-server). Default true. */
  readonly metricsServer?: boolean;
  /** The bearer token the server accepts (default `fake-k8s-token`). */
  readonly token?: string;
  /** Who the token belongs to, named in 403 messages. */
  readonly user?: string;
  /** The server's clock for timestamps it writes (default: a fixed DEFAULT_NOW). */
  readonly now?: () => Date;
  /** Controllers replace deleted pods (default true). */
  readonly controllers?: boolean;
  /** Deleted pods stay Terminating this long (default 0: gone at once). */
  readonly terminationDelayMs?: number;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly body: unknown;
  readonly status: number;
  /** Whether the request carried the right bearer token. */
  readonly authenticated: boolean;
}

/** One rule the fake's RBAC denies; resource may carry a subresource (`pods/eviction`). */
export interface ForbidRule {
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
}

/**
 * Answers matching requests differently, in the order queued: `status` with a Status body,
 * `delayMs` late (alone: a slow success), `hang` never (until close).
 */
export interface Fault {
  readonly method?: string;
  readonly path?: string | RegExp;
  readonly status?: number;
  readonly message?: string;
  readonly delayMs?: number;
  readonly hang?: boolean;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

const SEED_KEYS = [
  'nodes',
  'pods',
  'deployments',
  'replicaSets',
  'statefulSets',
  'daemonSets',
  'pdbs',
  'events',
  'nodeMetrics',
] as const;

function seedFrom(options: FakeKubernetesOptions): ClusterSeed {
  if (!SEED_KEYS.some((k) => options[k] !== undefined)) return DEFAULT_SEED;
  return {
    nodes: options.nodes ?? [],
    pods: options.pods ?? [],
    deployments: options.deployments ?? [],
    replicaSets: options.replicaSets ?? [],
    statefulSets: options.statefulSets ?? [],
    daemonSets: options.daemonSets ?? [],
    pdbs: options.pdbs ?? [],
    events: options.events ?? [],
    nodeMetrics: options.nodeMetrics ?? {},
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1 << 20) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function stampOf(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/**
 * A Kubernetes API server on 127.0.0.1, plain HTTP and JSON, that the real @kubernetes/client-node
 * talks to. Start one with `startFakeKubernetes()` (see index.ts).
 */
export class FakeKubernetes {
  readonly token: string;
  readonly user: string;
  readonly cluster: FakeCluster;
  private readonly api: Api;
  private readonly server: Server;
  private readonly records: RequestRecord[] = [];
  private readonly forbidden: ForbidRule[] = [];
  private readonly faults: { fault: Fault; remaining: number }[] = [];
  private port = 0;

  constructor(options: FakeKubernetesOptions = {}) {
    this.token = options.token ?? 'fake-k8s-token';
    this.user = options.user ?? 'system:serviceaccount:ops:incident-bot';
    const clock = options.now ?? (() => new Date(DEFAULT_NOW));
    const now = () => stampOf(clock());
    this.cluster = new FakeCluster(seedFrom(options), now, {
      controllers: options.controllers ?? true,
      terminationDelayMs: options.terminationDelayMs ?? 0,
    });
    this.cluster.metricsServer = options.metricsServer ?? true;
    this.api = new Api(this.cluster, now);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          this.send(res, { status: 500, body: statusBody(500, 'InternalError', String(err)) });
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * A KubeConfig pointing at the fake. client-node 1.x refuses plain http unless the cluster says
   * skipTLSVerify (KubeConfig.createAgent), so it is set: it is not irrelevant over http.
   */
  kubeConfig(opts: { token?: string } = {}): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'incident-bot', token: opts.token ?? this.token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'incident-bot' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** The same as a kubeconfig file, with a second context `other` pointing nowhere useful. */
  kubeconfigYaml(): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${this.url}`,
      '    insecure-skip-tls-verify: true',
      '- name: other',
      '  cluster:',
      '    server: http://127.0.0.1:9',
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: incident-bot',
      '  user:',
      `    token: ${this.token}`,
      'contexts:',
      '- name: fake',
      '  context: { cluster: fake, user: incident-bot }',
      '- name: other',
      '  context: { cluster: other, user: incident-bot }',
      'current-context: other',
      '',
    ].join('\n');
  }

  /** Requests so far, oldest first; `filter` narrows by method and/or path (substring or RegExp). */
  requests(filter: { method?: string; path?: string | RegExp } = {}): RequestRecord[] {
    return this.records.filter(
      (r) =>
        (!filter.method || r.method === filter.method) &&
        (!filter.path ||
          (typeof filter.path === 'string' ? r.path.includes(filter.path) : filter.path.test(r.path))),
    );
  }

  clearRequests(): void {
    this.records.length = 0;
  }

  /** The fake's RBAC denies this verb on this resource (optionally in one namespace) from now on. */
  forbid(rule: ForbidRule): void {
    this.forbidden.push(rule);
  }

  failNext(fault: Fault, times = 1): void {
    this.faults.push({ fault, remaining: times });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.forbidden.length = 0;
  }

  node(name: string): Json | undefined {
    return structuredClone(this.cluster.nodes.get(name));
  }

  pod(namespace: string, name: string): Json | undefined {
    return structuredClone(this.cluster.pods.get(key(namespace, name)));
  }

  podsOn(node: string): Json[] {
    return structuredClone(this.cluster.podsOn(node));
  }

  /** Sets what a container has printed (this run, or with `previous` its last one). */
  setLog(
    namespace: string,
    pod: string,
    container: string,
    lines: readonly string[],
    previous = false,
  ): void {
    const k = logKey(namespace, pod, container);
    const logs = this.cluster.logs.get(k) ?? { current: [], previous: [] };
    if (previous) logs.previous = [...lines];
    else logs.current = [...lines];
    this.cluster.logs.set(k, logs);
  }

  workload(kind: AppsKind, namespace: string, name: string): Json | undefined {
    return structuredClone(this.cluster.apps[kind].get(key(namespace, name)));
  }

  async close(): Promise<void> {
    this.cluster.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const i = this.faults.findIndex(
      ({ fault: f }) =>
        (!f.method || f.method === method) &&
        (!f.path || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
    );
    if (i < 0) return undefined;
    const entry = this.faults[i]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.faults.splice(i, 1);
    return entry.fault;
  }

  private denied(route: Route): Answer | undefined {
    const rule = this.forbidden.find(
      (r) =>
        r.verb === route.verb &&
        r.resource === route.resource &&
        (!r.namespace || r.namespace === route.namespace),
    );
    if (!rule) return undefined;
    const base = route.resource.split('/')[0]!;
    const subject = route.name ? `${base} "${route.name}"` : base;
    const scope = route.namespace ? `in the namespace "${route.namespace}"` : 'at the cluster scope';
    return {
      status: 403,
      body: statusBody(
        403,
        'Forbidden',
        `${subject} is forbidden: User "${this.user}" cannot ${route.verb} resource "${route.resource}" in API group "${route.group}" ${scope}`,
        {
          ...(route.name ? { name: route.name } : {}),
          ...(route.group ? { group: route.group } : {}),
          kind: base,
        },
      ),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'];
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const authenticated = req.headers.authorization === `Bearer ${this.token}`;
    const record = (status: number) =>
      this.records.push({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType,
        body,
        status,
        authenticated,
      });

    const fault = this.takeFault(method, url.pathname);
    if (fault?.hang) {
      record(0);
      return; // never answered; close() ends the connection
    }
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (res.destroyed) return;

    let answer: Answer;
    if (!authenticated) {
      answer = { status: 401, body: statusBody(401, 'Unauthorized', 'Unauthorized') };
    } else if (fault?.status) {
      answer = {
        status: fault.status,
        body: statusBody(
          fault.status,
          REASONS[fault.status] ?? 'Unknown',
          fault.message ?? `injected ${fault.status}`,
        ),
      };
    } else {
      const route = this.api.route({
        method,
        path: url.pathname,
        query: url.searchParams,
        contentType: contentType ?? '',
        body,
      });
      answer = route ? (this.denied(route) ?? route.handle()) : NO_ROUTE;
    }
    record(answer.status);
    this.send(res, answer);
  }

  private send(res: ServerResponse, answer: Answer): void {
    const text = answer.contentType ? String(answer.body) : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': answer.contentType ?? 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}

export async function startFakeKubernetes(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const fake = new FakeKubernetes(options);
  await fake.listen();
  return fake;
}
