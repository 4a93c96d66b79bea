import type { Finding, TriageReport } from '../nodes/triage.ts';
import type { Condition, Hint, Mitigation, RecommendationKind, Runbook } from './schema.ts';

/**
 * A runbook read against what triage found: which hints fire (what to recommend, and why) and
 * which mitigations are worth offering. Pure; the triage service turns recommendations into
 * approval-gated requests.
 */

/** What a runbook hint recommends for one finding on one node. */
export interface RunbookRecommendation {
  readonly action: RecommendationKind;
  readonly node: string;
  /**
   * The workload a restart/stop acts on, as the finding names it (a container, an OOM victim, the
   * process of an Xid). Absent when the finding names none: the action then has no target.
   */
  readonly container?: string;
  /** The hint's `why`. */
  readonly why: string;
  readonly finding: Finding;
}

/** Whether a hint's or mitigation's `when` holds for a finding: an Xid in its list, or its kind. */
export function conditionHolds(when: Condition, finding: Finding): boolean {
  if (when.xid !== undefined) return finding.xid !== undefined && when.xid.includes(finding.xid);
  if (when.finding !== undefined) return finding.kind === when.finding;
  return false;
}

function acts(action: RecommendationKind): 'node' | 'workload' | 'none' {
  if (action === 'escalate') return 'none';
  return action === 'restart' || action === 'stop' ? 'workload' : 'node';
}

/**
 * Every hint that holds for a finding of the report, in the order of the hints (a runbook lists
 * the most specific first), then of the findings. One recommendation per action and target: a GPU
 * that stopped answering and its Xid 79 give one drain, with the why of the hint listed first.
 */
export function recommend(runbook: Pick<Runbook, 'hints'>, report: TriageReport): RunbookRecommendation[] {
  const out: RunbookRecommendation[] = [];
  const seen = new Set<string>();
  for (const hint of runbook.hints) {
    for (const finding of report.findings) {
      if (!conditionHolds(hint.when, finding)) continue;
      const rec = recommendation(hint, report.node, finding);
      const key = `${rec.action}\u0000${rec.container ?? ''}\u0000${acts(rec.action) === 'none' ? rec.why : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(rec);
    }
  }
  return out;
}

function recommendation(hint: Hint, node: string, finding: Finding): RunbookRecommendation {
  const container = acts(hint.recommend) === 'workload' ? finding.container : undefined;
  return {
    action: hint.recommend,
    node,
    ...(container === undefined ? {} : { container }),
    why: hint.why,
    finding,
  };
}

/**
 * The runbook's mitigations worth offering given these findings: those without `when`, and those
 * whose `when` holds for at least one finding.
 */
export function applicableMitigations(
  runbook: Pick<Runbook, 'mitigations'>,
  findings: readonly Finding[],
): Mitigation[] {
  return runbook.mitigations.filter((m) => !m.when || findings.some((f) => conditionHolds(m.when!, f)));
}

/** Both at once, for one node's report. */
export function applyRunbook(
  runbook: Pick<Runbook, 'hints' | 'mitigations'>,
  report: TriageReport,
): { recommendations: RunbookRecommendation[]; mitigations: Mitigation[] } {
  return {
    recommendations: recommend(runbook, report),
    mitigations: applicableMitigations(runbook, report.findings),
  };
}
