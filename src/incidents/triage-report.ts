import type { ChatButton, ChatMessage } from '../chat/message.ts';
import type { Incident, Redactor } from '../core/index.ts';
import { plural } from '../core/index.ts';
import type { FindingKind } from '../nodes/triage.ts';
import { xidInfo } from '../nodes/xid.ts';
import type { Runbook } from '../runbooks/schema.ts';
import type { NodeTriage, RecommendedAction } from './triage.ts';

const LEVEL_EMOJI = { critical: '🔴', warning: '🟠', info: 'ℹ️' } as const;

/** Findings that go to the hardware team or NVIDIA, who ask for the bug report first. */
const FOR_THE_VENDOR: ReadonlySet<FindingKind> = new Set([
  'gpu_not_responding',
  'gpu_missing',
  'row_remap_failure',
  'gpu_needs_rma',
]);

/**
 * Whether the report offers the diagnostic bundle: an escalation, a GPU gone or out of spare rows,
 * or a critical Xid the catalogue blames on the hardware (reference/gpu-node-triage.md: an
 * escalation offers the full diagnostic dump).
 */
export function offersBundle(t: NodeTriage): boolean {
  if (!t.report) return false;
  if (t.recommended?.some((r) => r.outcome === 'escalate')) return true;
  return t.report.findings.some(
    (f) =>
      (f.kind !== undefined && FOR_THE_VENDOR.has(f.kind)) ||
      (f.xid !== undefined && f.level === 'critical' && xidInfo(f.xid).causes.includes('hardware')),
  );
}

/**
 * One node's triage report as a message. What a node printed (process and container names, a
 * probe's answer, a transport error) goes through the bot's redactor, the one action output and
 * the model's prompts pass through.
 */
export function renderNodeTriage(
  t: NodeTriage,
  incident: Incident | undefined,
  runbook: Runbook | undefined,
  redact: Redactor,
  /** The diagnostic bundle's button, where the report offers it (offersBundle) and the node can. */
  bundle?: ChatButton,
): ChatMessage {
  if (t.unreachable) {
    const unreachable = redact(t.unreachable);
    const text = `⚫ ${t.node}: unreachable — ${unreachable}`;
    return {
      text,
      header: `⚫ ${t.node}: unreachable`,
      sections: [unreachable],
      context: ['Check the node from its BMC or console; the other nodes were triaged anyway.'],
    };
  }
  const r = t.report!;
  const critical = r.findings.filter((f) => f.level === 'critical').length;
  const warnings = r.findings.filter((f) => f.level === 'warning').length;
  const verdict = critical ? `${critical} critical` : warnings ? plural(warnings, 'warning') : 'healthy';
  const header = `${critical ? '🔴' : warnings ? '🟠' : '🟢'} ${t.node}: ${verdict}`;
  const findings = r.findings.map((f) => `${LEVEL_EMOJI[f.level]} ${f.text}`);
  const sections = [
    redact(r.summary.join(' · ')) || 'no readings',
    ...(findings.length ? [redact(findings.join('\n'))] : []),
    ...(t.history?.length ? [redact(t.history.map((h) => `🔁 ${h}`).join('\n'))] : []),
  ];
  if (runbook) {
    const lines = (t.recommended ?? []).map(recommendedLine);
    if (t.requested.length) {
      lines.push(`Approve or cancel on the request${t.requested.length === 1 ? '' : 's'} above.`);
    } else if (!incident && t.recommended?.some((x) => x.outcome !== 'escalate')) {
      lines.push('Run the runbook in an incident channel to get its recommendations as requests.');
    }
    if (lines.length) sections.push(lines.join('\n'));
  } else if (t.requested.length) {
    sections.push(
      `*Requested:* ${t.requested.join(', ')}: approve or cancel on the request${t.requested.length === 1 ? '' : 's'} above.`,
    );
  } else if (!incident && r.findings.some((f) => f.recommendation)) {
    sections.push('Run the triage in an incident channel to get the recommended mitigation as a request.');
  }
  const context = [
    ...(bundle
      ? [`📦 For the hardware team or NVIDIA: /node collect ${t.node} attaches the node's diagnostic bundle.`]
      : []),
    ...(runbook ? [`📘 Runbook: ${runbook.title}`] : []),
    ...(r.skipped.length ? [`Not available on this node: ${r.skipped.join(', ')}`] : []),
  ];
  return {
    text: header,
    header,
    sections,
    ...(context.length ? { context } : {}),
    ...(bundle ? { buttons: [bundle] } : {}),
  };
}

function recommendedLine(r: RecommendedAction): string {
  switch (r.outcome) {
    case 'escalate':
      return `📣 Escalate: ${r.why}`;
    case 'requested':
      return `*Requested:* ${r.label} — ${r.why}`;
    case 'pending':
      return `*Already requested:* ${r.label} — ${r.why}`;
    case 'recommended':
      return `*Recommended:* ${r.label} — ${r.why}${r.detail ? ` (not requested: ${r.detail})` : ''}`;
  }
}
