import { plural } from '../core/text.ts';
import { parseOomLines } from './parse/dmesg.ts';
import { parseContainerRestarts, parseDockerPs } from './parse/docker.ts';
import { parseFree, parseUptime } from './parse/host.ts';
import { parseNvidiaSmiCsv } from './parse/nvidia-smi.ts';
import type { CommandResult, DiagnosticId, PeerProbe } from './port.ts';
import { parseXidLines } from './xid.ts';

/**
 * The first 60 seconds of an incident, as data: what each diagnostic said, turned into findings
 * with a severity and, where the runbook knows one, a recommended mitigation. Pure: it reads
 * command output and decides nothing about chat or approvals.
 */
export const TRIAGE_DIAGNOSTICS: readonly DiagnosticId[] = [
  'uptime',
  'memory',
  'gpu',
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
 * Xid errors carry their number (`Finding.xid`) instead of a kind.
 */
export const FINDINGS = [
  'gpu_not_responding',
  'ecc_uncorrected',
  'oom',
  'crash_loop',
  'nccl_unreachable',
  'memory_pressure',
] as const;
export type FindingKind = (typeof FINDINGS)[number];

export type Recommendation =
  | { readonly kind: 'drain'; readonly node: string; readonly why: string }
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
}

export interface TriageReport {
  readonly node: string;
  readonly summary: string[];
  readonly findings: Finding[];
  /** Diagnostics the node's adapter could not run, or that failed to run. */
  readonly skipped: string[];
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
const MEMORY_PRESSURE = 0.9;
const CRASH_LOOP_RESTARTS = 5;

/**
 * `diagnostics` are the ones asked for (a runbook runs fewer than TRIAGE_DIAGNOSTICS): those
 * without a result show under `skipped`.
 */
export function analyze(
  node: string,
  results: Partial<Record<DiagnosticId, CommandResult>>,
  peers: readonly PeerCheck[] = [],
  diagnostics: readonly DiagnosticId[] = TRIAGE_DIAGNOSTICS,
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
      } else if (g.temperatureC !== null && g.temperatureC >= HOT_GPU_C) {
        findings.push({ level: 'warning', text: `GPU ${g.index} at ${g.temperatureC}°C: check cooling.` });
      }
    }
  }

  const seen = new Set<number>();
  for (const x of results.xid ? parseXidLines(out('xid')) : []) {
    if (seen.has(x.xid)) continue;
    seen.add(x.xid);
    const where = `Xid ${x.xid} on PCI ${x.pciBus}${x.process ? ` (${x.process})` : ''}`;
    const named = { xid: x.xid, ...(x.process ? { container: x.process } : {}) };
    if (x.recommendation === 'drain' || x.recommendation === 'migrate') {
      findings.push({
        level: 'critical',
        text: `${where}: ${x.meaning}`,
        ...named,
        recommendation: { kind: 'drain', node, why: `Xid ${x.xid}` },
      });
    } else {
      findings.push({
        level: x.recommendation === 'restart' ? 'warning' : 'info',
        text: `${where}: ${x.meaning}`,
        ...named,
      });
    }
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

  const skipped: string[] = diagnostics.filter((d) => !results[d]);
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
  return { node, summary, findings, skipped };
}

/** The exit codes people meet at 3 a.m. */
function exitMeaning(code: number): string {
  if (code === 137) return ': SIGKILL, often the OOM killer';
  if (code === 143) return ': SIGTERM';
  if (code === 139) return ': segfault';
  if (code === 1) return ': the program failed';
  return '';
}
