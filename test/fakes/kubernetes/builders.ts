/**
 * Builders for the JSON objects the fake API server stores and serves, in the wire shape of the
 * real API (core/v1, apps/v1, policy/v1, events). Short specs in, full objects out, so a test
 * describes a cluster in a few lines.
 */

export type Json = Record<string, any>;

/** Pod/owner uids are derived from names so the same seed gives the same objects on every run. */
export function uidFor(kind: string, namespace: string, name: string, generation = 0): string {
  let h = 0x811c9dc5;
  for (const ch of `${kind}/${namespace}/${name}/${generation}`)
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  const hex = (h >>> 0).toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}${String(generation).padStart(4, '0')}`;
}

export interface NodeSpec {
  readonly name: string;
  /** Status of the Ready condition (default True). */
  readonly ready?: 'True' | 'False' | 'Unknown';
  readonly readyReason?: string;
  readonly readyMessage?: string;
  /** lastTransitionTime of Ready (default: `created`). */
  readonly readySince?: string;
  readonly heartbeat?: string;
  readonly created?: string;
  readonly unschedulable?: boolean;
  /** nvidia.com/gpu capacity (absent: no GPU resource at all). */
  readonly gpus?: number;
  /** nvidia.com/gpu allocatable (default: gpus). */
  readonly allocatableGpus?: number;
  readonly memoryGi?: number;
  readonly allocatableMemoryGi?: number;
  readonly labels?: Record<string, string>;
  /** Extra conditions (MemoryPressure, node-problem-detector ones, …). */
  readonly conditions?: readonly { type: string; status: string; reason?: string; message?: string }[];
}

export function buildNode(s: NodeSpec, now: string): Json {
  const created = s.created ?? '2026-01-05T08:00:00Z';
  const capacity: Json = { cpu: '224', memory: `${(s.memoryGi ?? 2048) * 1024 * 1024}Ki`, pods: '110' };
  const allocatable: Json = {
    cpu: '222',
    memory: `${(s.allocatableMemoryGi ?? (s.memoryGi ?? 2048) - 16) * 1024 * 1024}Ki`,
    pods: '110',
  };
  if (s.gpus !== undefined) {
    capacity['nvidia.com/gpu'] = String(s.gpus);
    allocatable['nvidia.com/gpu'] = String(s.allocatableGpus ?? s.gpus);
  }
  const heartbeat = s.heartbeat ?? now;
  const ready = s.ready ?? 'True';
  const std = ['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({
    type,
    status: ready === 'Unknown' ? 'Unknown' : 'False',
    reason: ready === 'Unknown' ? 'NodeStatusUnknown' : `KubeletHasNo${type.replace('Pressure', '')}Pressure`,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: created,
  }));
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: s.name,
      uid: uidFor('Node', '', s.name),
      resourceVersion: '1',
      creationTimestamp: created,
      labels: { 'kubernetes.io/hostname': s.name, 'kubernetes.io/os': 'linux', ...s.labels },
    },
    spec: s.unschedulable ? { unschedulable: true } : {},
    status: {
      capacity,
      allocatable,
      conditions: [
        ...std,
        ...(s.conditions ?? []).map((c) => ({
          ...c,
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: created,
        })),
        {
          type: 'Ready',
          status: ready,
          reason:
            s.readyReason ??
            (ready === 'True' ? 'KubeletReady' : ready === 'False' ? 'KubeletNotReady' : 'NodeStatusUnknown'),
          message:
            s.readyMessage ??
            (ready === 'True'
              ? 'kubelet is posting ready status'
              : ready === 'False'
                ? 'container runtime is down'
                : 'Kubelet stopped posting node status.'),
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: s.readySince ?? created,
        },
      ],
      nodeInfo: {
        machineID: 'f00dfeed',
        systemUUID: 'f00dfeed',
        bootID: 'b007',
        kernelVersion: '5.15.0-105-generic',
        osImage: 'Ubuntu 22.04.4 LTS',
        containerRuntimeVersion: 'containerd://1.7.13',
        kubeletVersion: 'v1.30.2',
        kubeProxyVersion: 'v1.30.2',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export interface ContainerSpec {
  readonly name: string;
  /** running (default), crashloop (waiting CrashLoopBackOff after `lastExit`), waiting, terminated. */
  readonly state?: 'running' | 'crashloop' | 'waiting' | 'terminated';
  readonly waitingReason?: string;
  readonly restartCount?: number;
  /** The current termination (state terminated). */
  readonly exitCode?: number;
  readonly lastExit?: { readonly code: number; readonly reason?: string; readonly finishedAt?: string };
  readonly startedAt?: string;
  readonly ports?: readonly { containerPort: number; hostPort?: number; name?: string }[];
  readonly gpus?: number;
  readonly memoryRequest?: string;
  readonly memoryLimit?: string;
  /** What the container has printed (GET …/log); default nothing. */
  readonly log?: readonly string[];
  /** What its previous run printed (GET …/log?previous=true); needs `lastExit`. */
  readonly previousLog?: readonly string[];
}

export interface OwnerSpec {
  readonly kind: 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'Node' | string;
  readonly name: string;
  readonly apiVersion?: string;
}

export interface PodSpec {
  readonly namespace: string;
  readonly name: string;
  readonly node?: string;
  readonly owner?: OwnerSpec;
  /** A static pod's API copy: the kubelet sets kubernetes.io/config.mirror and a Node owner. */
  readonly mirror?: boolean;
  readonly phase?: 'Running' | 'Pending' | 'Succeeded' | 'Failed' | 'Unknown';
  readonly labels?: Record<string, string>;
  /** Default: one running container named after the pod. */
  readonly containers?: readonly ContainerSpec[];
  readonly emptyDir?: readonly string[];
  readonly hostNetwork?: boolean;
  readonly created?: string;
}

function apiVersionOf(kind: string): string {
  if (kind === 'Node') return 'v1';
  if (kind === 'Job') return 'batch/v1';
  return 'apps/v1';
}

export function buildPod(s: PodSpec, now: string): Json {
  const created = s.created ?? '2026-03-13T09:00:00Z';
  const containers = s.containers ?? [{ name: s.name.replace(/-[a-z0-9]{5}$/, '').slice(0, 63) }];
  const owner = s.mirror ? { kind: 'Node', name: s.node ?? '' } : s.owner;
  const phase = s.phase ?? 'Running';
  const started = (c: ContainerSpec) => c.startedAt ?? created;
  const resources = (c: ContainerSpec) => {
    const limits: Json = {};
    const requests: Json = {};
    if (c.gpus) limits['nvidia.com/gpu'] = String(c.gpus);
    if (c.memoryLimit) limits.memory = c.memoryLimit;
    if (c.memoryRequest) requests.memory = c.memoryRequest;
    return {
      ...(Object.keys(limits).length ? { limits } : {}),
      ...(Object.keys(requests).length ? { requests } : {}),
    };
  };
  const status = (c: ContainerSpec): Json => {
    const last = c.lastExit
      ? {
          terminated: {
            exitCode: c.lastExit.code,
            reason: c.lastExit.reason ?? (c.lastExit.code === 0 ? 'Completed' : 'Error'),
            startedAt: created,
            finishedAt: c.lastExit.finishedAt ?? now,
          },
        }
      : {};
    const st = c.state ?? (phase === 'Succeeded' || phase === 'Failed' ? 'terminated' : 'running');
    let state: Json;
    if (st === 'running') state = { running: { startedAt: started(c) } };
    else if (st === 'crashloop')
      state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off 5m0s restarting failed container=${c.name}`,
        },
      };
    else if (st === 'waiting') state = { waiting: { reason: c.waitingReason ?? 'ContainerCreating' } };
    else
      state = {
        terminated: {
          exitCode: c.exitCode ?? (phase === 'Succeeded' ? 0 : 1),
          reason: (c.exitCode ?? (phase === 'Succeeded' ? 0 : 1)) === 0 ? 'Completed' : 'Error',
          startedAt: created,
          finishedAt: now,
        },
      };
    return {
      name: c.name,
      image: `registry.example/${c.name}:1`,
      imageID: '',
      ready: st === 'running',
      started: st === 'running',
      restartCount: c.restartCount ?? 0,
      state,
      lastState: last,
    };
  };
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid: uidFor('Pod', s.namespace, s.name),
      resourceVersion: '1',
      creationTimestamp: created,
      labels: { ...s.labels },
      ...(s.mirror
        ? {
            annotations: {
              'kubernetes.io/config.mirror': 'd41d8cd98f00b204e9800998ecf8427e',
              'kubernetes.io/config.source': 'file',
            },
          }
        : {}),
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion ?? apiVersionOf(owner.kind),
                kind: owner.kind,
                name: owner.name,
                uid: uidFor(owner.kind, owner.kind === 'Node' ? '' : s.namespace, owner.name),
                controller: true,
                blockOwnerDeletion: owner.kind !== 'Node',
              },
            ],
          }
        : {}),
    },
    spec: {
      ...(s.node ? { nodeName: s.node } : {}),
      ...(s.hostNetwork ? { hostNetwork: true } : {}),
      restartPolicy: owner?.kind === 'Job' ? 'Never' : 'Always',
      containers: containers.map((c) => ({
        name: c.name,
        image: `registry.example/${c.name}:1`,
        resources: resources(c),
        ...(c.ports ? { ports: c.ports.map((p) => ({ protocol: 'TCP', ...p })) } : {}),
      })),
      volumes: (s.emptyDir ?? []).map((name) => ({
        name,
        emptyDir: name === 'dshm' ? { medium: 'Memory' } : {},
      })),
    },
    status: {
      phase,
      ...(s.node ? { hostIP: '10.0.0.10' } : {}),
      startTime: created,
      containerStatuses: phase === 'Pending' && !s.node ? [] : containers.map(status),
    },
  };
}

export interface WorkloadSpec {
  readonly namespace: string;
  readonly name: string;
  readonly replicas?: number;
  /** Deployment only. */
  readonly paused?: boolean;
  /** ReplicaSet only: the Deployment that owns it. */
  readonly deployment?: string;
  readonly labels?: Record<string, string>;
}

export function buildApps(
  kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet',
  s: WorkloadSpec,
): Json {
  const labels = s.labels ?? { app: s.name };
  return {
    kind,
    apiVersion: 'apps/v1',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid: uidFor(kind, s.namespace, s.name),
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: '2026-03-01T00:00:00Z',
      labels,
      ...(s.deployment
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: s.deployment,
                uid: uidFor('Deployment', s.namespace, s.deployment),
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      ...(kind === 'DaemonSet' ? {} : { replicas: s.replicas ?? 1 }),
      ...(s.paused ? { paused: true } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: s.name, image: `registry.example/${s.name}:1` }] },
      },
    },
    status: {},
  };
}

export interface PdbSpec {
  readonly namespace: string;
  readonly name: string;
  readonly matchLabels: Record<string, string>;
  readonly minAvailable?: number;
  /** Evictions of pods it selects answer 429 this many times (in total), then pass. Infinity: always. */
  readonly blockFirst?: number;
}

export function buildPdb(s: PdbSpec): Json {
  return {
    kind: 'PodDisruptionBudget',
    apiVersion: 'policy/v1',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid: uidFor('PodDisruptionBudget', s.namespace, s.name),
    },
    spec: { minAvailable: s.minAvailable ?? 1, selector: { matchLabels: s.matchLabels } },
    status: { disruptionsAllowed: (s.blockFirst ?? 0) > 0 ? 0 : 1, currentHealthy: 2, desiredHealthy: 1 },
  };
}

export interface EventSpec {
  readonly node: string;
  readonly reason: string;
  readonly message: string;
  readonly type?: 'Normal' | 'Warning';
  readonly source?: string;
  readonly at: string;
  readonly count?: number;
}

export function buildNodeEvent(s: EventSpec, n: number): Json {
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: {
      name: `${s.node}.${(0x17c0ffee + n).toString(16)}`,
      namespace: 'default',
      creationTimestamp: s.at,
    },
    involvedObject: { kind: 'Node', name: s.node, uid: s.node, apiVersion: 'v1' },
    reason: s.reason,
    message: s.message,
    source: { component: s.source ?? 'kubelet', host: s.node },
    firstTimestamp: s.at,
    lastTimestamp: s.at,
    count: s.count ?? 1,
    type: s.type ?? 'Warning',
    reportingComponent: s.source ?? 'kubelet',
    reportingInstance: s.node,
  };
}
