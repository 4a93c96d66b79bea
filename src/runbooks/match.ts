import type { Runbook } from './schema.ts';
import { alertnames } from './schema.ts';

export interface MatchableAlert {
  readonly labels: Readonly<Record<string, string>>;
}

type Matchable = Pick<Runbook, 'name' | 'match'>;

/**
 * How well `runbook` matches `alert`: undefined when it does not (the alertname differs, or a label
 * it asks for is missing or has another value), else the number of labels it matched.
 */
export function matchScore(runbook: Matchable, alert: MatchableAlert): number | undefined {
  const name = alert.labels.alertname;
  if (name === undefined || !alertnames(runbook).includes(name)) return undefined;
  let score = 0;
  for (const [label, want] of Object.entries(runbook.match.labels ?? {})) {
    const value = Object.hasOwn(alert.labels, label) ? alert.labels[label] : undefined;
    if (value === undefined) return undefined;
    if (typeof want === 'string' ? value !== want : !want.includes(value)) return undefined;
    score++;
  }
  return score;
}

/**
 * The runbook for an alert: its `alertname` label must be one the runbook names exactly, and every
 * label the runbook lists must match. Among those, the one matching the most labels wins; then the
 * one naming fewer alertnames (the more specific); then the first by name. Deterministic whatever the
 * order of `runbooks`. Undefined when none matches.
 */
export function matchRunbook<R extends Matchable>(
  runbooks: readonly R[],
  alert: MatchableAlert,
): R | undefined {
  let best: { runbook: R; score: number; names: number } | undefined;
  for (const runbook of runbooks) {
    const score = matchScore(runbook, alert);
    if (score === undefined) continue;
    const names = alertnames(runbook).length;
    if (
      best === undefined ||
      score > best.score ||
      (score === best.score &&
        (names < best.names || (names === best.names && runbook.name < best.runbook.name)))
    ) {
      best = { runbook, score, names };
    }
  }
  return best?.runbook;
}
