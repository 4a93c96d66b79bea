import type { Incident } from './incident.ts';
import { assertTransition, type IncidentStatus } from './status.ts';

export interface StatusPatch {
  readonly status: IncidentStatus;
  readonly acknowledgedAt: Date | null;
  readonly mitigatedAt: Date | null;
  readonly resolvedAt: Date | null;
  readonly closedAt: Date | null;
}

/**
 * Decides a status move and the milestones it sets. Milestones are set the first time they are
 * reached; a move back (a mitigation that did not hold, a reopened incident) clears the ones that no
 * longer hold, so time-to-mitigate measures the mitigation that stuck.
 */
export function planStatusChange(incident: Incident, to: IncidentStatus, now: Date): StatusPatch {
  assertTransition(incident.status, to);
  let { acknowledgedAt, mitigatedAt, resolvedAt, closedAt } = incident;
  acknowledgedAt ??= now;
  if (to === 'investigating') {
    mitigatedAt = null;
    resolvedAt = null;
  }
  if (to === 'mitigated') mitigatedAt ??= now;
  if (to === 'resolved') {
    mitigatedAt ??= now;
    resolvedAt ??= now;
  }
  if (to === 'closed') closedAt = now;
  return { status: to, acknowledgedAt, mitigatedAt, resolvedAt, closedAt };
}

/** Assigning a commander acknowledges the incident if nothing did before. */
export function acknowledgeOnCommander(incident: Incident, now: Date): Date {
  return incident.acknowledgedAt ?? now;
}
