import { plural } from '../core/text.ts';
import { parseOomLines } from './parse/dmesg.ts';
import { parseContainerRestarts, parseDockerPs } from './parse/docker.ts';
import {
  type GpuHealthRow,
  parseGpuHealthCsv,
  parseNvlinkStatus,
  parseRemappedRowsCsv,
} from './parse/gpu-health.ts';
import { parseFree, parseUptime } from './parse/host.ts';
import { type NvidiaSmiRow, parseNvidiaSmiCsv } from './parse/nvidia-smi.ts';
import { describeJob } from './parse/slurm.ts';
import type { CommandResult, DiagnosticId, PeerProbe, SchedulerStatus } from './port.ts';
import { parseGpuIdentities, parseXidLines, XID_MOVES_WORK, type XidEvent } from './xid.ts';

/**
 * The first 60 seconds of an incident, as data: what each diagnostic said, turned into findings
 * with a severity and, where the runbook knows one, a recommended mitigation. Pure: it reads
 * command output and decides nothing about chat or approvals.
 */
export const TRIAGE_DIAGNOSTICS: readonly DiagnosticId[] = [
  'uptime',
  'memory',
  'gpu',
  'gpu-health',
  'gpu-remap',
  'nvlink',
  'xid',
  'oom',
  'containers',
  'container-restarts',
  'nccl-port',
];

export type FindingLevel = 'critical' | 'warning' | 'info';

/**
 * What triage can find on a node, as names a runbook hint can refer to (src/runbooks/schema.ts).
 * - gpu_not_responding: nvidia-smi cannot read a GPU (fallen off the bus).
 * - ecc_uncorrected: a GPU reports uncorrected ECC errors.
 * - oom: the kernel OOM killer ran.
 * - crash_loop: a container (or pool) keeps restarting.
 * - nccl_unreachable: the node cannot reach a peer's NCCL port (a network partition).
 * - memory_pressure: host memory at or above 90%.
 * - gpu_missing: nvidia-smi lists fewer GPUs than the node's inventory gives it, or than triage saw
 *   on it in the last days (NodeFacts.previousGpus).
 * - row_remap_pending: a GPU remapped a failing memory row; it takes effect at its next reset.
 * - row_remap_failure: a GPU had no spare row left to remap a failing one: RMA.
 * - thermal_throttle: a GPU's clocks are held down for heat (hardware or software slowdown).
 * - nvlink_down: a GPU has NVLink links inactive that the node's other GPUs have up.
 * - pcie_degraded: a GPU's PCIe link runs narrower (or, busy, slower) than it can.
 * - gpu_needs_rma: the bot's memory holds more fatal Xids for a GPU than resets fix (hardware.rma).
 * Xid errors carry their number (`Finding.xid`) instead of a kind.
 */
export const FINDINGS = [
  'gpu_not_responding',
  'gpu_missing',
  'ecc_uncorrected',
  'row_remap_pending',
  'row_remap_failure',
  'thermal_throttle',
  'nvlink_down',
  'pcie_degraded',
  'gpu_needs_rma',
  'oom',
  'crash_loop',
  'nccl_unreachable',
  'memory_pressure',
] as const;
export type FindingKind = (typeof FINDINGS)[number];

export type Recommendation =
  | { readonly kind: 'drain' | 'cordon'; readonly node: string; readonly why: string }
  | { readonly kind: 'restart'; readonly node: string; readonly container: string; readonly why: string };

export interface Finding {
  readonly level: FindingLevel;
  readonly text: string;
  /** What a runbook hint matches on (`when: { finding }`). */
  readonly kind?: FindingKind;
  /** The Xid number of an Xid error (`when: { xid }`). */
  readonly xid?: number;
  /** The process or container the finding names, for a workload action: an OOM victim, a crash loop. */
  readonly container?: string;
  /** The built-in mitigation, used when triage runs without a runbook. */
  readonly recommendation?: Recommendation;
  /** The one GPU a GPU finding is about, for the memory of bad hardware. */
  readonly gpu?: GpuRef;
}

/** A GPU as the memory keeps it (`serial 1654923962909`, else `<node> <bus>`) and as reports name it. */
export interface GpuRef {
  readonly key: string;
  readonly label: string;
}

/** GPU findings the memory of bad hardware keeps (once a day each), besides every Xid. */
export const REMEMBERED_FINDINGS: ReadonlySet<FindingKind> = new Set([
  'row_remap_pending',
  'row_remap_failure',
  'thermal_throttle',
  'nvlink_down',
  'pcie_degraded',
]);

/**
 * An Xid, or a GPU finding, the report saw on a GPU, for the bot's memory of bad hardware
 * (HardwareRecords). Exactly one of `xid` and `finding`.
 */
export interface GpuSighting {
  /**
   * The same dmesg line read again has the same key: node, bus, Xid and its time since boot. A
   * finding's key is the node, the GPU and the finding: the memory adds the day.
   */
  readonly key: string;
  /** `serial 1654923962909` where the board serial is known, else `<node> <bus>`. */
  readonly gpu: string;
  /** How the report names it: `GPU 4 (PCI 0000:9a:00, serial 1654923962909)`. */
  readonly label: string;
  readonly xid?: number;
  readonly finding?: FindingKind;
}

export interface TriageReport {
  readonly node: string;
  readonly summary: string[];
  readonly findings: Finding[];
  /** Every Xid event seen, by GPU: what the memory of bad hardware keeps. */
  readonly sightings: GpuSighting[];
  /** Diagnostics the node's adapter could not run, or that failed to run. */
  readonly skipped: string[];
  /** How many GPUs nvidia-smi listed, where it listed any: what the memory keeps per day. */
  readonly gpuCount?: number;
}

/**
 * One peer check of the node: can it open a connection to `peer`'s NCCL port. No `result` when the
 * probe could not run; it then shows under `skipped`.
 */
export interface PeerCheck {
  readonly peer: string;
  readonly port: number;
  readonly result?: PeerProbe;
}

const HOT_GPU_C = 85;
/** The same Xid this many times on one GPU (and on no other) points at that GPU, not the software. */
export const XID_REPEAT = 3;
/** Xids the catalogue puts on the application first, the GPU only when they follow it. */
const SOFTWARE_FIRST_XIDS: ReadonlySet<number> = new Set([13, 31, 43]);
const MEMORY_PRESSURE = 0.9;
const CRASH_LOOP_RESTARTS = 5;

/** What the caller knows of the node beyond its command output. */
export interface NodeFacts {
  /** How many GPUs the node's inventory says it has (`gpus:`), where it says. */
  readonly expectedGpus?: number;
  /** What its batch scheduler (Slurm) says of it, where it has one. */
  readonly scheduler?: SchedulerStatus;
  /** The most GPUs triage saw on the node in the last days (the memory of bad hardware), and when. */
  readonly previousGpus?: { readonly count: number; readonly day: string };
}

/** Jobs named in a report's Slurm line; the rest are counted. */
const SHOWN_JOBS = 5;

/**
 * `diagnostics` are the ones asked for (a runbook runs fewer than TRIAGE_DIAGNOSTICS): those
 * without a result show under `skipped`.
 */
export function analyze(
  node: string,
  results: Partial<Record<DiagnosticId, CommandResult>>,
  peers: readonly PeerCheck[] = [],
  diagnostics: readonly DiagnosticId[] = TRIAGE_DIAGNOSTICS,
  facts: NodeFacts = {},
): TriageReport {
  const summary: string[] = [];
  const findings: Finding[] = [];
  const out = (id: DiagnosticId) => results[id]?.stdout ?? '';

  const uptime = results.uptime ? parseUptime(out('uptime')) : null;
  if (uptime) {
    const days = Math.floor(uptime.uptimeSeconds / 86_400);
    const hours = Math.floor((uptime.uptimeSeconds % 86_400) / 3600);
    summary.push(`up ${days}d ${hours}h, load ${uptime.load1} / ${uptime.load5} / ${uptime.load15}`);
  }

  const mem = results.memory ? parseFree(out('memory')) : null;
  if (mem && mem.totalMiB > 0) {
    const used = mem.usedMiB / mem.totalMiB;
    // In free's own units: `free -h` keeps two or three digits, and "2048 GiB" made of its "2.0Ti"
    // would claim a precision it never had (and disagree with the node's exact 2015 GiB).
    summary.push(`memory ${Math.round(used * 100)}% used (${mem.usedText} of ${mem.totalText})`);
    if (used >= MEMORY_PRESSURE) {
      findings.push({
        level: 'warning',
        kind: 'memory_pressure',
        text: `Memory ${Math.round(used * 100)}% used: the next allocation may trigger the OOM killer.`,
      });
    }
  }

  const gpus = results.gpu ? parseNvidiaSmiCsv(out('gpu')) : [];
  const health = results['gpu-health'] ? parseGpuHealthCsv(out('gpu-health')) : [];
  // A GPU throttling for heat gets that finding, which says more than "hot".
  const heatThrottled = new Set(
    health
      .filter((h) => h.throttle?.some((t) => t === 'hw_thermal' || t === 'sw_thermal'))
      .map((h) => h.index),
  );
  if (gpus.length) {
    const temps = gpus.map((g) => g.temperatureC).filter((t): t is number => t !== null);
    const utils = gpus.map((g) => g.utilizationPct).filter((u): u is number => u !== null);
    summary.push(
      `${gpus.length} GPUs, ${temps.length ? `max ${Math.max(...temps)}°C` : 'no temperatures'}, ${utils.length ? `mean util ${Math.round(utils.reduce((a, b) => a + b, 0) / utils.length)}%` : 'no utilization'}`,
    );
    for (const g of gpus) {
      if (!g.responding) {
        findings.push({
          level: 'critical',
          kind: 'gpu_not_responding',
          text: `GPU ${g.index} is not responding (nvidia-smi cannot read it).`,
          recommendation: { kind: 'drain', node, why: `GPU ${g.index} not responding` },
        });
      } else if ((g.eccUncorrected ?? 0) > 0) {
        findings.push({
          level: 'critical',
          kind: 'ecc_uncorrected',
          text: `GPU ${g.index} has ${g.eccUncorrected} uncorrected ECC errors: its memory is failing; move work off it.`,
          recommendation: { kind: 'drain', node, why: `uncorrected ECC errors on GPU ${g.index}` },
        });
      } else if (g.temperatureC !== null && g.temperatureC >= HOT_GPU_C && !heatThrottled.has(g.index)) {
        findings.push({ level: 'warning', text: `GPU ${g.index} at ${g.temperatureC}°C: check cooling.` });
      }
    }
  }

  const logged = results.xid ? parseGpuIdentities(out('xid')) : new Map<string, { serial?: string }>();
  const gpu = gpuIdentities(health, logged);
  const ref = (bus: string): GpuRef => {
    const serial = gpu.serialOf(bus);
    return { key: serial ? `serial ${serial}` : `${node} ${bus}`, label: gpu.label(bus) };
  };
  const unavailable: string[] = [];
  // Fewer GPUs than the inventory gives the node, or than triage saw on it in the last days.
  const inventoryShort = facts.expectedGpus !== undefined && gpus.length < facts.expectedGpus;
  const before = facts.previousGpus;
  if (results.gpu && (inventoryShort || (before && gpus.length < before.count))) {
    const had = inventoryShort ? facts.expectedGpus! : before!.count;
    const gone = had - gpus.length;
    const than = inventoryShort
      ? `of the ${plural(had, 'GPU')} the inventory gives ${node}`
      : `where triage saw ${had} on ${node} on ${before!.day}`;
    findings.push({
      level: 'critical',
      kind: 'gpu_missing',
      text: `nvidia-smi lists ${gpus.length} ${than}: ${gone === 1 ? 'one has' : `${gone} have`} vanished from the bus (check \`lspci -d 10de:\` and dmesg); move work off the node.`,
      recommendation: { kind: 'drain', node, why: `${plural(gone, 'GPU')} missing` },
    });
  }
  if (results['gpu-health']) {
    if (health.length === 0) unavailable.push('gpu-health');
    else gpuHealthFindings(node, health, gpus, summary, findings, ref);
  }
  if (results['gpu-remap']) {
    const rows = parseRemappedRowsCsv(out('gpu-remap'));
    if (rows.length === 0) unavailable.push('gpu-remap');
    for (const r of rows) {
      const name = gpu.label(r.pciBus);
      // `nvidia-smi -i` takes the index, or the bus id as nvidia-smi prints it where it is not known.
      const target = gpu.indexOf(r.pciBus) ?? `0000${r.pciBus.toUpperCase()}.0`;
      if (r.failure) {
        findings.push({
          level: 'critical',
          kind: 'row_remap_failure',
          gpu: ref(r.pciBus),
          text: `${name} could not remap a failing memory row (row remapping failure: no spare rows left): NVIDIA's RMA condition. Drain the node and open an RMA for this GPU.`,
          recommendation: { kind: 'drain', node, why: `row remapping failure on ${name}` },
        });
      } else if (r.pending) {
        findings.push({
          level: 'warning',
          kind: 'row_remap_pending',
          gpu: ref(r.pciBus),
          text: `${name} has a row remap pending (${plural(r.uncorrectable ?? 0, 'uncorrectable row')} so far): it takes effect at the GPU's next reset. Cordon the node so its job is the last, reset the GPU (\`nvidia-smi -r -i ${target}\`) when it ends, then restart the workload.`,
          recommendation: { kind: 'cordon', node, why: `row remap pending on ${name}` },
        });
      }
    }
  }
  if (results.nvlink) {
    const links = parseNvlinkStatus(out('nvlink'));
    // GPUs on PCIe only have no link up anywhere: nothing is down. A GPU with fewer links up than
    // the node's best lost some.
    const best = Math.max(0, ...links.map((l) => l.links - l.down.length));
    for (const l of links) {
      const up = l.links - l.down.length;
      if (best === 0 || up >= best) continue;
      const bus = health.find((h) => h.index === l.gpu)?.pciBus;
      findings.push({
        level: 'critical',
        kind: 'nvlink_down',
        ...(bus ? { gpu: ref(bus) } : {}),
        text: `GPU ${l.gpu}: NVLink ${l.down.length === 1 ? 'link' : 'links'} ${l.down.join(', ')} inactive (${up} of ${l.links} up, where the node's other GPUs have ${best}): jobs using it across GPUs will slow or hang. Drain the node, then reset the GPU or reseat the link.`,
        recommendation: { kind: 'drain', node, why: `NVLink down on GPU ${l.gpu}` },
      });
    }
    if (links.length)
      summary.push(
        `NVLink: ${links.filter((l) => l.links - l.down.length >= best).length}/${links.length} GPUs with all ${best} links up`,
      );
  }

  const xids = results.xid ? parseXidLines(out('xid')) : [];
  for (const group of groupXids(xids)) findings.push(xidFinding(node, group, gpu));
  const sightings: GpuSighting[] = xids.map((x) => {
    const { key, label } = ref(x.pciBus);
    return { key: `${node} ${x.pciBus} ${x.xid} ${x.seconds ?? x.message}`, gpu: key, label, xid: x.xid };
  });
  for (const f of findings) {
    if (!f.gpu || !f.kind || !REMEMBERED_FINDINGS.has(f.kind)) continue;
    sightings.push({
      key: `${node} ${f.gpu.key} ${f.kind}`,
      gpu: f.gpu.key,
      label: f.gpu.label,
      finding: f.kind,
    });
  }

  const ooms = results.oom ? parseOomLines(out('oom')) : [];
  if (ooms.length) {
    const victims = [...new Set(ooms.map((o) => o.process))];
    // The latest victim is the one a restart is about; the text names them all.
    const latest = ooms[ooms.length - 1]!.process;
    findings.push({
      level: 'warning',
      kind: 'oom',
      text: `${plural(ooms.length, 'OOM kill')} (${victims.join(', ')}): find the largest consumer; restart it with a memory limit or move it.`,
      ...(latest ? { container: latest } : {}),
    });
  }

  const containers = results.containers ? parseDockerPs(out('containers')) : [];
  const restarts = new Map(
    (results['container-restarts'] ? parseContainerRestarts(out('container-restarts')) : []).map((r) => [
      r.name,
      r,
    ]),
  );
  if (containers.length) {
    const running = containers.filter((c) => c.state === 'running').length;
    summary.push(`${running}/${containers.length} containers running`);
  }
  for (const c of containers) {
    const r = restarts.get(c.name);
    const looping =
      c.state === 'restarting' ||
      (r !== undefined && r.restartCount >= CRASH_LOOP_RESTARTS && c.state !== 'running');
    if (!looping) continue;
    const exit = r?.lastExitCode ?? c.exitCode;
    findings.push({
      level: 'warning',
      kind: 'crash_loop',
      container: c.name,
      text: `Container ${c.name} is crash-looping${r ? ` (${r.restartCount} restarts` : ' ('}${exit !== undefined ? `, last exit ${exit}${exitMeaning(exit)}` : ''}).`,
      recommendation: { kind: 'restart', node, container: c.name, why: `${c.name} crash-looping` },
    });
  }

  const nccl = results['nccl-port'];
  if (nccl) {
    summary.push(
      nccl.exitCode === 0 && nccl.stdout.trim()
        ? 'NCCL port 29500 listening'
        : 'NCCL port 29500 not listening',
    );
  }

  if (facts.scheduler) slurmFindings(node, facts.scheduler, summary, findings);

  const skipped: string[] = [
    ...diagnostics.filter((d) => !results[d]),
    ...unavailable.map((d) => `${d} (nvidia-smi gave no reading: an older driver or a GPU without it)`),
  ];
  // A partition between training nodes shows up as NCCL timeouts, not as anything on either node.
  for (const p of peers) {
    if (!p.result) skipped.push(`nccl-peer ${p.peer}`);
    // Reachable but refused agrees with the peer's own "not listening": the path is open, no job is.
    else if (p.result.reachable)
      summary.push(
        `NCCL ${p.port} → ${p.peer} reachable${p.result.listening === false ? ', nothing listening there' : ''}`,
      );
    else {
      findings.push({
        level: 'critical',
        kind: 'nccl_unreachable',
        text: `${node} cannot reach ${p.peer}:${p.port} (NCCL): check ib/ethernet links and firewalls; multi-node jobs across these nodes will hang (${p.result.detail}).`,
      });
    }
  }
  return { node, summary, findings, skipped, sightings, ...(gpus.length ? { gpuCount: gpus.length } : {}) };
}

/** The exit codes people meet at 3 a.m. */
function exitMeaning(code: number): string {
  if (code === 137) return ': SIGKILL, often the OOM killer';
  if (code === 143) return ': SIGTERM';
  if (code === 139) return ': segfault';
  if (code === 1) return ': the program failed';
  return '';
}

/**
 * What the report knows of a GPU by its bus: its index from the health query, its serial from
 * there or, for a GPU that no longer answers it, from what the driver logged.
 */
interface GpuIdentities {
  indexOf(bus: string): number | undefined;
  serialOf(bus: string): string | undefined;
  /**
   * `GPU 4 (PCI 0000:9a:00, serial 1654923007713)`, or `PCI …` where the index is not known.
   * `extra` goes inside the brackets (the process an Xid names).
   */
  label(bus: string, extra?: readonly string[]): string;
}

function gpuIdentities(
  health: readonly GpuHealthRow[],
  logged: ReadonlyMap<string, { serial?: string }>,
): GpuIdentities {
  const byBus = new Map(health.flatMap((h) => (h.pciBus ? [[h.pciBus, h] as const] : [])));
  const indexOf = (bus: string) => byBus.get(bus)?.index;
  const serialOf = (bus: string) => byBus.get(bus)?.serial ?? logged.get(bus)?.serial;
  return {
    indexOf,
    serialOf,
    label(bus, extra = []) {
      const serial = serialOf(bus);
      const details = [...(serial ? [`serial ${serial}`] : []), ...extra];
      const index = indexOf(bus);
      if (index !== undefined) return `GPU ${index} (${[`PCI ${bus}`, ...details].join(', ')})`;
      return details.length ? `PCI ${bus} (${details.join(', ')})` : `PCI ${bus}`;
    },
  };
}

function gpuHealthFindings(
  node: string,
  health: readonly GpuHealthRow[],
  gpus: readonly NvidiaSmiRow[],
  summary: string[],
  findings: Finding[],
  ref: (bus: string) => GpuRef,
): void {
  const draws = health.filter((h) => h.powerDrawW !== null && h.powerLimitW !== null);
  if (draws.length) {
    const draw = draws.reduce((a, h) => a + h.powerDrawW!, 0);
    const limit = draws.reduce((a, h) => a + h.powerLimitW!, 0);
    summary.push(`GPU power ${Math.round(draw)} W of ${Math.round(limit)} W`);
  }
  for (const h of health) {
    const reading = gpus.find((g) => g.index === h.index);
    const util = reading?.utilizationPct ?? null;
    const temp = reading?.temperatureC ?? null;
    const t = new Set(h.throttle ?? []);
    const hot = temp === null ? '' : ` at ${temp}°C`;
    if (t.has('hw_thermal')) {
      findings.push({
        level: 'warning',
        kind: 'thermal_throttle',
        ...(h.pciBus ? { gpu: ref(h.pciBus) } : {}),
        text: `GPU ${h.index}${hot} is in hardware thermal slowdown (its clocks are cut to protect it): check fans, airflow and the inlet temperature; cordon the node so no new work lands on it.`,
        recommendation: { kind: 'cordon', node, why: `GPU ${h.index} thermally throttled` },
      });
    } else if (t.has('sw_thermal')) {
      // Not the finding a runbook's thermal_throttle hint acts on: the driver's own slowdown comes
      // and goes with load; the hardware's is the one that calls for a cordon.
      findings.push({
        level: 'warning',
        text: `GPU ${h.index}${hot} is held back by the driver for heat (software thermal slowdown): if it persists, cordon the node and check cooling.`,
      });
    }
    if (t.has('hw_power_brake')) {
      findings.push({
        level: 'warning',
        text: `GPU ${h.index} has its power brake asserted (hardware power brake slowdown): the chassis or a power supply pulled it down; check power delivery.`,
      });
    } else if (t.has('hw_slowdown') && !t.has('hw_thermal')) {
      findings.push({
        level: 'warning',
        text: `GPU ${h.index} is in hardware slowdown (heat or power, the driver does not say which): check cooling and power.`,
      });
    }
    if (h.pcieWidth !== null && h.pcieWidthMax !== null && h.pcieWidth < h.pcieWidthMax) {
      findings.push({
        level: 'warning',
        kind: 'pcie_degraded',
        ...(h.pciBus ? { gpu: ref(h.pciBus) } : {}),
        text: `GPU ${h.index} PCIe link runs at x${h.pcieWidth} of x${h.pcieWidthMax}: a fraction of its host bandwidth; reseat the GPU or check its riser at the next window.`,
      });
    } else if (
      h.pcieGen !== null &&
      h.pcieGenMax !== null &&
      h.pcieGen < h.pcieGenMax &&
      util !== null &&
      util >= 50
    ) {
      // An idle GPU drops its link to a low generation to save power; a busy one should not.
      findings.push({
        level: 'warning',
        kind: 'pcie_degraded',
        ...(h.pciBus ? { gpu: ref(h.pciBus) } : {}),
        text: `GPU ${h.index} PCIe link runs at Gen${h.pcieGen} of Gen${h.pcieGenMax} while ${util}% busy: check the slot and riser.`,
      });
    }
    if (h.retiredPending) {
      findings.push({
        level: 'info',
        text: `GPU ${h.index} has retired memory pages pending: they take effect at its next reset.`,
      });
    }
  }
}

interface XidGroup {
  readonly xid: number;
  /** The latest event of this Xid: for 154, the recovery action now asked for. */
  readonly last: XidEvent;
  readonly count: number;
  /** Events per PCI bus. */
  readonly perBus: ReadonlyMap<string, number>;
  readonly processes: readonly string[];
}

function groupXids(events: readonly XidEvent[]): XidGroup[] {
  const groups = new Map<
    number,
    { last: XidEvent; count: number; perBus: Map<string, number>; processes: Set<string> }
  >();
  for (const e of events) {
    const g = groups.get(e.xid) ?? { last: e, count: 0, perBus: new Map(), processes: new Set() };
    g.last = e;
    g.count++;
    g.perBus.set(e.pciBus, (g.perBus.get(e.pciBus) ?? 0) + 1);
    if (e.process) g.processes.add(e.process);
    groups.set(e.xid, g);
  }
  return [...groups].map(([xid, g]) => ({ xid, ...g, processes: [...g.processes] }));
}

/**
 * One finding per Xid number. For the Xids NVIDIA puts on software first (13, 31, 43), where they
 * happened decides: on several GPUs of the node it is the software; repeated on one GPU alone, that
 * GPU's hardware, and the work moves off it.
 */
function xidFinding(node: string, g: XidGroup, gpu: GpuIdentities): Finding {
  const buses = [...g.perBus.keys()];
  const where =
    buses.length === 1
      ? gpu.label(buses[0]!, g.processes)
      : `${buses.length} GPUs${g.processes.length ? ` (${g.processes.join(', ')})` : ''}`;
  const times = g.count > 1 ? `, ${g.count} times` : '';
  let recommendation = g.last.recommendation;
  let verdict = '';
  if (SOFTWARE_FIRST_XIDS.has(g.xid)) {
    if (buses.length >= 2) {
      verdict = ` On ${buses.length} different GPUs of this node: that points at the software (the workload or the driver), not at one GPU.`;
    } else if (g.count >= XID_REPEAT) {
      verdict = ` Repeated ${g.count} times on this GPU alone: that points at its hardware; move work off it.`;
      recommendation = 'drain';
    }
  }
  const meaning =
    g.xid === 154 && g.last.recovery
      ? `the driver now asks for ${g.last.recovery} (its summary of the Xids before it).`
      : g.last.meaning;
  const text = `Xid ${g.xid} on ${where}${times}: ${meaning}${verdict}`;
  const named = { xid: g.xid, ...(g.processes.length ? { container: g.processes.at(-1)! } : {}) };
  if (XID_MOVES_WORK.has(recommendation)) {
    return {
      level: 'critical',
      text,
      ...named,
      recommendation: {
        kind: 'drain',
        node,
        why: `Xid ${g.xid}${g.last.recovery ? `: ${g.last.recovery}` : ''}`,
      },
    };
  }
  return { level: recommendation === 'restart' ? 'warning' : 'info', text, ...named };
}

/**
 * Slurm's word on the node: its state and reason, and its jobs by id, user and GPUs (what a drain
 * would wait for). A node Slurm calls down or not responding is a finding: jobs will not land.
 */
function slurmFindings(node: string, s: SchedulerStatus, summary: string[], findings: Finding[]): void {
  const shown = s.jobs.slice(0, SHOWN_JOBS).map(describeJob);
  const more = s.jobs.length > SHOWN_JOBS ? `, and ${s.jobs.length - SHOWN_JOBS} more` : '';
  const jobs = s.jobs.length ? `${plural(s.jobs.length, 'job')}: ${shown.join(', ')}${more}` : 'no jobs';
  summary.push(`Slurm ${s.state.toUpperCase()}${s.reason ? ` (${s.reason})` : ''}, ${jobs}`);
  const state = s.state.toLowerCase();
  if (/^(down|fail|not_responding)/.test(state) || state.endsWith('*')) {
    findings.push({
      level: 'warning',
      text: `Slurm has ${node} ${state.toUpperCase()}${s.reason ? `: "${s.reason}"` : ''}. No new jobs land there until it is resumed (\`scontrol update nodename=${node} state=resume\` once it is fixed).`,
    });
  }
}
