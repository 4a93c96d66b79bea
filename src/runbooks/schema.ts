import { z } from 'zod';
import type { ActionKind } from '../core/action.ts';
import { ACTION_KINDS } from '../core/action.ts';
import { SEVERITIES } from '../core/severity.ts';
import type { DiagnosticId } from '../nodes/port.ts';
import { DIAGNOSTICS } from '../nodes/port.ts';
import { FINDINGS, type FindingKind } from '../nodes/triage.ts';

/**
 * The shape of one runbook file (runbooks/*.yml). Strict at every level: an unknown or misspelt key
 * is an error, never silently ignored. The loader adds the checks that span fields or files
 * (duplicate names, recommendations nothing can carry out, findings no diagnostic produces).
 */

export const DIAGNOSTIC_IDS = Object.keys(DIAGNOSTICS) as [DiagnosticId, ...DiagnosticId[]];

/** What triage can find on a node: defined beside triage (src/nodes/triage.ts), named here by hints. */
export { FINDINGS, type FindingKind };

/** The diagnostic whose output a finding comes from: a hint on a finding needs it in `diagnostics`. */
export const FINDING_SOURCE: Readonly<Record<FindingKind, DiagnosticId>> = {
  gpu_not_responding: 'gpu',
  gpu_missing: 'gpu',
  ecc_uncorrected: 'gpu',
  row_remap_pending: 'gpu-remap',
  row_remap_failure: 'gpu-remap',
  thermal_throttle: 'gpu-health',
  nvlink_down: 'nvlink',
  pcie_degraded: 'gpu-health',
  // From the Xids the bot remembers: a runbook that reads dmesg can act on it.
  gpu_needs_rma: 'xid',
  oom: 'oom',
  crash_loop: 'containers',
  // The peer probe on port 29500 runs alongside the nccl-port diagnostic.
  nccl_unreachable: 'nccl-port',
  memory_pressure: 'memory',
};

/** Findings (and Xid events) that name a process or container, so a workload action has a target. */
export const FINDINGS_NAMING_A_WORKLOAD: ReadonlySet<FindingKind> = new Set(['oom', 'crash_loop']);

/** Every action but uncordon (nothing calls for it), plus escalate (hand over to a human). */
export const RECOMMENDATIONS = [
  'cordon',
  'drain',
  'restart',
  'stop',
  'escalate',
] as const satisfies readonly (ActionKind | 'escalate')[];
export type RecommendationKind = (typeof RECOMMENDATIONS)[number];

export const TARGETS = ['node', 'workload'] as const;
export type Target = (typeof TARGETS)[number];

/** What each action acts on: a drain of a workload, or a restart of a node, is impossible. */
export const ACTION_TARGET: Readonly<Record<ActionKind, Target>> = {
  cordon: 'node',
  uncordon: 'node',
  drain: 'node',
  restart: 'workload',
  stop: 'workload',
};

/** Prometheus label names; `alertname` is matched through `match.alertname`. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** `90s`, `15m`, `2h`. */
export const DURATION = /^([1-9][0-9]{0,5})(s|m|h)$/;

const text = z.string().trim().min(1, 'must not be empty');
const nonEmptyList = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must list at least one');

const condition = z
  .strictObject({
    /** Any of these Xid numbers found in dmesg by the `xid` diagnostic. */
    xid: nonEmptyList(z.number().int().min(1).max(65_535)).optional(),
    finding: z.enum(FINDINGS, { error: () => `must be one of ${FINDINGS.join(', ')}` }).optional(),
  })
  .refine((c) => (c.xid === undefined) !== (c.finding === undefined), {
    message: 'give exactly one of xid (a list of Xid numbers) or finding',
  });
export type Condition = z.infer<typeof condition>;

const labelValue = z.union([text, nonEmptyList(text)], {
  error: () => 'must be a string or a list of strings (quote numbers: "79")',
});

export const runbookSchema = z.strictObject({
  /** Unique across runbooks; what `/runbook show <name>` takes. */
  name: z.string().regex(KEBAB, 'must be kebab-case (lower-case letters, digits and single dashes)'),
  title: text,
  match: z.strictObject({
    /** Exact alert name(s), as in the alert's `alertname` label. */
    alertname: z.union([text, nonEmptyList(text)], {
      error: () => 'must be an alert name or a list of alert names',
    }),
    /** Every label listed must be present with the value, or one of the values, given. */
    labels: z
      .record(
        z
          .string()
          .regex(LABEL_NAME, 'label names are letters, digits and _, not starting with a digit')
          .refine((k) => k !== 'alertname', 'match alert names with match.alertname'),
        labelValue,
      )
      .optional(),
  }),
  summary: text,
  /** The severity of an incident this runbook opens, unless the alert's labels say otherwise. */
  severity: z.enum(SEVERITIES, { error: () => `must be one of ${SEVERITIES.join(', ')}` }).optional(),
  /** Run on every node named by the alert, when the incident opens. */
  diagnostics: z.array(
    z.enum(DIAGNOSTIC_IDS, {
      error: (iss) =>
        `unknown diagnostic${typeof iss.input === 'string' ? ` "${iss.input}"` : ''}: must be one of ${DIAGNOSTIC_IDS.join(', ')}`,
    }),
  ),
  /** What to recommend when triage finds something. */
  hints: z.array(
    z.strictObject({
      when: condition,
      recommend: z.enum(RECOMMENDATIONS, { error: () => `must be one of ${RECOMMENDATIONS.join(', ')}` }),
      why: text,
    }),
  ),
  /** The actions offered as approval-gated buttons; `when` limits one to a finding or Xid. */
  mitigations: z.array(
    z.strictObject({
      action: z.enum(ACTION_KINDS, { error: () => `must be one of ${ACTION_KINDS.join(', ')}` }),
      target: z.enum(TARGETS, { error: () => `must be one of ${TARGETS.join(', ')}` }),
      when: condition.optional(),
      why: text.optional(),
    }),
  ),
  escalation: z.strictObject({
    /** Escalate when the incident is still open this long after it opened (`30m`, `2h`). */
    after: z.string().regex(DURATION, 'must be a duration such as 90s, 15m or 2h').optional(),
    /** Who: a user id, an @group or a rotation name. */
    to: text.optional(),
    say: text,
  }),
  references: z.array(z.url({ protocol: /^https?$/, error: () => 'must be an http(s) URL' })).optional(),
  /** The manual part, in order; markdown. */
  steps: nonEmptyList(text),
});

export type Runbook = z.infer<typeof runbookSchema>;
export type Hint = Runbook['hints'][number];
export type Mitigation = Runbook['mitigations'][number];

/** A runbook and the file it came from. */
export type LoadedRunbook = Runbook & { readonly file: string };

/** The alert names a runbook matches, as a list. */
export function alertnames(runbook: Pick<Runbook, 'match'>): string[] {
  const a = runbook.match.alertname;
  return typeof a === 'string' ? [a] : [...a];
}

/** `escalation.after` in milliseconds, or undefined when it is not set. */
export function escalateAfterMs(runbook: Pick<Runbook, 'escalation'>): number | undefined {
  const m = runbook.escalation.after ? DURATION.exec(runbook.escalation.after) : null;
  if (!m) return undefined;
  const unit = m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 1000;
  return Number(m[1]) * unit;
}
