import type { CoreV1Event, V1ContainerStatus, V1Node, V1Pod } from '@kubernetes/client-node';
import { plural } from '../../core/text.ts';
import { NCCL_PORT } from '../commands.ts';
import type { DiagnosticId } from '../port.ts';
import { humanDuration, stamp, stampAgo } from './format.ts';
import { GPU_PRODUCT_LABEL, nodeGpus, podGpus, podId, readyCondition } from './objects.ts';
import { formatMiB, toMiB } from './quantity.ts';

/**
 * The allow-listed diagnostics, answered from the Kubernetes API. The API cannot run commands on a
 * node, so each answer is what the API knows, written where it can be in the shape the shell
 * command prints (so the same parsers read it); what the API cannot tell goes to stderr, never
 * made up. Exit codes keep the shell's meaning: `nccl-port` exits 1 when nothing matched, like grep.
 *
 *   uptime              Ready condition and since when, kubelet heartbeat, registration, versions
 *   memory              capacity, allocatable, pod requests/limits, use from metrics.k8s.io if served
 *   gpu                 nvidia.com/gpu capacity vs allocatable (the device plugin drops unhealthy
 *                       GPUs), model label, GPUs per pod; no temperature/utilization/ECC
 *   xid                 node events and conditions that quote NVRM/Xid lines (node-problem-detector)
 *   oom                 SystemOOM/OOMKilling node events, containers last terminated OOMKilled
 *   containers          every container on the node, `docker ps` style
 *   container-restarts  restart count and last exit code per container, `docker inspect` style
 *   nccl-port           pods declaring port 29500 (sockets are invisible to the API)
 */

export type MemoryUsage = { readonly mib: number } | { readonly unavailable: string };

export interface NodeFacts {
  readonly node: V1Node;
  readonly pods: readonly V1Pod[];
  readonly events: readonly CoreV1Event[];
  readonly memoryUsage?: MemoryUsage;
}

/** Which API reads each diagnostic needs (the node itself is always read). */
export const DIAGNOSTIC_NEEDS: Readonly<
  Record<DiagnosticId, { pods: boolean; events: boolean; metrics: boolean }>
> = {
  uptime: { pods: false, events: false, metrics: false },
  memory: { pods: true, events: false, metrics: true },
  gpu: { pods: true, events: false, metrics: false },
  'gpu-health': { pods: false, events: false, metrics: false },
  'gpu-remap': { pods: false, events: false, metrics: false },
  nvlink: { pods: false, events: false, metrics: false },
  xid: { pods: false, events: true, metrics: false },
  oom: { pods: true, events: true, metrics: false },
  containers: { pods: true, events: false, metrics: false },
  'container-restarts': { pods: true, events: false, metrics: false },
  'nccl-port': { pods: true, events: false, metrics: false },
};

export interface DiagnosticOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

function eventTime(e: CoreV1Event): Date | undefined {
  return (
    toDate(e.lastTimestamp) ??
    toDate(e.eventTime) ??
    toDate(e.firstTimestamp) ??
    toDate(e.metadata?.creationTimestamp)
  );
}

/** `[2026-03-14T09:20:00Z] kernel-monitor GPUXid: <message>`: a dmesg -T style prefix the dmesg parsers skip. */
function eventLine(e: CoreV1Event): string {
  const at = eventTime(e);
  const source = e.source?.component ?? e.reportingComponent ?? '';
  const times = (e.count ?? 1) > 1 ? ` (x${e.count})` : '';
  return `[${at ? stamp(at) : '?'}] ${source ? `${source} ` : ''}${e.reason ?? 'Event'}: ${(e.message ?? '').trim()}${times}`;
}

function byTime(events: readonly CoreV1Event[]): CoreV1Event[] {
  return [...events].sort((a, b) => (eventTime(a)?.getTime() ?? 0) - (eventTime(b)?.getTime() ?? 0));
}

function lines(...parts: (string | false | undefined)[]): string {
  const kept = parts.filter((p): p is string => typeof p === 'string' && p !== '');
  return kept.length ? `${kept.join('\n')}\n` : '';
}

function conditionSummary(node: V1Node): string {
  const others = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  return others.length ? `conditions: ${others.map((c) => `${c.type}=${c.status}`).join(' ')}` : '';
}

function uptime(f: NodeFacts, now: Date): DiagnosticOutput {
  const ready = readyCondition(f.node);
  const since = toDate(ready?.lastTransitionTime);
  const beat = toDate(ready?.lastHeartbeatTime);
  const created = toDate(f.node.metadata?.creationTimestamp);
  const info = f.node.status?.nodeInfo;
  const why =
    ready && ready.status !== 'True' ? `: ${[ready.reason, ready.message].filter(Boolean).join(': ')}` : '';
  return {
    exitCode: 0,
    stdout: lines(
      ready
        ? `Ready=${ready.status}${since ? ` since ${stamp(since)} (${humanDuration(now.getTime() - since.getTime())})` : ''}${why}`
        : 'Ready: no condition reported yet',
      beat && `last kubelet heartbeat ${stampAgo(beat, now)}`,
      created && `registered ${stampAgo(created, now)}`,
      info &&
        `kubelet ${info.kubeletVersion}, kernel ${info.kernelVersion}, ${info.osImage}, ${info.containerRuntimeVersion}`,
      conditionSummary(f.node),
    ),
    stderr: lines(
      'boot time and load average are not in the Kubernetes API (node-exporter or the ssh adapter has them)',
    ),
  };
}

function podMemory(pods: readonly V1Pod[], kind: 'requests' | 'limits'): number {
  let mib = 0;
  for (const p of pods) {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    for (const c of p.spec?.containers ?? []) mib += toMiB(c.resources?.[kind]?.memory) ?? 0;
  }
  return mib;
}

function memory(f: NodeFacts): DiagnosticOutput {
  const capacity = toMiB(f.node.status?.capacity?.memory);
  const allocatable = toMiB(f.node.status?.allocatable?.memory);
  const pressure = f.node.status?.conditions?.find((c) => c.type === 'MemoryPressure');
  const requests = podMemory(f.pods, 'requests');
  const limits = podMemory(f.pods, 'limits');
  const usage = f.memoryUsage;
  const pct = (part: number, whole: number | null, of: string) =>
    whole ? ` (${Math.round((part / whole) * 100)}% of ${of})` : '';
  return {
    exitCode: 0,
    stdout: lines(
      capacity !== null &&
        `capacity ${formatMiB(capacity)}, allocatable ${allocatable === null ? '?' : formatMiB(allocatable)}${allocatable !== null ? ` (${formatMiB(Math.max(0, capacity - allocatable))} reserved for the system and kubelet)` : ''}`,
      usage &&
        'mib' in usage &&
        `in use ${formatMiB(usage.mib)}${pct(usage.mib, capacity, 'capacity')}, working set from metrics.k8s.io`,
      `pod requests ${formatMiB(requests)}${pct(requests, allocatable, 'allocatable')}, pod limits ${formatMiB(limits)}`,
      pressure &&
        `MemoryPressure=${pressure.status}${pressure.status === 'True' && pressure.message ? `: ${pressure.message}` : ''}`,
    ),
    stderr: lines(usage && 'unavailable' in usage && `memory in use: unknown (${usage.unavailable})`),
  };
}

function gpu(f: NodeFacts): DiagnosticOutput {
  const { capacity, allocatable } = nodeGpus(f.node);
  const product = f.node.metadata?.labels?.[GPU_PRODUCT_LABEL];
  const users = f.pods
    .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .map((p) => ({ id: podId(p), gpus: podGpus(p) }))
    .filter((p) => p.gpus > 0);
  const used = users.reduce((sum, p) => sum + p.gpus, 0);
  const telemetry =
    'temperature, utilization, GPU memory use and ECC counters are not in the Kubernetes API (DCGM exporter, or nvidia-smi through the ssh adapter, has them)';
  if (capacity === 0) {
    return {
      exitCode: 0,
      stdout: lines('no nvidia.com/gpu resource on this node (no GPUs, or no NVIDIA device plugin running)'),
      stderr: lines(telemetry),
    };
  }
  const lost = capacity - allocatable;
  return {
    exitCode: 0,
    stdout: lines(
      `nvidia.com/gpu: capacity ${capacity}, allocatable ${allocatable}${lost > 0 ? `: the device plugin withholds ${plural(lost, 'GPU')} it considers unhealthy (often after an Xid)` : ''}`,
      product && `model ${product} (label ${GPU_PRODUCT_LABEL})`,
      `GPUs requested by pods: ${used} of ${allocatable}`,
      ...users.map((u) => `  ${u.id} ${u.gpus}`),
    ),
    stderr: lines(telemetry),
  };
}

const XID = /\bxid\b|nvrm/i;

function xid(f: NodeFacts): DiagnosticOutput {
  const events = byTime(f.events.filter((e) => XID.test(`${e.reason ?? ''} ${e.message ?? ''}`))).slice(-20);
  const conditions = (f.node.status?.conditions ?? []).filter(
    (c) => c.status === 'True' && XID.test(`${c.type} ${c.reason ?? ''} ${c.message ?? ''}`),
  );
  const found = events.length + conditions.length;
  return {
    exitCode: 0,
    stdout: lines(
      ...events.map(eventLine),
      ...conditions.map((c) => `[condition] ${c.type}=True ${c.reason ?? ''}: ${c.message ?? ''}`.trim()),
    ),
    stderr: lines(
      found === 0
        ? 'no node event or condition mentions an Xid. The kernel log is not in the Kubernetes API: Xids show here only when an agent (node-problem-detector, DCGM) reports them, so this is not proof the node is clean'
        : 'from node events and conditions; the kernel log itself is not in the Kubernetes API',
    ),
  };
}

const OOM_EVENT = /oom|out of memory/i;

function oomContainers(pods: readonly V1Pod[]): string[] {
  const out: { at: number; line: string }[] = [];
  for (const p of pods) {
    for (const c of p.status?.containerStatuses ?? []) {
      for (const t of [c.state?.terminated, c.lastState?.terminated]) {
        if (t?.reason !== 'OOMKilled') continue;
        const at = toDate(t.finishedAt);
        out.push({
          at: at?.getTime() ?? 0,
          line: `[${at ? stamp(at) : '?'}] OOMKilled: container ${c.name} of ${podId(p)} hit its memory limit (exit ${t.exitCode}, ${c.restartCount} restarts)`,
        });
      }
    }
  }
  return out.sort((a, b) => a.at - b.at).map((o) => o.line);
}

function oom(f: NodeFacts): DiagnosticOutput {
  const events = byTime(f.events.filter((e) => OOM_EVENT.test(`${e.reason ?? ''} ${e.message ?? ''}`))).slice(
    -10,
  );
  return {
    exitCode: 0,
    stdout: lines(...events.map(eventLine), ...oomContainers(f.pods).slice(-10)),
    stderr: lines(
      'from node events (kubelet SystemOOM, node-problem-detector OOMKilling) and container termination reasons; the kernel log itself is not in the Kubernetes API',
    ),
  };
}

interface ContainerRow {
  readonly name: string;
  readonly status: V1ContainerStatus | undefined;
}

function containerRows(pods: readonly V1Pod[]): ContainerRow[] {
  const rows: ContainerRow[] = [];
  const sorted = [...pods].sort((a, b) => podId(a).localeCompare(podId(b)));
  for (const p of sorted) {
    const statuses = new Map((p.status?.containerStatuses ?? []).map((s) => [s.name, s]));
    for (const c of p.spec?.containers ?? [])
      rows.push({ name: `${podId(p)}/${c.name}`, status: statuses.get(c.name) });
  }
  return rows;
}

/** Docker's status column from a container status: `Up 3 hours`, `Restarting (1) 5 seconds ago`, `Exited (137) …`. */
function dockerStatus(s: V1ContainerStatus | undefined, now: Date): string {
  const ago = (d: unknown) => {
    const at = toDate(d);
    return at ? `${humanDuration(now.getTime() - at.getTime())} ago` : 'a while ago';
  };
  if (!s) return 'Created';
  if (s.state?.running) {
    const at = toDate(s.state.running.startedAt);
    return `Up ${at ? humanDuration(now.getTime() - at.getTime()) : 'Less than a second'}`;
  }
  if (s.state?.terminated)
    return `Exited (${s.state.terminated.exitCode}) ${ago(s.state.terminated.finishedAt)}`;
  const last = s.lastState?.terminated;
  if (s.state?.waiting && last) return `Restarting (${last.exitCode}) ${ago(last.finishedAt)}`;
  return `Created${s.state?.waiting?.reason ? ` (${s.state.waiting.reason})` : ''}`;
}

function containers(f: NodeFacts, now: Date): DiagnosticOutput {
  return {
    exitCode: 0,
    stdout: lines(...containerRows(f.pods).map((r) => `${r.name} ${dockerStatus(r.status, now)}`)),
    stderr: '',
  };
}

function containerRestarts(f: NodeFacts): DiagnosticOutput {
  return {
    exitCode: 0,
    stdout: lines(
      ...containerRows(f.pods).map((r) => {
        const code = r.status?.state?.terminated?.exitCode ?? r.status?.lastState?.terminated?.exitCode ?? 0;
        return `${r.name} ${r.status?.restartCount ?? 0} restarts, last exit: ${code}`;
      }),
    ),
    stderr: '',
  };
}

function ncclPort(f: NodeFacts): DiagnosticOutput {
  const declared: string[] = [];
  const hostNetwork: string[] = [];
  for (const p of f.pods) {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    for (const c of p.spec?.containers ?? []) {
      for (const port of c.ports ?? []) {
        if (port.containerPort !== NCCL_PORT && port.hostPort !== NCCL_PORT) continue;
        const host = port.hostPort ? `, hostPort ${port.hostPort}` : '';
        declared.push(
          `${podId(p)}/${c.name} declares containerPort ${port.containerPort}/${port.protocol ?? 'TCP'}${host}`,
        );
      }
    }
    if (p.spec?.hostNetwork && podGpus(p) > 0) hostNetwork.push(podId(p));
  }
  return {
    exitCode: declared.length > 0 ? 0 : 1,
    stdout: lines(...declared),
    stderr: lines(
      `the Kubernetes API cannot see sockets: this lists pods that declare port ${NCCL_PORT}, not what listens`,
      hostNetwork.length > 0 &&
        `GPU pods on the host network need not declare ports: ${hostNetwork.join(', ')} may listen on ${NCCL_PORT} unseen`,
    ),
  };
}

/**
 * Readings only nvidia-smi on the node has. Exit 127 with nothing on stdout, the shell's "not
 * found", is what triage lists as not available on this node.
 */
function nvidiaSmiOnly(id: DiagnosticId, f: NodeFacts): DiagnosticOutput {
  return {
    exitCode: 127,
    stdout: '',
    stderr: lines(
      `${id} is not in the Kubernetes API: run nvidia-smi on ${f.node.metadata?.name ?? 'the node'} (the ssh adapter), or alert on dcgm-exporter's metrics`,
    ),
  };
}

export function renderDiagnostic(id: DiagnosticId, facts: NodeFacts, now: Date): DiagnosticOutput {
  switch (id) {
    case 'uptime':
      return uptime(facts, now);
    case 'memory':
      return memory(facts);
    case 'gpu':
      return gpu(facts);
    case 'gpu-health':
    case 'gpu-remap':
    case 'nvlink':
      return nvidiaSmiOnly(id, facts);
    case 'xid':
      return xid(facts);
    case 'oom':
      return oom(facts);
    case 'containers':
      return containers(facts, now);
    case 'container-restarts':
      return containerRestarts(facts);
    case 'nccl-port':
      return ncclPort(facts);
  }
}
