import type { Generated, Selectable } from 'kysely';
import type {
  ActionKind,
  ActionStatus,
  IncidentStatus,
  Role,
  Severity,
  TimelineKind,
} from '../core/index.ts';

/**
 * Column types are chosen so SQLite and PostgreSQL hold the same values:
 * - instants are `Date.toISOString()` text (UTC, fixed width, ms precision), so text order is time order;
 * - booleans are integers 0/1 because SQLite has no boolean type;
 * - structured fields are JSON text.
 */
export type IsoTime = string;
export type Flag = number;
export type JsonText = string;

export interface IncidentsTable {
  id: string;
  number: number;
  title: string;
  description: string;
  severity: Severity;
  status: IncidentStatus;
  is_private: Flag;
  platform: string;
  channel_id: string | null;
  channel_name: string | null;
  card_message_id: string | null;
  created_by: string;
  created_at: IsoTime;
  updated_at: IsoTime;
  acknowledged_at: IsoTime | null;
  mitigated_at: IsoTime | null;
  resolved_at: IsoTime | null;
  closed_at: IsoTime | null;
  version: number;
}

export interface IncidentRolesTable {
  incident_id: string;
  role: Role;
  user_id: string;
  user_name: string;
  assigned_at: IsoTime;
}

export interface TimelineEntriesTable {
  id: Generated<number>;
  incident_id: string;
  kind: TimelineKind;
  at: IsoTime;
  actor_id: string | null;
  actor_name: string | null;
  text: string;
  data: JsonText;
  is_key: Flag;
  source_message_id: string | null;
  edited_at: IsoTime | null;
  deleted_at: IsoTime | null;
}

export interface ActionsTable {
  id: string;
  incident_id: string;
  kind: ActionKind;
  target: string;
  params: JsonText;
  preview: string;
  status: ActionStatus;
  requested_by: string;
  requested_by_name: string;
  requested_at: IsoTime;
  expires_at: IsoTime;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: IsoTime | null;
  started_at: IsoTime | null;
  finished_at: IsoTime | null;
  result: JsonText | null;
  message_id: string | null;
  runner: string | null;
  severity: Severity | null;
}

export interface ProcessedEventsTable {
  source: string;
  event_id: string;
  processed_at: IsoTime;
}

export interface AlertsTable {
  group_key: string;
  fingerprint: string;
  source: string;
  name: string;
  status: 'firing' | 'resolved';
  labels: JsonText;
  annotations: JsonText;
  /** JSON list of the node names the labels point at. */
  nodes: JsonText;
  summary: string | null;
  runbook_url: string | null;
  generator_url: string | null;
  starts_at: IsoTime;
  ends_at: IsoTime | null;
  first_received_at: IsoTime;
  last_received_at: IsoTime;
  received_count: number;
  incident_id: string | null;
  posted_status: 'firing' | 'resolved' | null;
  pending: Flag;
}

export interface AlertGroupsTable {
  group_key: string;
  incident_id: string;
  storm: Flag;
  created_at: IsoTime;
}

export interface TimersTable {
  incident_id: string;
  kind: string;
  due_at: IsoTime;
  payload: JsonText;
  lease_owner: string | null;
  lease_until: IsoTime | null;
  created_at: IsoTime;
}

export interface PostmortemsTable {
  incident_id: string;
  markdown: string;
  source: 'llm' | 'deterministic';
  model: string | null;
  note: string | null;
  prompt_tokens: number | null;
  created_at: IsoTime;
  version: number;
}

export interface AlertClaimsTable {
  group_key: string;
  owner: string;
  lease_until: IsoTime;
}

export interface OutboxTable {
  id: string;
  incident_id: string | null;
  op: string;
  payload: JsonText;
  created_at: IsoTime;
  ord: number;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
  not_before: IsoTime;
  lease_owner: string | null;
  lease_until: IsoTime | null;
  error: string | null;
  done_at: IsoTime | null;
}

/** Migration 0011: bot messages whose buttons go when the incident is resolved. */
export interface TrackedMessagesTable {
  channel_id: string;
  message_id: string;
  incident_id: string;
  purpose: string;
  message: JsonText;
  created_at: IsoTime;
}

export interface HardwareEventsTable {
  event_key: string;
  node: string;
  gpu: string;
  xid: number | null;
  finding: string | null;
  incident_id: string | null;
  seen_at: IsoTime;
}

export interface GpuCountsTable {
  node: string;
  /** `2026-12-08`, UTC. */
  day: string;
  gpus: number;
}

export interface NodeBundlesTable {
  node: string;
  claim_id: string;
  status: string;
  incident_id: string | null;
  requested_by: string;
  owner: string;
  started_at: IsoTime;
  finished_at: IsoTime | null;
}

/** The tables of migration 0001. Later migrations extend this interface with their own tables. */
export interface Database {
  incidents: IncidentsTable;
  incident_roles: IncidentRolesTable;
  timeline_entries: TimelineEntriesTable;
  actions: ActionsTable;
  processed_events: ProcessedEventsTable;
  alerts: AlertsTable;
  alert_groups: AlertGroupsTable;
  timers: TimersTable;
  postmortems: PostmortemsTable;
  alert_claims: AlertClaimsTable;
  outbox: OutboxTable;
  tracked_messages: TrackedMessagesTable;
  hardware_events: HardwareEventsTable;
  node_bundles: NodeBundlesTable;
  gpu_counts: GpuCountsTable;
}

export type IncidentRow = Selectable<IncidentsTable>;
export type RoleRow = Selectable<IncidentRolesTable>;
export type TimelineRow = Selectable<TimelineEntriesTable>;
export type ActionRow = Selectable<ActionsTable>;
export type AlertRow = Selectable<AlertsTable>;
