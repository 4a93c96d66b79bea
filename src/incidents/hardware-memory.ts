import type { Logger } from 'pino';
import type { Action, Clock, Incident } from '../core/index.ts';
import { plural } from '../core/index.ts';
import type { TriageReport } from '../nodes/triage.ts';
import { XID_MOVES_WORK, xidInfo } from '../nodes/xid.ts';
import type { HardwareCount, HardwareEvent, Store } from '../store/port.ts';
import { formatTime } from './format.ts';

/** The memory of bad hardware (`hardware:` in the YAML file). */
export interface HardwareMemoryOptions {
  /** How far back a report tells a GPU's past Xids, and remembers how many GPUs a node had. */
  readonly memoryDays: number;
  /**
   * A GPU with `fatalXidCount` fatal Xids within `fatalXidHours`, or a node remediated
   * `nodeRemediations` times within `nodeRemediationDays`, needs an RMA, not another reset.
   */
  readonly rma: {
    readonly fatalXidCount: number;
    readonly fatalXidHours: number;
    readonly nodeRemediations: number;
    readonly nodeRemediationDays: number;
  };
}

/** Why a node or one of its GPUs needs an RMA, by the thresholds of `hardware.rma`. */
export interface RmaVerdict {
  /** The GPU's memory key (`serial …`), or undefined for the node itself. */
  readonly gpu?: string;
  /** `3 fatal Xids in 24 hours (the threshold is 3)`. */
  readonly why: string;
}

/** NVSentinel's defaults: a fatal Xid 5 times in 24 hours on one GPU, or 5 remediations of a node in 7 days, is past what resets fix. */
export const DEFAULT_HARDWARE: HardwareMemoryOptions = {
  memoryDays: 7,
  rma: { fatalXidCount: 5, fatalXidHours: 24, nodeRemediations: 5, nodeRemediationDays: 7 },
};

const HOUR_MS = 3600_000;

/**
 * The bot's memory of bad hardware: every Xid triage sees, per GPU serial (HardwareRecords), and
 * every mitigation on a node (ActionRecords), read back as a GPU's past in its triage report, as
 * the RMA thresholds of `hardware.rma`, and as `/node history`.
 */
export class HardwareMemory {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly hardware: HardwareMemoryOptions = DEFAULT_HARDWARE,
  ) {}

  /**
   * Whether `node`, or a GPU of it, is past the RMA thresholds: fatal Xids (those whose action
   * is a reset, reboot, drain or migrate) per GPU, and succeeded mitigations of the node.
   */
  async rmaVerdicts(node: string): Promise<RmaVerdict[]> {
    const now = this.clock.now().getTime();
    const { rma } = this.hardware;
    const [events, actions] = await Promise.all([
      this.store.listHardwareEvents(node, new Date(now - rma.fatalXidHours * HOUR_MS)),
      this.store.listNodeActions(node, new Date(now - rma.nodeRemediationDays * 24 * HOUR_MS)),
    ]);
    const fatal = new Map<string, number>();
    for (const e of events) {
      if (e.xid !== null && XID_MOVES_WORK.has(xidInfo(e.xid).recommendation))
        fatal.set(e.gpu, (fatal.get(e.gpu) ?? 0) + 1);
    }
    const out: RmaVerdict[] = [...fatal]
      .filter(([, count]) => count >= rma.fatalXidCount)
      .map(([gpu, count]) => ({
        gpu,
        why: `${plural(count, 'fatal Xid')} in ${plural(rma.fatalXidHours, 'hour')} (the threshold is ${rma.fatalXidCount})`,
      }));
    const remediations = actions.filter((a) => a.status === 'succeeded').length;
    if (remediations >= rma.nodeRemediations) {
      out.push({
        why: `${plural(remediations, 'mitigation')} in ${plural(rma.nodeRemediationDays, 'day')} (the threshold is ${rma.nodeRemediations})`,
      });
    }
    return out;
  }

  /**
   * What the bot remembers of `node` over the last `days`: its GPUs' Xids, every incident's
   * mitigations on it or its workloads, and those incidents (for `/node history`).
   */
  async nodeHistory(
    node: string,
    days: number,
  ): Promise<{ events: HardwareEvent[]; actions: Action[]; incidents: Map<string, Incident> }> {
    const since = new Date(this.clock.now().getTime() - days * 24 * HOUR_MS);
    const [events, actions] = await Promise.all([
      this.store.listHardwareEvents(node, since),
      this.store.listNodeActions(node, since),
    ]);
    const ids = new Set([
      ...actions.map((a) => a.incidentId),
      ...events.flatMap((e) => (e.incidentId ? [e.incidentId] : [])),
    ]);
    const found = await Promise.all([...ids].map((id) => this.store.getIncident(id)));
    const incidents = new Map(found.flatMap((i) => (i ? [[i.id, i] as const] : [])));
    return { events, actions, incidents };
  }

  /**
   * The most GPUs triage saw on `node` within the memory's days, and the latest day it saw them:
   * a node that lists fewer lost one, whatever its inventory says. A memory that cannot be read
   * costs that comparison, never the triage.
   */
  async previousGpus(node: string): Promise<{ count: number; day: string } | undefined> {
    try {
      const since = new Date(this.clock.now().getTime() - this.hardware.memoryDays * 24 * HOUR_MS);
      const max = await this.store.maxGpuCount(node, since);
      return max ? { count: max.gpus, day: max.day } : undefined;
    } catch (err) {
      this.logger.warn({ err, node }, 'the GPUs a node had before could not be read');
      return undefined;
    }
  }

  /**
   * The report's Xids and GPU findings go into the memory of bad hardware (once per event, however often dmesg is
   * read again), and what it holds of these GPUs over the last 7 days comes back as lines: a GPU
   * that did this before is a different conversation from one that did it once. A memory that
   * cannot be read or written costs those lines, never the triage.
   */
  async remember(report: TriageReport, incident: Incident | undefined): Promise<string[]> {
    const now = this.clock.now();
    const { memoryDays } = this.hardware;
    const labels = new Map(report.sightings.map((s) => [s.gpu, s.label]));
    try {
      const day = now.toISOString().slice(0, 10);
      await Promise.all([
        report.gpuCount ? this.store.recordGpuCount(report.node, report.gpuCount, now) : undefined,
        this.store.recordHardwareEvents(
          report.sightings.map((s) => ({
            // A finding that lasts (a row remap pending for a week) is one event a day.
            key: s.finding ? `${s.key} ${day}` : s.key,
            node: report.node,
            gpu: s.gpu,
            xid: s.xid ?? null,
            finding: s.finding ?? null,
            incidentId: incident?.id ?? null,
            seenAt: now,
          })),
        ),
      ]);
      // Past a threshold it is an RMA: another reset is not the fix. The finding says so, and asks
      // for the drain that takes the work off for good.
      for (const v of await this.rmaVerdicts(report.node)) {
        const what = v.gpu ? (labels.get(v.gpu) ?? `GPU ${v.gpu}`) : report.node;
        report.findings.unshift({
          level: 'critical',
          ...(v.gpu ? { kind: 'gpu_needs_rma' as const } : {}),
          text: `${what} needs an RMA: ${v.why}. Do not reset it again: drain the node and open an RMA${v.gpu ? ' for this GPU with its serial and the dmesg lines' : ' with its history (/node history)'}.`,
          recommendation: { kind: 'drain', node: report.node, why: `${what} needs an RMA` },
        });
      }
      if (labels.size === 0) return [];
      const past = await this.store.countHardwareEvents(
        [...labels.keys()],
        new Date(now.getTime() - memoryDays * 24 * HOUR_MS),
      );
      const first = (c: HardwareCount) => `first seen ${formatTime(c.first)}`;
      return past
        .filter((c) => c.count > 1)
        .map((c) =>
          c.xid !== null
            ? `${labels.get(c.gpu)} has had Xid ${c.xid} ${c.count} times in ${plural(memoryDays, 'day')} (${first(c)}).`
            : `${labels.get(c.gpu)} has had ${findingWords(c.finding)} on ${c.count} of the last ${plural(memoryDays, 'day')} (${first(c)}).`,
        );
    } catch (err) {
      this.logger.warn({ err, node: report.node }, 'the memory of bad hardware could not be used');
      return [];
    }
  }
}

/** How a remembered finding reads in a sentence (`a row remap pending`). */
const FINDING_WORDS: Readonly<Record<string, string>> = {
  row_remap_pending: 'a row remap pending',
  row_remap_failure: 'a row remapping failure',
  thermal_throttle: 'hardware thermal slowdown',
  nvlink_down: 'NVLink links down',
  pcie_degraded: 'a degraded PCIe link',
};

export function findingWords(finding: string | null): string {
  return (finding && FINDING_WORDS[finding]) ?? finding ?? 'a finding';
}
