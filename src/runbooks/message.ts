import type { ChatMessage } from '../chat/message.ts';
import type { Finding, FindingKind } from '../nodes/triage.ts';
import { applicableMitigations } from './apply.ts';
import type { Condition, Hint, Mitigation, Runbook } from './schema.ts';
import { alertnames } from './schema.ts';

/**
 * Runbooks as chat messages (renderers, no I/O): the one posted when an alert opens an incident,
 * and the full one `/runbook show` answers with.
 */

const FINDING_TEXT: Readonly<Record<FindingKind, string>> = {
  gpu_not_responding: 'a GPU not responding',
  gpu_missing: 'a GPU missing from the bus',
  ecc_uncorrected: 'uncorrected ECC errors',
  row_remap_pending: 'a row remap pending',
  row_remap_failure: 'a row remapping failure',
  thermal_throttle: 'a thermally throttled GPU',
  nvlink_down: 'an NVLink link down',
  pcie_degraded: 'a degraded PCIe link',
  gpu_needs_rma: 'a GPU that needs an RMA',
  oom: 'an OOM kill',
  crash_loop: 'a crash loop',
  nccl_unreachable: 'an unreachable NCCL peer',
  memory_pressure: 'memory pressure',
};

/** `Xid 31, 32 or 43`, `a crash loop`. */
export function describeCondition(when: Condition): string {
  if (when.xid !== undefined) {
    const xids = when.xid.map(String);
    const last = xids.pop()!;
    return `Xid ${xids.length ? `${xids.join(', ')} or ${last}` : last}`;
  }
  return when.finding === undefined ? 'always' : FINDING_TEXT[when.finding];
}

/** Runbook steps are markdown; chat messages use the common markup (*bold*, <url|label>). */
function markup(text: string): string {
  return text.replace(/\*\*([^*\n]+)\*\*/g, '*$1*').replace(/\[([^\]\n]+)\]\((https?:[^)\s]+)\)/g, '<$2|$1>');
}

function mitigationLine(m: Mitigation, withCondition: boolean): string {
  const on = withCondition && m.when ? ` on ${describeCondition(m.when)}` : '';
  const command = `\`/${m.target} ${m.action} <${m.target}>\``;
  return `• *${m.action}* the ${m.target}${on} (${command})${m.why ? `: ${m.why}` : ''}`;
}

function hintLine(h: Hint): string {
  return `• on ${describeCondition(h.when)} → *${h.recommend}*: ${h.why}`;
}

function stepsSection(runbook: Pick<Runbook, 'steps'>): string {
  return `*Steps:*\n${runbook.steps.map((s, i) => `${i + 1}. ${markup(s)}`).join('\n')}`;
}

function escalationLine(runbook: Pick<Runbook, 'escalation'>): string {
  const { after, to } = runbook.escalation;
  const when = [after ? `after ${after}` : '', to ? `to ${to}` : ''].filter(Boolean).join(' ');
  return `*Escalation*${when ? ` (${when})` : ''}: ${runbook.escalation.say}`;
}

function links(runbook: Pick<Runbook, 'references'>, runbookUrl: string | undefined): string[] {
  const refs = runbook.references ?? [];
  const out: string[] = [];
  if (runbookUrl) out.push(`<${runbookUrl}|Runbook for this alert>`);
  if (refs.length) out.push(`References: ${refs.map((r) => `<${r}|${r}>`).join(' · ')}`);
  return out;
}

export interface RunbookMessageOptions {
  /** The alert's `runbook_url` annotation, linked when given. */
  readonly runbookUrl?: string;
  /**
   * What triage found so far: only the mitigations that apply to these are listed. Without it,
   * every mitigation is listed, a conditional one with its condition.
   */
  readonly findings?: readonly Finding[];
}

/**
 * The runbook as posted in an incident channel: title, summary, the mitigations that apply, the
 * manual steps and the links.
 */
export function runbookMessage(runbook: Runbook, options: RunbookMessageOptions = {}): ChatMessage {
  const header = `📘 Runbook: ${runbook.title}`;
  const mitigations = options.findings
    ? applicableMitigations(runbook, options.findings)
    : runbook.mitigations;
  const sections = [
    runbook.summary,
    ...(mitigations.length
      ? [
          `*Mitigations* (each runs after an approval):\n${mitigations
            .map((m) => mitigationLine(m, options.findings === undefined))
            .join('\n')}`,
        ]
      : []),
    stepsSection(runbook),
  ];
  const context = [
    ...links(runbook, options.runbookUrl),
    `/runbook show ${runbook.name} for the full runbook`,
  ];
  return { text: `${header}: ${runbook.summary}`, header, sections, context };
}

/** Everything a runbook says, for `/runbook show`. */
export function runbookDetailMessage(runbook: Runbook & { readonly file?: string }): ChatMessage {
  const header = `📘 ${runbook.title} (${runbook.name})`;
  const labels = Object.entries(runbook.match.labels ?? {}).map(
    ([k, v]) => `${k} = ${typeof v === 'string' ? v : v.join(' | ')}`,
  );
  const sections = [
    runbook.summary,
    `*Matches:* ${alertnames(runbook).join(', ')}${labels.length ? ` with ${labels.join(', ')}` : ''}${runbook.severity ? ` · opens a ${runbook.severity}` : ''}`,
    `*Diagnostics:* ${runbook.diagnostics.length ? runbook.diagnostics.join(', ') : 'none'}`,
    ...(runbook.hints.length ? [`*Hints:*\n${runbook.hints.map(hintLine).join('\n')}`] : []),
    ...(runbook.mitigations.length
      ? [`*Mitigations:*\n${runbook.mitigations.map((m) => mitigationLine(m, true)).join('\n')}`]
      : []),
    escalationLine(runbook),
    stepsSection(runbook),
  ];
  const context = [
    ...links(runbook, undefined),
    ...(runbook.file ? [`From ${runbook.file}`] : []),
    ...(runbook.diagnostics.length ? [`Run it: /runbook run ${runbook.name} <node…>`] : []),
  ];
  return { text: `${header}: ${runbook.summary}`, header, sections, context };
}
