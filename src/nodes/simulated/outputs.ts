import { NCCL_PORT } from '../commands.ts';
import type { DiagnosticId } from '../port.ts';
import type { Fleet } from './fleet.ts';
import { dmesgStamp, humanDuration, humanSize, stablePick, uptimeLine } from './format.ts';
import type { SimGpu, SimNode, SimWorkload } from './model.ts';
import { GPU_MEMORY_MIB, GPU_NAME } from './seed.ts';

/**
 * What each allow-listed command prints on a simulated node, byte for byte the shape the real tool
 * prints, so the parsers and the people reading the channel see what they would see on a real node.
 */

export interface Output {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

const ok = (lines: readonly string[]): Output => ({
  stdout: lines.map((l) => `${l}\n`).join(''),
  stderr: '',
  exitCode: 0,
});

export function loadAverages(fleet: Fleet, node: SimNode): [number, number, number] {
  const running = fleet.activeOn(node.name).filter((w) => w.state === 'running');
  const load1 = running.reduce((sum, w) => sum + w.profile.load, node.baseLoad);
  // Rounded as printed, so health() and `uptime` agree exactly.
  return [load1, load1 * 0.96, load1 * 0.91].map((l) => Number(l.toFixed(2))) as [number, number, number];
}

function uptime(fleet: Fleet, node: SimNode, now: number): Output {
  return ok([uptimeLine(new Date(now), now - node.bootedAt, loadAverages(fleet, node))]);
}

function memory(fleet: Fleet, node: SimNode): Output {
  const total = node.memTotalMiB;
  const used = fleet.memUsedMiB(node);
  const cache = Math.min(64 * 1024, Math.max(0, total - used) * 0.5);
  const free = Math.max(0, total - used - cache);
  const cols = [total, used, free, 1200, cache, free + cache * 0.8].map((v) => humanSize(v).padStart(12));
  const header = ['total', 'used', 'free', 'shared', 'buff/cache', 'available'].map((h) => h.padStart(12));
  return ok([
    `${''.padEnd(8)}${header.join('')}`,
    `${'Mem:'.padEnd(8)}${cols.join('')}`,
    `${'Swap:'.padEnd(8)}${['0B', '0B', '0B'].map((v) => v.padStart(12)).join('')}`,
  ]);
}

function gpuHolder(fleet: Fleet, node: SimNode, index: number): SimWorkload | undefined {
  return fleet.activeOn(node.name).find((w) => w.state === 'running' && w.gpuIndices.includes(index));
}

/** Utilisation and temperature of a GPU as its holder drives it (a fault's own temperature wins). */
export function gpuLoad(fleet: Fleet, node: SimNode, g: SimGpu): { util: number; temp: number; mem: number } {
  const key = `${node.name}/gpu${g.index}`;
  const w = gpuHolder(fleet, node, g.index);
  const util = w ? Math.min(100, Math.max(0, w.profile.gpuUtilPct + stablePick(`${key}:util`, -3, 2))) : 0;
  const mem = w ? w.profile.gpuMemMiB + stablePick(`${key}:mem`, 0, 600) : 0;
  const temp = g.fault?.throttle?.tempC ?? 29 + stablePick(`${key}:temp`, 0, 5) + Math.round(util * 0.36);
  return { util, temp, mem };
}

/** nvidia-smi lists the GPUs the driver initialised: one that vanished from the bus is not there. */
export const listed = (node: SimNode) => node.gpus.filter((g) => g.onBus);

function gpu(fleet: Fleet, node: SimNode): Output {
  const rows = listed(node).map((g) => {
    // What nvidia-smi prints for a GPU that no longer answers on the bus.
    if (!g.responding) {
      return `${g.index}, ${GPU_NAME}, [Unknown Error], [Unknown Error], [GPU requires reset], [GPU requires reset], [GPU requires reset]`;
    }
    const { util, temp, mem } = gpuLoad(fleet, node, g);
    return `${g.index}, ${GPU_NAME}, ${temp}, ${util} %, ${mem} MiB, ${GPU_MEMORY_MIB} MiB, 0`;
  });
  return ok(rows);
}

/** `00000000:9A:00.0`, as nvidia-smi prints a bus id. */
export const smiBus = (g: SimGpu) => `0000${g.pciBus.toUpperCase()}.0`;
const active = (on: boolean) => (on ? 'Active' : 'Not Active');

/** GPU_HEALTH_FIELDS' columns. An H100 remaps rows instead of retiring pages: those print [N/A]. */
function gpuHealth(fleet: Fleet, node: SimNode): Output {
  return ok(
    listed(node).map((g) => {
      if (!g.responding) return [g.index, smiBus(g), ...Array(16).fill('[GPU requires reset]')].join(', ');
      const { util } = gpuLoad(fleet, node, g);
      const t = new Set(g.fault?.throttle?.reasons ?? []);
      const draw = (68 + util * 6.2 + stablePick(`${node.name}/gpu${g.index}:draw`, 0, 900) / 100).toFixed(2);
      // An idle link drops to Gen1 to save power, as real ones do.
      const gen = util > 0 ? 5 : 1;
      return [
        g.index,
        smiBus(g),
        g.serial,
        g.uuid,
        `${draw} W`,
        '700.00 W',
        gen,
        5,
        16,
        16,
        active(t.has('hw_slowdown')),
        active(t.has('hw_thermal')),
        active(false),
        active(t.has('sw_thermal')),
        active(false),
        '[N/A]',
        '[N/A]',
        '[N/A]',
      ].join(', ');
    }),
  );
}

/** REMAPPED_ROWS_FIELDS' columns; nvidia-smi prints the two flags as 0 or 1. */
function gpuRemap(node: SimNode): Output {
  return ok(
    listed(node).map((g) => {
      if (!g.responding)
        return `${smiBus(g)}, [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset]`;
      const r = g.fault?.remap ?? { correctable: 0, uncorrectable: 0, pending: false, failure: false };
      return `${smiBus(g)}, ${r.correctable}, ${r.uncorrectable}, ${Number(r.pending)}, ${Number(r.failure)}`;
    }),
  );
}

/** An H100 SXM has 18 NVLink 4 links of 26.562 GB/s each; one that is down prints `<inactive>`. */
const NVLINKS = 18;

function nvlink(node: SimNode): Output {
  const lines: string[] = [];
  for (const g of listed(node)) {
    lines.push(`GPU ${g.index}: ${GPU_NAME} (UUID: ${g.uuid})`);
    if (!g.responding) continue;
    const down = new Set(g.fault?.nvlinkDown ?? []);
    for (let l = 0; l < NVLINKS; l++)
      lines.push(`\t Link ${l}: ${down.has(l) ? '<inactive>' : '26.562 GB/s'}`);
  }
  return ok(lines);
}

/** `dmesg | grep -i <pattern> | tail -<n>`; grep prints nothing and tail exits 0 when nothing matches. */
function dmesg(node: SimNode, pattern: RegExp, tail: number): Output {
  const lines = node.kernelLog
    .filter((l) => pattern.test(l.text))
    .map((l) => `${dmesgStamp(l.seconds)} ${l.text}`);
  return ok(lines.slice(-tail));
}

function dockerStatus(fleet: Fleet, w: SimWorkload, now: number): string {
  if (w.state === 'running') return `Up ${humanDuration(now - w.startedAt)}`;
  const crash = fleet.crashState(w, now);
  if (crash)
    return `Restarting (${w.lastExitCode ?? 0}) ${humanDuration(Math.max(0, now - crash.lastExitAt))} ago`;
  return `Exited (${w.lastExitCode ?? 0}) ${humanDuration(now - (w.finishedAt ?? now))} ago`;
}

/** docker ps lists the newest container first. */
function newestFirst(fleet: Fleet, node: SimNode): SimWorkload[] {
  return fleet.workloadsOn(node.name).reverse();
}

function containers(fleet: Fleet, node: SimNode, now: number): Output {
  return ok(
    newestFirst(fleet, node)
      .slice(0, 20)
      .map((w) => `${w.name} ${dockerStatus(fleet, w, now)}`),
  );
}

function containerRestarts(fleet: Fleet, node: SimNode, now: number): Output {
  return ok(
    newestFirst(fleet, node).map((w) => {
      const restarts = fleet.toWorkload(w, now).restartCount;
      return `${w.name} ${restarts} restarts, last exit: ${w.lastExitCode ?? 0}`;
    }),
  );
}

function ncclPort(fleet: Fleet, node: SimNode): Output {
  const listening = fleet.listens(node, NCCL_PORT);
  // grep's exit status is the pipeline's: 1 means "nothing listens", which is the answer.
  if (!listening) return { stdout: '', stderr: '', exitCode: 1 };
  return ok([`tcp   LISTEN 0      4096                     *:${NCCL_PORT}            *:*`]);
}

export function renderDiagnostic(fleet: Fleet, node: SimNode, id: DiagnosticId, now: number): Output {
  switch (id) {
    case 'uptime':
      return uptime(fleet, node, now);
    case 'memory':
      return memory(fleet, node);
    case 'gpu':
      return gpu(fleet, node);
    case 'gpu-health':
      return gpuHealth(fleet, node);
    case 'gpu-remap':
      return gpuRemap(node);
    case 'nvlink':
      return nvlink(node);
    case 'xid':
      return dmesg(node, /xid|nvrm/i, 20);
    case 'oom':
      return dmesg(node, /oom|out of memory/i, 10);
    case 'containers':
      return containers(fleet, node, now);
    case 'container-restarts':
      return containerRestarts(fleet, node, now);
    case 'nccl-port':
      return ncclPort(fleet, node);
  }
}
