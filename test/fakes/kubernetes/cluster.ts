import {
  buildApps,
  buildNode,
  buildNodeEvent,
  buildPdb,
  buildPod,
  type Json,
  type NodeSpec,
  type PodSpec,
  uidFor,
} from './builders.ts';
import type { ClusterSeed } from './seed.ts';

export type AppsKind = 'deployments' | 'replicasets' | 'statefulsets' | 'daemonsets';
export const APPS_KINDS: readonly AppsKind[] = ['deployments', 'replicasets', 'statefulsets', 'daemonsets'];

export interface ClusterOptions {
  /** Recreate pods their controllers own when they are deleted or evicted (ReplicaSet, StatefulSet, DaemonSet). */
  readonly controllers: boolean;
  /** A deleted pod stays Terminating (deletionTimestamp set) this long before it disappears. */
  readonly terminationDelayMs: number;
}

/** Kubernetes' random suffix alphabet (no vowels, no look-alikes), used for deterministic names here. */
const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';

function suffix(n: number): string {
  let s = '';
  let v = n + 7919;
  for (let i = 0; i < 5; i++) {
    s += SUFFIX[v % SUFFIX.length];
    v = Math.floor(v / SUFFIX.length) + i * 13;
  }
  return s;
}

export function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** A container's logs: what it printed this run, and in its previous run (kubelet keeps one). */
export interface ContainerLogs {
  current: string[];
  previous: string[];
}

export function logKey(namespace: string, pod: string, container: string): string {
  return `${namespace}/${pod}/${container}`;
}

function controllerOf(obj: Json): Json | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((o: Json) => o.controller === true);
}

function gpusOf(pod: Json): number {
  return (pod.spec?.containers ?? []).reduce(
    (sum: number, c: Json) => sum + Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0),
    0,
  );
}

function finished(pod: Json): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function matchesLabels(
  labels: Record<string, string> | undefined,
  match: Record<string, string>,
): boolean {
  return Object.entries(match).every(([k, v]) => labels?.[k] === v);
}

/** The outcome of an eviction, as the API server answers it. */
export type EvictionAnswer =
  | { readonly status: 201 }
  | { readonly status: 404 }
  | { readonly status: 429; readonly pdb: Json; readonly healthy: number }
  | { readonly status: 500; readonly pdbs: readonly Json[] };

/**
 * The objects of the fake cluster and what the control plane does with them: eviction against
 * PodDisruptionBudgets, deletion (with optional termination grace), and the controllers that
 * replace a deleted pod, placing it as the scheduler would (Ready, schedulable, enough free GPUs).
 */
export class FakeCluster {
  readonly nodes = new Map<string, Json>();
  readonly pods = new Map<string, Json>();
  readonly apps: Record<AppsKind, Map<string, Json>> = {
    deployments: new Map(),
    replicasets: new Map(),
    statefulsets: new Map(),
    daemonsets: new Map(),
  };
  readonly pdbs: { obj: Json; blocksLeft: number }[] = [];
  readonly events: Json[] = [];
  readonly nodeMetrics = new Map<string, { cpu: string; memory: string }>();
  /** Container logs by `logKey(namespace, pod, container)`; a container without an entry printed nothing. */
  readonly logs = new Map<string, ContainerLogs>();
  /** False: metrics.k8s.io is not served at all (no metrics-server). */
  metricsServer = true;

  private rv = 1;
  private made = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    seed: ClusterSeed,
    private readonly now: () => string,
    private readonly options: ClusterOptions,
  ) {
    for (const n of seed.nodes) this.addNode(n);
    for (const p of seed.pods) this.addPod(p);
    const kinds: [
      AppsKind,
      'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet',
      ClusterSeed['deployments'],
    ][] = [
      ['deployments', 'Deployment', seed.deployments],
      ['replicasets', 'ReplicaSet', seed.replicaSets],
      ['statefulsets', 'StatefulSet', seed.statefulSets],
      ['daemonsets', 'DaemonSet', seed.daemonSets],
    ];
    for (const [plural, kind, specs] of kinds) {
      for (const s of specs) this.apps[plural].set(key(s.namespace, s.name), buildApps(kind, s));
    }
    for (const p of seed.pdbs) this.pdbs.push({ obj: buildPdb(p), blocksLeft: p.blockFirst ?? 0 });
    seed.events.forEach((e, i) => {
      this.events.push(buildNodeEvent(e, i));
    });
    for (const [node, usage] of Object.entries(seed.nodeMetrics)) this.nodeMetrics.set(node, usage);
  }

  addNode(spec: NodeSpec): Json {
    const node = buildNode(spec, this.now());
    this.nodes.set(spec.name, node);
    return node;
  }

  addPod(spec: PodSpec): Json {
    const pod = buildPod(spec, this.now());
    this.pods.set(key(spec.namespace, spec.name), pod);
    for (const c of spec.containers ?? []) {
      if (c.log || c.previousLog) {
        this.logs.set(logKey(spec.namespace, spec.name, c.name), {
          current: [...(c.log ?? [])],
          previous: [...(c.previousLog ?? [])],
        });
      }
    }
    return pod;
  }

  /** Logs go with their pod; a replacement starts with none. */
  private dropLogs(namespace: string, name: string): void {
    const prefix = `${key(namespace, name)}/`;
    for (const k of [...this.logs.keys()]) if (k.startsWith(prefix)) this.logs.delete(k);
  }

  /** Every write bumps the object's resourceVersion, as etcd does. */
  touch(obj: Json): void {
    obj.metadata.resourceVersion = String(++this.rv);
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  podsOn(node: string): Json[] {
    return [...this.pods.values()].filter((p) => p.spec?.nodeName === node);
  }

  pdbsFor(pod: Json): { obj: Json; blocksLeft: number }[] {
    return this.pdbs.filter(
      (p) =>
        p.obj.metadata.namespace === pod.metadata.namespace &&
        matchesLabels(pod.metadata.labels, p.obj.spec.selector.matchLabels ?? {}),
    );
  }

  /**
   * The eviction subresource: more than one PDB selecting the pod is a 500 (the API refuses to
   * choose), a PDB with no disruption allowed a 429, otherwise the pod is deleted (201).
   */
  evict(namespace: string, name: string): EvictionAnswer {
    const pod = this.pods.get(key(namespace, name));
    if (!pod) return { status: 404 };
    // A terminating pod is already on its way out; the API lets the eviction through.
    if (!pod.metadata.deletionTimestamp) {
      const pdbs = this.pdbsFor(pod);
      if (pdbs.length > 1) return { status: 500, pdbs: pdbs.map((p) => p.obj) };
      const pdb = pdbs[0];
      if (pdb && pdb.blocksLeft > 0) {
        pdb.blocksLeft -= 1;
        const healthy = [...this.pods.values()].filter((p) =>
          matchesLabels(p.metadata.labels, pdb.obj.spec.selector.matchLabels ?? {}),
        ).length;
        return { status: 429, pdb: pdb.obj, healthy };
      }
    }
    this.deletePod(namespace, name);
    return { status: 201 };
  }

  /** DELETE of a pod: gone at once, or Terminating for `terminationDelayMs`; its controller replaces it. */
  deletePod(namespace: string, name: string): Json | undefined {
    const k = key(namespace, name);
    const pod = this.pods.get(k);
    if (!pod) return undefined;
    if (pod.metadata.deletionTimestamp) return pod;
    const owner = controllerOf(pod);
    if (this.options.terminationDelayMs > 0) {
      pod.metadata.deletionTimestamp = this.now();
      pod.metadata.deletionGracePeriodSeconds = 30;
      this.touch(pod);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.pods.get(k) === pod) {
          this.pods.delete(k);
          this.dropLogs(namespace, name);
        }
        if (owner?.kind === 'StatefulSet') this.replace(pod, owner);
      }, this.options.terminationDelayMs);
      this.timers.add(timer);
      if (owner && owner.kind !== 'StatefulSet') this.replace(pod, owner);
    } else {
      this.pods.delete(k);
      this.dropLogs(namespace, name);
      if (owner) this.replace(pod, owner);
    }
    return pod;
  }

  private freeGpus(node: Json): number {
    const allocatable = Number(node.status?.allocatable?.['nvidia.com/gpu'] ?? 0);
    const used = this.podsOn(node.metadata.name)
      .filter((p) => !finished(p))
      .reduce((sum, p) => sum + gpusOf(p), 0);
    return allocatable - used;
  }

  /** The scheduler, reduced: a Ready node that is not cordoned and has the GPUs, by name. */
  private place(pod: Json): string | undefined {
    const need = gpusOf(pod);
    return [...this.nodes.values()]
      .filter((n) => {
        const ready = (n.status?.conditions ?? []).find((c: Json) => c.type === 'Ready')?.status === 'True';
        return ready && !n.spec?.unschedulable && this.freeGpus(n) >= need;
      })
      .map((n) => n.metadata.name as string)
      .sort()[0];
  }

  private replace(old: Json, owner: Json): void {
    if (!this.options.controllers) return;
    const kind = owner.kind as string;
    if (kind !== 'ReplicaSet' && kind !== 'StatefulSet' && kind !== 'DaemonSet') return;
    const namespace = old.metadata.namespace as string;
    const n = ++this.made;
    const name = kind === 'StatefulSet' ? old.metadata.name : `${owner.name}-${suffix(n)}`;
    // A DaemonSet pod belongs to its node (it tolerates unschedulable); the others are scheduled.
    const node = kind === 'DaemonSet' ? old.spec.nodeName : this.place(old);
    const now = this.now();
    const pod: Json = structuredClone(old);
    pod.metadata = {
      ...pod.metadata,
      name,
      uid: uidFor('Pod', namespace, name, n),
      creationTimestamp: now,
    };
    delete pod.metadata.deletionTimestamp;
    delete pod.metadata.deletionGracePeriodSeconds;
    if (node) pod.spec.nodeName = node;
    else delete pod.spec.nodeName;
    pod.status = node
      ? {
          phase: 'Running',
          hostIP: '10.0.0.10',
          startTime: now,
          containerStatuses: (pod.spec.containers ?? []).map((c: Json) => ({
            name: c.name,
            image: c.image,
            imageID: '',
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: now } },
            lastState: {},
          })),
        }
      : {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/4 nodes are available',
            },
          ],
        };
    this.touch(pod);
    this.pods.set(key(namespace, name), pod);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
