import { NCCL_PORT } from '../commands.ts';
import { stableHash, stablePick } from './format.ts';
import type { GpuFault, KernelLine, NewSimWorkload, SimGpu, SimNode, WorkloadProfile } from './model.ts';

/**
 * The demo fleet: gpu-node-1…13, eight H100s each, with nine deterministic faults a responder can
 * find with the triage in reference/gpu-node-triage.md:
 *
 * - gpu-node-3: vllm-llama3-8b crash-loops (exit 1, a restart a minute).
 * - gpu-node-5: GPU 4 fell off the bus (Xid 79); the node is not_ready.
 * - gpu-node-6: a one-way partition. A firewall change (an nftables rule on the fabric interface,
 *   `oifname "ib0" ct state new log prefix "nft-drop-out: " drop`) drops every new TCP connection
 *   it opens, so it cannot reach any peer's 29500 and a multi-node job placed across it hangs in
 *   its rendezvous; connections already established carry on, and peers still reach it (an egress
 *   rule, not a link down, which would cut both ways). dmesg shows the dropped SYNs, 6 minutes ago.
 * - gpu-node-7: feature-etl was OOM-killed 14 minutes ago, restarted, and is filling memory again.
 *
 * gpu-node-8 is the training pool's hot spare, idle: a drain of gpu-node-5 moves its job there.
 *
 * gpu-node-9…13 (rack r3, the research pool, each busy with its own job) show the deeper GPU faults:
 *
 * - gpu-node-9: GPU 2 has a row remap pending (Xid 63): reset it when its job ends.
 * - gpu-node-10: GPU 6 ran out of spare rows (Xid 64, row remapping failure): drain and RMA. It
 *   had double-bit errors (Xid 48) 5 and 2 days before: the memory of bad hardware tells it.
 * - gpu-node-11: GPU 1 is in hardware thermal slowdown at 92°C: cordon, check cooling.
 * - gpu-node-12: GPU 3 lost NVLink links 4 and 5 (Xid 74): drain.
 * - gpu-node-13: GPU 7 vanished from the bus (the driver could not initialise it): nvidia-smi lists
 *   7 of its 8 GPUs; drain.
 *
 * Each node has a fabric address (IPoIB on ib0), 10.10.<rack>.<10 + n>: gpu-node-6 is 10.10.2.16.
 *
 * Every time is an offset from `t0`, the clock reading when the adapter was created.
 */

export const GPU_NAME = 'NVIDIA H100 80GB HBM3';
export const GPU_MEMORY_MIB = 81559;
/** `free` reports a little less than the 2 TB installed in a DGX H100. */
const MEM_TOTAL_MIB = 2_063_720;
/** PCI buses of the eight GPUs in a DGX H100, in nvidia-smi index order. */
const GPU_BUSES = ['18', '2a', '3a', '5d', '9a', 'ab', 'ba', 'db'] as const;
const XID_NODE = 5;
const LOST_GPU = 4;
const OOM_NODE = 7;
const FIREWALL_NODE = 6;
const REMAP_PENDING_NODE = 9;
const REMAP_FAILED_NODE = 10;
const HOT_NODE = 11;
const NVLINK_NODE = 12;
const MISSING_GPU_NODE = 13;
/** The GPU with the fault on each of those nodes. */
const FAULTY_GPU: Readonly<Record<number, number>> = { 9: 2, 10: 6, 11: 1, 12: 3, 13: 7 };

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const NODES: readonly { n: number; rack: string; pool: string; upDays: number; baseLoad: number }[] = [
  { n: 1, rack: 'r1', pool: 'training', upDays: 41, baseLoad: 0.4 },
  { n: 2, rack: 'r1', pool: 'training', upDays: 41, baseLoad: 0.4 },
  { n: 3, rack: 'r1', pool: 'inference', upDays: 17, baseLoad: 0.3 },
  { n: 4, rack: 'r1', pool: 'inference', upDays: 17, baseLoad: 0.3 },
  { n: 5, rack: 'r2', pool: 'training', upDays: 63, baseLoad: 0.4 },
  { n: 6, rack: 'r2', pool: 'training', upDays: 63, baseLoad: 0.4 },
  // kswapd and direct reclaim under memory pressure show up as load.
  { n: 7, rack: 'r2', pool: 'inference', upDays: 29, baseLoad: 6.8 },
  // The hot spare: idle, so a drain of a training node has somewhere to move its job.
  { n: 8, rack: 'r2', pool: 'training', upDays: 8, baseLoad: 0.1 },
  { n: 9, rack: 'r3', pool: 'research', upDays: 12, baseLoad: 0.4 },
  { n: 10, rack: 'r3', pool: 'research', upDays: 12, baseLoad: 0.4 },
  { n: 11, rack: 'r3', pool: 'research', upDays: 33, baseLoad: 0.4 },
  { n: 12, rack: 'r3', pool: 'research', upDays: 33, baseLoad: 0.4 },
  { n: 13, rack: 'r3', pool: 'research', upDays: 2, baseLoad: 0.3 },
];

/** Each GPU fault of the research nodes, as nvidia-smi reports it. */
function gpuFault(n: number, index: number): GpuFault | undefined {
  if (FAULTY_GPU[n] !== index) return undefined;
  if (n === REMAP_PENDING_NODE)
    return { remap: { correctable: 0, uncorrectable: 1, pending: true, failure: false } };
  if (n === REMAP_FAILED_NODE)
    return { remap: { correctable: 2, uncorrectable: 8, pending: false, failure: true } };
  if (n === HOT_NODE) return { throttle: { reasons: ['hw_slowdown', 'hw_thermal'], tempC: 92 } };
  if (n === NVLINK_NODE) return { nvlinkDown: [4, 5] };
  return undefined;
}

const SYSTEM: WorkloadProfile = {
  gpus: 0,
  system: true,
  memMiB: 350,
  load: 0.15,
  gpuUtilPct: 0,
  gpuMemMiB: 0,
  ports: [],
};
const TRAINING: WorkloadProfile = {
  gpus: 8,
  system: false,
  memMiB: 440_000,
  load: 31,
  gpuUtilPct: 98,
  gpuMemMiB: 77_312,
  ports: [],
};
const RANK0: WorkloadProfile = { ...TRAINING, ports: [NCCL_PORT] };

function inference(gpus: number, memMiB: number, gpuUtilPct: number, gpuMemMiB: number): WorkloadProfile {
  return { gpus, system: false, memMiB, load: 1 + gpus * 1.4, gpuUtilPct, gpuMemMiB, ports: [] };
}

interface WorkloadSeed {
  readonly name: string;
  readonly profile: WorkloadProfile;
  /** Started this long before t0 (never before its node booted). */
  readonly age: number;
  /** Fault state laid over a healthy running container. */
  readonly fault?: Partial<NewSimWorkload>;
}

/** Per node; GPUs are handed out in order. */
function plannedWorkloads(t0: number): Readonly<Record<number, readonly WorkloadSeed[]>> {
  return {
    1: [{ name: 'llama3-70b-pretrain-0', profile: RANK0, age: 3 * DAY + 4 * HOUR }],
    2: [{ name: 'llama3-70b-pretrain-1', profile: TRAINING, age: 3 * DAY + 4 * HOUR }],
    3: [
      {
        name: 'vllm-llama3-8b',
        profile: inference(2, 48_000, 45, 73_400),
        age: 40 * MIN,
        // Exits with 1 (a bad model path) 5 s before t0, for the 13th time.
        fault: {
          state: 'restarting',
          restartCount: 12,
          lastExitCode: 1,
          crashLoop: { exitCode: 1, firstExitAt: t0 - 5000 },
        },
      },
      { name: 'triton-embeddings', profile: inference(1, 12_000, 31, 18_000), age: 9 * DAY },
    ],
    4: [
      { name: 'vllm-mixtral-8x7b', profile: inference(4, 96_000, 63, 73_400), age: 6 * DAY },
      { name: 'tgi-mistral-7b', profile: inference(1, 24_000, 38, 71_000), age: 2 * DAY },
      { name: 'triton-resnet50', profile: inference(1, 8_000, 22, 9_800), age: 5 * DAY },
    ],
    5: [{ name: 'qwen2-72b-finetune-0', profile: RANK0, age: 26 * HOUR }],
    9: [{ name: 'mixtral-8x22b-sft-0', profile: RANK0, age: 9 * HOUR }],
    10: [{ name: 'deepseek-v3-eval-0', profile: RANK0, age: 5 * HOUR }],
    11: [{ name: 'llama3-405b-eval-0', profile: RANK0, age: 2 * DAY }],
    12: [{ name: 'sdxl-finetune-0', profile: RANK0, age: 20 * HOUR }],
    13: [{ name: 'whisper-large-v3', profile: inference(4, 64_000, 52, 41_000), age: 30 * HOUR }],
    6: [{ name: 'qwen2-72b-finetune-1', profile: TRAINING, age: 26 * HOUR }],
    7: [
      { name: 'vllm-llama3-70b', profile: inference(4, 160_000, 55, 73_400), age: 11 * DAY },
      // A CPU job with no memory limit: the OOM killer's choice, restarted 2 s later and growing again.
      {
        name: 'feature-etl',
        profile: { ...inference(0, 1_780_000, 0, 0), load: 12 },
        age: 14 * MIN - 2000,
        fault: { restartCount: 1 },
      },
    ],
    // 8: the spare, running only its node agents.
  };
}

function hex(key: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += stableHash(`${key}:${i}`).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

function gpuUuid(node: string, index: number): string {
  const h = hex(`${node}/gpu${index}`, 32);
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function bootLog(node: string): KernelLine[] {
  const j = (key: string) => stablePick(`${node}:${key}`, 0, 999_999) / 1_000_000;
  return [
    {
      seconds: 0,
      text: 'Linux version 5.15.0-107-generic (buildd@lcy02-amd64-017) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #117-Ubuntu SMP Fri Apr 26 12:26:49 UTC 2024',
    },
    { seconds: 4 + j('taint'), text: 'nvidia: loading out-of-tree module taints kernel.' },
    {
      seconds: 5 + j('nvrm'),
      text: 'NVRM: loading NVIDIA UNIX x86_64 Kernel Module  570.133.20  Thu Mar 13 11:52:11 UTC 2025',
    },
    {
      seconds: 6 + j('nvlink'),
      text: 'nvidia-nvlink: Nvlink Core is being initialized, major device number 508',
    },
  ];
}

/** What the driver logs when a GPU drops off PCIe (the AER line is filtered out by the xid grep). */
function xid79Log(gpu: SimGpu, seconds: number, pid: number): KernelLine[] {
  const bus = gpu.pciBus;
  const lines = [
    `pcieport 0000:97:01.0: AER: Uncorrected (Fatal) error received: 0000:97:01.0`,
    `NVRM: GPU at PCI:${bus}: ${gpu.uuid}`,
    `NVRM: GPU Board Serial Number: ${gpu.serial}`,
    `NVRM: Xid (PCI:${bus}): 79, pid=${pid}, name=python3, GPU has fallen off the bus.`,
    `NVRM: GPU ${bus}.0: GPU has fallen off the bus.`,
    // R565 and later summarise what the Xids before it need.
    `NVRM: Xid (PCI:${bus}): 154, GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)`,
    'NVRM: A GPU crash dump has been created. If possible, please run',
    'NVRM: nvidia-bug-report.sh as root to collect this data before',
    'NVRM: the NVIDIA kernel module is unloaded.',
  ];
  return lines.map((text, i) => ({ seconds: seconds + i * 0.000011, text }));
}

function oomLog(seconds: number, pid: number): KernelLine[] {
  const scope = `docker-${hex('feature-etl', 64)}.scope`;
  const lines = [
    'python3 invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0',
    `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=${scope},mems_allowed=0-1,global_oom,task_memcg=/system.slice/${scope},task=python3,pid=${pid},uid=1000`,
    `Out of memory: Killed process ${pid} (python3) total-vm:1946712484kB, anon-rss:1863217152kB, file-rss:48212kB, shmem-rss:8192kB, UID:1000 pgtables:3671248kB oom_score_adj:0`,
    `oom_reaper: reaped process ${pid} (python3), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB`,
  ];
  return lines.map((text, i) => ({ seconds: seconds + i * 0.000093, text }));
}

/**
 * What nftables logs for the gpu-node-6 rule: one line per SYN the rule drops, the kernel sending
 * it again after 1, 2 and 4 s (a new IP ID each time, the same source port).
 */
function egressDropLog(src: string, dst: string, seconds: number, key: string): KernelLine[] {
  const spt = stablePick(`${key}:spt`, 32_768, 60_999);
  return [0, 1.008, 3.024, 7.056].map((dt, i) => ({
    seconds: seconds + dt,
    text: `nft-drop-out: IN= OUT=ib0 SRC=${src} DST=${dst} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=${stablePick(`${key}:id${i}`, 1, 65_535)} DF PROTO=TCP SPT=${spt} DPT=${NCCL_PORT} WINDOW=64128 RES=0x00 SYN URGP=0`,
  }));
}

/** IPoIB on ib0: 10.10.<rack>.<10 + n>. */
function fabricAddress(n: number): string {
  const rack = NODES.find((x) => x.n === n)?.rack ?? 'r0';
  return `10.10.${rack.slice(1)}.${10 + n}`;
}

/** The driver's lines for the research nodes' GPU faults, `ago` before t0. */
function gpuFaultLog(n: number, gpu: SimGpu, seconds: number, pid: number): KernelLine[] {
  const bus = gpu.pciBus;
  const lines: string[] = [];
  if (n === REMAP_PENDING_NODE) {
    lines.push(
      `NVRM: Xid (PCI:${bus}): 94, pid=${pid}, name=python3, Contained: SM (0x1). RST: No, D-RST: No`,
      `NVRM: Xid (PCI:${bus}): 63, pid=${pid}, name=python3, Row Remapper: New row marked for remapping, reset gpu to activate.`,
    );
  } else if (n === REMAP_FAILED_NODE) {
    lines.push(
      `NVRM: Xid (PCI:${bus}): 48, pid=${pid}, name=python3, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 6, subpartition 0.`,
      `NVRM: Xid (PCI:${bus}): 64, pid=${pid}, name=python3, Row Remapper: Failed to remap row, no spare rows available.`,
    );
  } else if (n === NVLINK_NODE) {
    lines.push(
      `NVRM: Xid (PCI:${bus}): 74, pid=${pid}, name=python3, NVLink: fatal error detected on link 4(0x0, 0x0, 0x10000, 0x0, 0x0, 0x0, 0x0)`,
      `NVRM: Xid (PCI:${bus}): 74, pid=${pid}, name=python3, NVLink: fatal error detected on link 5(0x0, 0x0, 0x10000, 0x0, 0x0, 0x0, 0x0)`,
    );
  } else if (n === MISSING_GPU_NODE) {
    lines.push(
      `NVRM: GPU ${bus}.0: RmInitAdapter failed! (0x25:0xffff:1601)`,
      `NVRM: GPU ${bus}.0: rm_init_adapter failed, device minor number 7`,
    );
  }
  return lines.map((text, i) => ({ seconds: seconds + i * 0.000137, text }));
}

function faultLog(
  n: number,
  node: string,
  gpus: readonly SimGpu[],
  sinceBoot: (at: number) => number,
  t0: number,
): KernelLine[] {
  const faulty = FAULTY_GPU[n];
  if (faulty !== undefined) {
    // The vanished GPU never came up: its lines are from the boot.
    const at = n === MISSING_GPU_NODE ? 7.412 : sinceBoot(t0 - 47 * MIN) + 0.2281;
    const gpu = gpus[faulty]!;
    // gpu-node-10's GPU is a repeat offender: double-bit errors 5 and 2 days ago (each remapped a
    // row) before the one that found no spare row left, as NVIDIA's row remapper runs out.
    const earlier =
      n === REMAP_FAILED_NODE
        ? [5 * DAY, 2 * DAY].map((ago, i) => ({
            seconds: sinceBoot(t0 - ago) + 0.0131 * (i + 1),
            text: `NVRM: Xid (PCI:${gpu.pciBus}): 48, pid=${50_100 + i}, name=python3, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 6, subpartition 0.`,
          }))
        : [];
    return [...earlier, ...gpuFaultLog(n, gpu, at, 51_000 + n)];
  }
  if (n === FIREWALL_NODE) {
    // A new connection to the rank-0 store of its job (gpu-node-5:29500), dropped.
    return egressDropLog(fabricAddress(n), fabricAddress(XID_NODE), sinceBoot(t0 - 6 * MIN) + 0.40213, node);
  }
  if (n === XID_NODE) return xid79Log(gpus[LOST_GPU]!, sinceBoot(t0 - 23 * MIN) + 0.118302, 48211);
  if (n === OOM_NODE) return oomLog(sinceBoot(t0 - 14 * MIN) + 0.552103, 48213);
  return [];
}

export function seedFleet(t0: number): { nodes: SimNode[]; workloads: NewSimWorkload[] } {
  const nodes: SimNode[] = [];
  const workloads: NewSimWorkload[] = [];
  const planned = plannedWorkloads(t0);
  for (const spec of NODES) {
    const name = `gpu-node-${spec.n}`;
    const bootedAt = t0 - spec.upDays * DAY - stablePick(`${name}:boot`, 0, 23 * 60) * MIN;
    const sinceBoot = (at: number) => (at - bootedAt) / 1000;
    const lost = spec.n === XID_NODE ? LOST_GPU : -1;
    const vanished = spec.n === MISSING_GPU_NODE ? FAULTY_GPU[MISSING_GPU_NODE] : -1;
    const gpus: SimGpu[] = GPU_BUSES.map((b, index) => {
      const fault = gpuFault(spec.n, index);
      return {
        index,
        pciBus: `0000:${b}:00`,
        // A DGX's board serials: 13 digits, the first seven shared by a batch.
        serial: `1654923${String(stablePick(`${name}/gpu${index}:serial`, 0, 999_999)).padStart(6, '0')}`,
        uuid: gpuUuid(name, index),
        responding: index !== lost && index !== vanished,
        onBus: index !== vanished,
        ...(fault ? { fault } : {}),
      };
    });
    const kernelLog = [...bootLog(name), ...faultLog(spec.n, name, gpus, sinceBoot, t0)];
    nodes.push({
      name,
      labels: { rack: spec.rack, pool: spec.pool },
      bootedAt,
      memTotalMiB: MEM_TOTAL_MIB,
      baseMemMiB: 24_000 + stablePick(`${name}:mem`, 0, 4000),
      baseLoad: spec.baseLoad,
      gpus,
      kernelLog,
      address: fabricAddress(spec.n),
      egressDropped: spec.n === FIREWALL_NODE,
      cordoned: false,
    });

    // Node agents start with the node, before any job.
    for (const agent of ['dcgm-exporter', 'node-exporter']) {
      workloads.push(running(name, agent, SYSTEM, [], bootedAt + 2 * MIN));
    }
    let nextGpu = 0;
    for (const seed of planned[spec.n] ?? []) {
      const indices = Array.from({ length: seed.profile.gpus }, () => nextGpu++);
      const startedAt = Math.max(bootedAt + 5 * MIN, t0 - seed.age);
      workloads.push({ ...running(name, seed.name, seed.profile, indices, startedAt), ...seed.fault });
    }
  }
  return { nodes, workloads };
}

function running(
  node: string,
  name: string,
  profile: WorkloadProfile,
  gpuIndices: number[],
  startedAt: number,
): NewSimWorkload {
  return {
    name,
    node,
    profile,
    state: 'running',
    restartCount: 0,
    lastExitCode: null,
    gpuIndices,
    startedAt,
    finishedAt: null,
    crashLoop: null,
  };
}
