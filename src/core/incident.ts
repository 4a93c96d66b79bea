import type { Role } from './roles.ts';
import type { Severity } from './severity.ts';
import type { IncidentStatus } from './status.ts';

export interface Incident {
  readonly id: string;
  /** Human number, unique and increasing: `inc-42-…`. */
  readonly number: number;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly status: IncidentStatus;
  readonly private: boolean;
  /** The chat platform the incident lives on (`sandbox`, `slack`, `discord`). */
  readonly platform: string;
  readonly channelId: string | null;
  readonly channelName: string | null;
  readonly cardMessageId: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Set when the status first reaches each milestone; the durations below derive from them. */
  readonly acknowledgedAt: Date | null;
  readonly mitigatedAt: Date | null;
  readonly resolvedAt: Date | null;
  readonly closedAt: Date | null;
  /** Optimistic-concurrency counter: every update must name the version it read. */
  readonly version: number;
}

export interface RoleAssignment {
  readonly incidentId: string;
  readonly role: Role;
  readonly userId: string;
  readonly userName: string;
  readonly assignedAt: Date;
}

export interface IncidentDurations {
  /** Milliseconds from declaration; null when the milestone has not been reached. */
  toAcknowledge: number | null;
  toMitigate: number | null;
  toResolve: number | null;
}

export function durations(incident: Incident): IncidentDurations {
  const since = (d: Date | null) => (d ? d.getTime() - incident.createdAt.getTime() : null);
  return {
    toAcknowledge: since(incident.acknowledgedAt),
    toMitigate: since(incident.mitigatedAt),
    toResolve: since(incident.resolvedAt),
  };
}
