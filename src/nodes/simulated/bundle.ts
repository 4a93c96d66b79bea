import { type BundleFile, standardBundleCommands } from '../bundle.ts';
import type { Fleet } from './fleet.ts';
import { stablePick } from './format.ts';
import type { SimGpu, SimNode } from './model.ts';
import { gpuLoad, listed, smiBus } from './outputs.ts';
import { GPU_MEMORY_MIB, GPU_NAME } from './seed.ts';

/**
 * The fixed diagnostic bundle of a simulated node (src/nodes/bundle.ts), in the shapes the real
 * tools print: `nvidia-smi -q` (driver 570), `dmesg -T`, `journalctl -k` and `lspci -vv`. The
 * simulated nodes have no nvidia-bug-report.sh, so they answer with the fixed set, as such a node
 * would. The values agree with what the triage queries print for the same node.
 */

const DRIVER = '570.133.20';
const CUDA = '12.8';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** ctime(3), as `dmesg -T` and nvidia-smi's Timestamp print it (UTC here): `Tue Dec  8 00:12:01 2026`. */
export function ctime(d: Date): string {
  const hms = d.toISOString().slice(11, 19);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${hms} ${d.getUTCFullYear()}`;
}

/** journalctl's short format: `Dec 08 00:12:01`. */
function journalStamp(d: Date): string {
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, '0')} ${d.toISOString().slice(11, 19)}`;
}

/** `nvidia-smi -q` aligns every value at column 44: the key (with its indent) padded, then `: `. */
const kv = (indent: number, key: string, value: string | number) =>
  `${`${' '.repeat(indent)}${key}`.padEnd(42)}: ${value}`;
const active = (on: boolean) => (on ? 'Active' : 'Not Active');
const yesNo = (on: boolean) => (on ? 'Yes' : 'No');

function smiSection(fleet: Fleet, node: SimNode, g: SimGpu): string[] {
  const { util, temp, mem } = gpuLoad(fleet, node, g);
  const t = new Set(g.fault?.throttle?.reasons ?? []);
  const r = g.fault?.remap ?? { correctable: 0, uncorrectable: 0, pending: false, failure: false };
  const draw = (68 + util * 6.2 + stablePick(`${node.name}/gpu${g.index}:draw`, 0, 900) / 100).toFixed(2);
  const gen = util > 0 ? 5 : 1;
  const reserved = 328;
  return [
    `GPU ${smiBus(g)}`,
    kv(4, 'Product Name', GPU_NAME),
    kv(4, 'Product Brand', 'NVIDIA'),
    kv(4, 'Product Architecture', 'Hopper'),
    kv(4, 'Persistence Mode', 'Enabled'),
    kv(4, 'Serial Number', g.serial),
    kv(4, 'GPU UUID', g.uuid),
    kv(4, 'Minor Number', g.index),
    kv(4, 'VBIOS Version', '96.00.74.00.01'),
    '    PCI',
    kv(8, 'Bus', `0x${g.pciBus.slice(0, 2).toUpperCase()}`),
    kv(8, 'Device', '0x00'),
    kv(8, 'Domain', '0x0000'),
    kv(8, 'Device Id', '0x233010DE'),
    kv(8, 'Bus Id', smiBus(g)),
    '        GPU Link Info',
    '            PCIe Generation',
    kv(16, 'Max', 5),
    kv(16, 'Current', gen),
    '            Link Width',
    kv(16, 'Max', '16x'),
    kv(16, 'Current', '16x'),
    kv(4, 'Performance State', util > 0 ? 'P0' : 'P8'),
    '    Clocks Event Reasons',
    kv(8, 'Idle', active(util === 0)),
    kv(8, 'Applications Clocks Setting', active(false)),
    kv(8, 'SW Power Cap', active(false)),
    kv(8, 'HW Slowdown', active(t.has('hw_slowdown'))),
    kv(12, 'HW Thermal Slowdown', active(t.has('hw_thermal'))),
    kv(12, 'HW Power Brake Slowdown', active(false)),
    kv(8, 'Sync Boost', active(false)),
    kv(8, 'SW Thermal Slowdown', active(t.has('sw_thermal'))),
    kv(8, 'Display Clock Setting', active(false)),
    '    FB Memory Usage',
    kv(8, 'Total', `${GPU_MEMORY_MIB} MiB`),
    kv(8, 'Reserved', `${reserved} MiB`),
    kv(8, 'Used', `${mem} MiB`),
    kv(8, 'Free', `${GPU_MEMORY_MIB - reserved - mem} MiB`),
    '    Utilization',
    kv(8, 'Gpu', `${util} %`),
    kv(8, 'Memory', `${Math.round(util * 0.4)} %`),
    '    ECC Mode',
    kv(8, 'Current', 'Enabled'),
    kv(8, 'Pending', 'Enabled'),
    '    ECC Errors',
    '        Volatile',
    kv(12, 'SRAM Correctable', 0),
    kv(12, 'SRAM Uncorrectable Parity', 0),
    kv(12, 'SRAM Uncorrectable SEC-DED', 0),
    kv(12, 'DRAM Correctable', r.correctable),
    kv(12, 'DRAM Uncorrectable', r.uncorrectable),
    // Hopper remaps rows instead of retiring pages.
    '    Retired Pages',
    kv(8, 'Single Bit ECC', 'N/A'),
    kv(8, 'Double Bit ECC', 'N/A'),
    kv(8, 'Pending Page Blacklist', 'N/A'),
    '    Remapped Rows',
    kv(8, 'Correctable Error', r.correctable),
    kv(8, 'Uncorrectable Error', r.uncorrectable),
    kv(8, 'Pending', yesNo(r.pending)),
    kv(8, 'Remapping Failure Occurred', yesNo(r.failure)),
    '    Temperature',
    kv(8, 'GPU Current Temp', `${temp} C`),
    kv(8, 'GPU Shutdown Temp', '92 C'),
    kv(8, 'GPU Slowdown Temp', '89 C'),
    kv(8, 'GPU Max Operating Temp', '87 C'),
    '    GPU Power Readings',
    kv(8, 'Power Draw', `${draw} W`),
    kv(8, 'Current Power Limit', '700.00 W'),
    kv(8, 'Max Power Limit', '700.00 W'),
  ];
}

function nvidiaSmiQ(
  fleet: Fleet,
  node: SimNode,
  now: number,
): Pick<BundleFile, 'stdout' | 'stderr' | 'exitCode'> {
  const gpus = listed(node);
  const lines = [
    '',
    '==============NVSMI LOG==============',
    '',
    kv(0, 'Timestamp', ctime(new Date(now))),
    kv(0, 'Driver Version', DRIVER),
    kv(0, 'CUDA Version', CUDA),
    '',
    kv(0, 'Attached GPUs', gpus.length),
  ];
  // A GPU that stopped answering has no section: nvidia-smi says so on stderr and exits 15.
  const stderr: string[] = [];
  for (const g of gpus) {
    if (g.responding) lines.push(...smiSection(fleet, node, g), '');
    else stderr.push(`Unable to determine the device handle for GPU${smiBus(g)}: Unknown Error`);
  }
  return {
    stdout: lines.map((l) => `${l}\n`).join(''),
    stderr: stderr.map((l) => `${l}\n`).join(''),
    exitCode: stderr.length > 0 ? 15 : 0,
  };
}

function dmesgT(node: SimNode): string {
  return node.kernelLog
    .map((l) => `[${ctime(new Date(node.bootedAt + l.seconds * 1000))}] ${l.text}\n`)
    .join('');
}

function journal(node: SimNode, since: Date): string {
  const lines = node.kernelLog
    .map((l) => ({ at: new Date(node.bootedAt + l.seconds * 1000), text: l.text }))
    .filter((l) => l.at >= since)
    .map((l) => `${journalStamp(l.at)} ${node.name} kernel: ${l.text}\n`);
  return lines.length > 0 ? lines.join('') : '-- No entries --\n';
}

/** One GPU as `lspci -vv` prints it; a GPU that stopped answering reads back all ones. */
function lspciGpu(fleet: Fleet, node: SimNode, g: SimGpu): string[] {
  const slot = `${g.pciBus.toLowerCase()}.0`;
  if (!g.responding) {
    return [
      `${slot} 3D controller: NVIDIA Corporation GH100 [H100 SXM5 80GB] (rev ff) (prog-if ff)`,
      '\t!!! Unknown header type 7f',
      '\tKernel driver in use: nvidia',
      '\tKernel modules: nvidiafb, nouveau, nvidia_drm, nvidia',
    ];
  }
  const gen = gpuLoad(fleet, node, g).util > 0 ? 5 : 1;
  const speed = gen === 5 ? '32GT/s' : '2.5GT/s (downgraded)';
  return [
    `${slot} 3D controller: NVIDIA Corporation GH100 [H100 SXM5 80GB] (rev a1)`,
    '\tSubsystem: NVIDIA Corporation GH100 [H100 SXM5 80GB]',
    '\tControl: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr+ Stepping- SERR+ FastB2B- DisINTx+',
    '\tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-',
    '\tLatency: 0',
    `\tNUMA node: ${g.index < 4 ? 0 : 1}`,
    '\tCapabilities: [60] Express (v2) Endpoint, MSI 00',
    '\t\tLnkCap:\tPort #0, Speed 32GT/s, Width x16, ASPM not supported',
    `\t\tLnkSta:\tSpeed ${speed}, Width x16`,
    '\tCapabilities: [100 v2] Advanced Error Reporting',
    '\t\tUESta:\tDLP- SDES- TLP- FCP- CmpltTO- CmpltAbrt- UnxCmplt- RxOF- MalfTLP- ECRC- UnsupReq- ACSViol-',
    '\tKernel driver in use: nvidia',
    '\tKernel modules: nvidiafb, nouveau, nvidia_drm, nvidia',
    '',
  ];
}

/** The fixed set on a simulated node, collected from `since`. */
export function simulatedBundle(fleet: Fleet, node: SimNode, since: Date, now: number): BundleFile[] {
  const [smi, dmesg, journalctl, lspci] = standardBundleCommands(since);
  const text = (lines: readonly string[]) => lines.map((l) => `${l}\n`).join('');
  return [
    { name: smi!.name, command: smi!.command, ...nvidiaSmiQ(fleet, node, now) },
    { name: dmesg!.name, command: dmesg!.command, exitCode: 0, stdout: dmesgT(node), stderr: '' },
    {
      name: journalctl!.name,
      command: journalctl!.command,
      exitCode: 0,
      stdout: journal(node, since),
      stderr: '',
    },
    {
      name: lspci!.name,
      command: lspci!.command,
      exitCode: 0,
      stdout: text(listed(node).flatMap((g) => lspciGpu(fleet, node, g))),
      stderr: '',
    },
  ];
}
