import type { Workload } from '../port.ts';

/**
 * The simulated fleet's data. Times are epoch milliseconds taken from the adapter's Clock, so
 * everything a caller sees is a function of the clock.
 */

export interface SimGpu {
  readonly index: number;
  /** As the driver prints it in Xid lines, e.g. `0000:9a:00`. */
  readonly pciBus: string;
  readonly serial: string;
  readonly uuid: string;
  readonly responding: boolean;
  /** False when it has vanished from the bus: nvidia-smi does not list it at all. */
  readonly onBus: boolean;
  /** A standing hardware fault, as nvidia-smi reports it. */
  readonly fault?: GpuFault;
}

/** What nvidia-smi says of a GPU with a fault (see seed.ts for which node has which). */
export interface GpuFault {
  /** `clocks_throttle_reasons.*` that read Active, and the temperature that goes with them. */
  readonly throttle?: {
    readonly reasons: readonly ('hw_slowdown' | 'hw_thermal' | 'sw_thermal')[];
    readonly tempC: number;
  };
  readonly remap?: {
    readonly correctable: number;
    readonly uncorrectable: number;
    readonly pending: boolean;
    readonly failure: boolean;
  };
  /** NVLink link numbers that print `<inactive>`. */
  readonly nvlinkDown?: readonly number[];
}

export interface KernelLine {
  /** Seconds since boot, as dmesg prints them. */
  readonly seconds: number;
  readonly text: string;
}

export interface SimNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly bootedAt: number;
  readonly memTotalMiB: number;
  /** Host memory used outside any container (kernel, page tables, daemons). */
  readonly baseMemMiB: number;
  readonly baseLoad: number;
  readonly gpus: readonly SimGpu[];
  readonly kernelLog: readonly KernelLine[];
  /** Its address on the fabric (IPoIB on ib0): what a peer connects to for NCCL's rendezvous. */
  readonly address: string;
  /**
   * A firewall rule drops every new TCP connection this node opens on the fabric (established ones
   * carry on): its probes of any peer time out, while peers still reach it. See seed.ts.
   */
  readonly egressDropped: boolean;
  cordoned: boolean;
}

/** What a workload consumes while it runs; it travels with the workload when a drain moves it. */
export interface WorkloadProfile {
  readonly gpus: number;
  readonly system: boolean;
  readonly memMiB: number;
  readonly load: number;
  readonly gpuUtilPct: number;
  readonly gpuMemMiB: number;
  /** Ports it listens on (29500 on the rank-0 node of a torchrun job). */
  readonly ports: readonly number[];
}

/**
 * A container that keeps exiting. Docker's restart backoff tops out at one minute, so a long crash
 * loop exits once a minute: at `firstExitAt`, then every 60 s after, each exit one more restart.
 */
export interface CrashLoop {
  readonly exitCode: number;
  readonly firstExitAt: number;
}

export interface SimWorkload {
  readonly id: string;
  readonly name: string;
  readonly node: string;
  readonly profile: WorkloadProfile;
  state: Workload['state'];
  /** Restarts counted so far (for a crash loop: before `crashLoop.firstExitAt`). */
  restartCount: number;
  lastExitCode: number | null;
  gpuIndices: number[];
  startedAt: number;
  finishedAt: number | null;
  crashLoop: CrashLoop | null;
  /** Creation order: docker ps lists the newest container first. */
  created: number;
}

export type NewSimWorkload = Omit<SimWorkload, 'id' | 'created'>;

/**
 * The simulated fleet as it is saved between runs: the clock reading it was seeded at (the faults'
 * times are offsets from it), the cordons, and every workload.
 */
export interface FleetSnapshot {
  readonly t0: number;
  readonly cordoned: readonly string[];
  readonly workloads: readonly SimWorkload[];
}
