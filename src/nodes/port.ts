import type { CollectedBundle } from './bundle.ts';

/**
 * NodeAdapter port. A non-zero exit on a node is a *result* (CommandResult with exitCode != 0);
 * only transport failures (unreachable, timeout) throw, as BotError `bot.node.unreachable` /
 * `bot.node.timeout`. Every call takes an AbortSignal.
 */

export const NODE_CAPABILITIES = [
  'list',
  'health',
  'diagnose',
  'workloads',
  'cordon',
  'uncordon',
  'drain',
  'restart',
  'stop',
  'logs',
  // The diagnostic bundle (src/nodes/bundle.ts): read-only, but it runs commands on the node.
  'collect',
] as const;
export type NodeCapability = (typeof NODE_CAPABILITIES)[number];

/**
 * Allow-listed diagnostics. Adapters map each id to a fixed command template; untrusted text never
 * becomes part of a command line, only validated node names and container names do.
 */
export const DIAGNOSTICS = {
  uptime: 'uptime and load average',
  memory: 'memory (free -h)',
  gpu: 'GPU temperature, utilization, memory and uncorrected ECC (nvidia-smi --query-gpu)',
  'gpu-health':
    'GPU bus id, serial, power against its limit, PCIe link against its maximum, clock throttle reasons and retired pages (nvidia-smi --query-gpu)',
  'gpu-remap':
    'GPU memory row remapping: correctable, uncorrectable, pending, failed (nvidia-smi --query-remapped-rows)',
  nvlink: 'NVLink links per GPU, up or inactive (nvidia-smi nvlink --status)',
  xid: 'recent Xid / NVRM lines from dmesg',
  oom: 'recent OOM kills from dmesg',
  containers: 'containers with status (docker ps -a)',
  'container-restarts': 'restart count and last exit code of each container (docker inspect)',
  'nccl-port': 'whether the NCCL port 29500 is listening (ss -tuln)',
} as const;
export type DiagnosticId = keyof typeof DIAGNOSTICS;

export type NodeState = 'ready' | 'not_ready' | 'cordoned' | 'unreachable';

export interface NodeInfo {
  readonly name: string;
  /** The adapter instance the node belongs to (e.g. `simulated`, `ssh:rack2`). */
  readonly adapter: string;
  readonly state: NodeState;
  readonly gpus: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface GpuHealth {
  readonly index: number;
  readonly name: string;
  readonly temperatureC: number;
  readonly utilizationPct: number;
  readonly memoryUsedMiB: number;
  readonly memoryTotalMiB: number;
  readonly eccUncorrected: number;
  /** False when the GPU did not answer (fallen off the bus). */
  readonly responding: boolean;
}

export interface NodeHealth {
  readonly node: string;
  readonly state: NodeState;
  readonly uptimeSeconds: number;
  readonly load1: number;
  readonly memoryUsedMiB: number;
  readonly memoryTotalMiB: number;
  readonly gpus: readonly GpuHealth[];
  readonly checkedAt: Date;
}

export interface CommandResult {
  /** The command as it ran (from the allow-listed template), for the record. */
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface Workload {
  readonly id: string;
  readonly name: string;
  readonly node: string;
  readonly state: 'running' | 'restarting' | 'exited' | 'stopped';
  readonly restartCount: number;
  readonly lastExitCode: number | null;
  readonly gpus: number;
  /** Part of the node itself (a DaemonSet pod, a node agent): drains leave it. */
  readonly system: boolean;
}

/** What a drain will do to one workload it evicts, where the adapter can tell beforehand. */
export type EvictionFate =
  /** Started again on another node (the simulated fleet's scheduler). */
  | { readonly kind: 'moved'; readonly to: string }
  /** Stopped, not started anywhere else; `why` says so in a few words. */
  | { readonly kind: 'stopped'; readonly why: string };

/** A batch scheduler's job on the node (Slurm's `squeue`): a drain lets it run to its end. */
export interface SchedulerJob {
  readonly id: string;
  readonly name: string;
  readonly user: string;
  /** As the scheduler says it (`RUNNING`, `COMPLETING`). */
  readonly state: string;
  /** Time used so far, as the scheduler prints it (`2:03:11`, `1-04:00:00`). */
  readonly elapsed: string;
  /** The GPUs it holds, where the scheduler says (Slurm's gres). */
  readonly gpus?: number;
}

/** What the node's batch scheduler says of it (Slurm: `sinfo`, `squeue -w`). */
export interface SchedulerStatus {
  /** As the scheduler prints it (`mixed`, `drained`, `down*`). */
  readonly state: string;
  /** Why it is in that state, where someone said (`incident-bot INC-12: Xid 79`, `Not responding`). */
  readonly reason?: string;
  readonly jobs: readonly SchedulerJob[];
}

export interface DrainPlan {
  readonly node: string;
  /** Workloads a drain would move or stop. */
  readonly evict: readonly Workload[];
  /** Workloads a drain leaves in place, with why. */
  readonly skip: readonly { workload: Workload; reason: string }[];
  readonly alreadyCordoned: boolean;
  /**
   * What becomes of each evicted workload, by workload id, where the adapter knows before it runs.
   * Without it the preview says the workloads are evicted and promises nothing about where they go.
   */
  readonly fates?: Readonly<Record<string, EvictionFate>>;
  /**
   * The scheduler's jobs on the node, where it has one (Slurm): the drain does not stop them, they
   * run to their end and no new ones start.
   */
  readonly schedulerJobs?: readonly SchedulerJob[];
}

export interface MutationResult {
  readonly ok: boolean;
  readonly summary: string;
  readonly output: string;
  /**
   * It ran, and did something a person should look at (a drain that stopped work it meant to
   * move): shown as a warning, not a plain success.
   */
  readonly warning?: string;
  /**
   * It ran, and the node is still finishing it: Slurm says DRAINING while jobs run. The words say
   * what it waits for; `drainProgress` says when it is done.
   */
  readonly settling?: string;
}

/** Where a drain that was still finishing has got to (NodeAdapter.drainProgress). */
export interface DrainProgress {
  /** `draining`: jobs still run; `drained`: done; `other`: neither any more (resumed, down). */
  readonly state: 'draining' | 'drained' | 'other';
  /** A few words for the channel (`DRAINING: 2 Slurm jobs still running (4121, 4122)`). */
  readonly summary: string;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /**
   * Why a mitigation runs, in a few words (`INC-12: Xid 79 on gpu-node-5`): adapters that can
   * record a reason with the change (Slurm's drain reason) do. Untrusted text: an adapter that
   * puts it in a command cuts it down first (drainReason in src/nodes/ssh/templates.ts).
   */
  readonly reason?: string;
}

/** What a peer probe found (see NodeAdapter.probePeer). */
export interface PeerProbe {
  /**
   * True when `peer` answered on the port: the connection opened, or the peer refused it (nothing
   * listens there right now, but packets flow both ways). False when nothing answered (dropped by
   * a firewall, a link down, no route, the name does not resolve): what a network partition is.
   */
  readonly reachable: boolean;
  /**
   * Whether something listened on the port (the connection opened), where the probe can tell; a
   * refusal is reachable and not listening.
   */
  readonly listening?: boolean;
  /** A few words on how it went, for the report (`connected to gpu-node-7 (10.10.2.17) port 29500`). */
  readonly detail: string;
}

export interface NodeAdapter {
  /** Instance name, unique across the configured adapters. */
  readonly name: string;
  readonly capabilities: ReadonlySet<NodeCapability>;
  listNodes(opts?: CallOptions): Promise<NodeInfo[]>;
  /** Whether this adapter owns `node`. */
  hasNode(node: string): boolean;
  /**
   * Optional: how many GPUs the node should have, from the adapter's inventory (not from asking
   * the node): triage reports fewer answering nvidia-smi as a GPU missing from the bus.
   */
  expectedGpus?(node: string): number | undefined;
  /**
   * Optional: the node's batch scheduler state, reason and jobs (Slurm), read-only; undefined when
   * the node has no scheduler to ask. Triage shows it beside the diagnostics.
   */
  schedulerStatus?(node: string, opts?: CallOptions): Promise<SchedulerStatus | undefined>;
  health(node: string, opts?: CallOptions): Promise<NodeHealth>;
  diagnose(node: string, diagnostic: DiagnosticId, opts?: CallOptions): Promise<CommandResult>;
  /**
   * Optional: several diagnostics in one round trip (the SSH adapter runs them as one command).
   * Triage uses it when present; it must answer exactly what `diagnose` would for each id.
   */
  diagnoseMany?<I extends DiagnosticId>(
    node: string,
    diagnostics: readonly I[],
    opts?: CallOptions,
  ): Promise<Record<I, CommandResult>>;
  /**
   * Optional: can `node` open a TCP connection to `peer`'s `port` (multi-node training: a network
   * partition shows up as NCCL timeouts on 29500)? `peer` is another node of this adapter, which
   * maps it to its own address for it; never a free-form host. Read-only. A dropped or refused
   * connection is an answer, not a throw; like diagnose, it throws for transport failures of
   * `node` (`bot.node.unreachable` / `bot.node.timeout`), and before anything runs for a `node` or
   * `peer` it does not own (`bot.node.unknown`) or a port outside 1…65535 (`bot.node.invalid_port`),
   * and when `node` cannot run a probe at all (`bot.node.probe_unavailable`: no answer either way).
   */
  probePeer?(node: string, peer: string, port: number, opts?: CallOptions): Promise<PeerProbe>;
  /**
   * Optional, with the `collect` capability: NVIDIA's diagnostic bundle (src/nodes/bundle.ts),
   * its journal from `since`. Read-only. Takes minutes on a real node (`opts.timeoutMs`); throws
   * like `diagnose` for transport failures. A command that fails is a file with its exit status.
   */
  collectBundle?(
    node: string,
    since: Date,
    opts?: CallOptions & { readonly timeoutMs?: number },
  ): Promise<CollectedBundle>;
  listWorkloads(node?: string, opts?: CallOptions): Promise<Workload[]>;
  cordon(node: string, opts?: CallOptions): Promise<MutationResult>;
  uncordon(node: string, opts?: CallOptions): Promise<MutationResult>;
  /** The dry run: what a drain would do, changing nothing. */
  planDrain(node: string, opts?: CallOptions): Promise<DrainPlan>;
  drain(node: string, opts?: CallOptions): Promise<MutationResult>;
  /**
   * Optional: after a drain whose result was `settling`, where it has got to. Read-only; throws
   * like `health` for transport failures.
   */
  drainProgress?(node: string, opts?: CallOptions): Promise<DrainProgress>;
  restartWorkload(workloadId: string, opts?: CallOptions): Promise<MutationResult>;
  /**
   * The last `tail` lines of a workload's log (stdout and stderr), for the `logs` capability.
   * Read-only; the caller redacts before posting.
   */
  workloadLogs(workloadId: string, tail: number, opts?: CallOptions): Promise<CommandResult>;
  stopWorkload(workloadId: string, opts?: CallOptions): Promise<MutationResult>;
  close(): Promise<void>;
}

/** Node names reach shells on some adapters: this is the one rule they must all pass. */
export const NODE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
