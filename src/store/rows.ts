import type { Action, ActionResult, Incident, RoleAssignment, TimelineEntry } from '../core/index.ts';
import type { AlertRecord } from './port.ts';
import type {
  ActionRow,
  AlertRow,
  Flag,
  IncidentRow,
  IsoTime,
  JsonText,
  RoleRow,
  TimelineRow,
} from './schema.ts';

// Conversions between domain values and column values (see schema.ts for why these shapes).

export const iso = (d: Date): IsoTime => d.toISOString();
export const isoOrNull = (d: Date | null): IsoTime | null => (d === null ? null : d.toISOString());
export const flag = (b: boolean): Flag => (b ? 1 : 0);

const date = (s: IsoTime): Date => new Date(s);
const dateOrNull = (s: IsoTime | null): Date | null => (s === null ? null : new Date(s));

export function toIncident(r: IncidentRow): Incident {
  return {
    id: r.id,
    // PostgreSQL drivers may return integers as strings or bigints; the domain wants numbers.
    number: Number(r.number),
    title: r.title,
    description: r.description,
    severity: r.severity,
    status: r.status,
    private: Boolean(r.is_private),
    platform: r.platform,
    channelId: r.channel_id,
    channelName: r.channel_name,
    cardMessageId: r.card_message_id,
    createdBy: r.created_by,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    acknowledgedAt: dateOrNull(r.acknowledged_at),
    mitigatedAt: dateOrNull(r.mitigated_at),
    resolvedAt: dateOrNull(r.resolved_at),
    closedAt: dateOrNull(r.closed_at),
    version: Number(r.version),
  };
}

export function toRole(r: RoleRow): RoleAssignment {
  return {
    incidentId: r.incident_id,
    role: r.role,
    userId: r.user_id,
    userName: r.user_name,
    assignedAt: date(r.assigned_at),
  };
}

export function toTimelineEntry(r: TimelineRow): TimelineEntry {
  return {
    id: Number(r.id),
    incidentId: r.incident_id,
    kind: r.kind,
    at: date(r.at),
    actorId: r.actor_id,
    actorName: r.actor_name,
    text: r.text,
    data: JSON.parse(r.data) as Record<string, unknown>,
    key: Boolean(r.is_key),
    sourceMessageId: r.source_message_id,
    editedAt: dateOrNull(r.edited_at),
    deletedAt: dateOrNull(r.deleted_at),
  };
}

export function toAction(r: ActionRow): Action {
  return {
    id: r.id,
    incidentId: r.incident_id,
    kind: r.kind,
    target: r.target,
    params: JSON.parse(r.params) as Record<string, unknown>,
    preview: r.preview,
    status: r.status,
    requestedBy: r.requested_by,
    requestedByName: r.requested_by_name,
    requestedAt: date(r.requested_at),
    expiresAt: date(r.expires_at),
    decidedBy: r.decided_by,
    decidedByName: r.decided_by_name,
    decidedAt: dateOrNull(r.decided_at),
    startedAt: dateOrNull(r.started_at),
    finishedAt: dateOrNull(r.finished_at),
    result: r.result === null ? null : (JSON.parse(r.result) as ActionResult),
    messageId: r.message_id,
    runner: r.runner,
    severity: r.severity ?? null,
  };
}

export const json = (value: unknown): JsonText => JSON.stringify(value);

export function toAlert(r: AlertRow): AlertRecord {
  return {
    groupKey: r.group_key,
    fingerprint: r.fingerprint,
    source: r.source,
    name: r.name,
    status: r.status,
    labels: JSON.parse(r.labels),
    annotations: JSON.parse(r.annotations),
    nodes: JSON.parse(r.nodes),
    ...(r.summary !== null ? { summary: r.summary } : {}),
    ...(r.runbook_url !== null ? { runbookUrl: r.runbook_url } : {}),
    ...(r.generator_url !== null ? { generatorUrl: r.generator_url } : {}),
    startsAt: date(r.starts_at),
    endsAt: dateOrNull(r.ends_at),
    firstReceivedAt: date(r.first_received_at),
    lastReceivedAt: date(r.last_received_at),
    receivedCount: Number(r.received_count),
    incidentId: r.incident_id,
    postedStatus: r.posted_status,
  };
}
