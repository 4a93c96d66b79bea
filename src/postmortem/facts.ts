import {
  type Action,
  type ActionKind,
  type ActionStatus,
  durations,
  type Incident,
  isBotActorId,
  ROLE_LABEL,
  type Role,
  type RoleAssignment,
  type TimelineEntry,
} from '../core/index.ts';
import type { AlertRecord } from '../store/port.ts';

/**
 * What the record says, with no model involved: milestones, durations, the action log and the
 * people. Every time and name in a draft comes from here.
 */
export type MilestoneKind =
  | 'first_alert'
  | 'declared'
  | 'acknowledged'
  | 'mitigation_started'
  | 'mitigated'
  | 'resolved'
  | 'closed';

export interface Milestone {
  readonly kind: MilestoneKind;
  readonly label: string;
  readonly at: Date;
  /** The timeline entry that records it; null when only the incident row or an alert does. */
  readonly entryId: number | null;
}

export interface ActionFact {
  readonly id: string;
  readonly kind: ActionKind;
  readonly target: string;
  readonly status: ActionStatus;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  /** Who approved (or cancelled) it. */
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly ok: boolean | null;
  readonly resultSummary: string | null;
  /** Timeline entries about this action, oldest first. */
  readonly entryIds: readonly number[];
}

export interface Person {
  readonly name: string;
  readonly roles: readonly Role[];
}

export interface AlertFact {
  readonly name: string;
  readonly count: number;
  readonly nodes: readonly string[];
  readonly firstAt: Date;
}

export interface PostmortemFacts {
  readonly incident: Incident;
  /** Non-deleted entries, oldest first: the only entries a draft may cite. */
  readonly entries: readonly TimelineEntry[];
  /** Chronological. */
  readonly milestones: readonly Milestone[];
  /** Impact start: the first alert when it came before the declaration. */
  readonly start: Date;
  /** Resolution; null while the incident is open. */
  readonly end: Date | null;
  readonly durations: {
    /** start → end, or start → now while open. */
    readonly total: number;
    readonly ongoing: boolean;
    /** First alert → declared; null without an earlier alert. */
    readonly toDeclare: number | null;
    readonly toAcknowledge: number | null;
    readonly toMitigate: number | null;
    readonly toResolve: number | null;
  };
  /** Key entries (📌, declared, status, severity, results, escalations, updates). */
  readonly keyEvents: readonly TimelineEntry[];
  readonly actions: readonly ActionFact[];
  readonly alerts: readonly AlertFact[];
  /** Nodes named by alerts or node mitigations. */
  readonly nodes: readonly string[];
  readonly people: readonly Person[];
  /** Every instant the record holds: a time a draft mentions must be one of these. */
  readonly knownTimes: readonly Date[];
}

export interface FactsInput {
  readonly incident: Incident;
  readonly timeline: readonly TimelineEntry[];
  readonly actions: readonly Action[];
  readonly roles: readonly RoleAssignment[];
  readonly alerts: readonly AlertRecord[];
  readonly now: Date;
}

const NODE_KINDS: ReadonlySet<ActionKind> = new Set(['cordon', 'uncordon', 'drain']);
const RAN: ReadonlySet<ActionStatus> = new Set(['approved', 'running', 'succeeded', 'failed', 'unknown']);

export function buildFacts(input: FactsInput): PostmortemFacts {
  const { incident } = input;
  const entries = input.timeline.filter((e) => !e.deletedAt).sort((a, b) => a.id - b.id);
  const byAction = new Map<string, TimelineEntry[]>();
  for (const e of entries) {
    const id = e.data.actionId;
    if (typeof id === 'string') byAction.set(id, [...(byAction.get(id) ?? []), e]);
  }

  const actions: ActionFact[] = [...input.actions]
    .sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime())
    .map((a) => ({
      id: a.id,
      kind: a.kind,
      target: a.target,
      status: a.status,
      requestedBy: a.requestedByName,
      requestedAt: a.requestedAt,
      decidedBy: a.decidedByName ?? a.decidedBy,
      decidedAt: a.decidedAt,
      startedAt: a.startedAt,
      finishedAt: a.finishedAt,
      ok: a.result ? a.result.ok : null,
      resultSummary: a.result?.summary ?? null,
      entryIds: (byAction.get(a.id) ?? []).map((e) => e.id),
    }));

  const milestones = buildMilestones(incident, entries, input.actions, input.alerts);
  const firstAlert = milestones.find((m) => m.kind === 'first_alert');
  const start = firstAlert && firstAlert.at < incident.createdAt ? firstAlert.at : incident.createdAt;
  const end = incident.resolvedAt ?? incident.closedAt;
  const d = durations(incident);

  const alerts = new Map<string, { count: number; nodes: Set<string>; firstAt: Date }>();
  for (const a of input.alerts) {
    const cur = alerts.get(a.name) ?? { count: 0, nodes: new Set<string>(), firstAt: a.startsAt };
    cur.count++;
    for (const n of a.nodes) cur.nodes.add(n);
    if (a.startsAt < cur.firstAt) cur.firstAt = a.startsAt;
    alerts.set(a.name, cur);
  }
  const nodes = new Set<string>();
  for (const a of alerts.values()) for (const n of a.nodes) nodes.add(n);
  for (const a of actions) if (NODE_KINDS.has(a.kind)) nodes.add(a.target);

  const knownTimes: Date[] = [...entries.map((e) => e.at), ...milestones.map((m) => m.at)];
  for (const a of actions) {
    for (const t of [a.requestedAt, a.decidedAt, a.startedAt, a.finishedAt]) if (t) knownTimes.push(t);
  }
  for (const a of input.alerts) knownTimes.push(a.startsAt, ...(a.endsAt ? [a.endsAt] : []));

  return {
    incident,
    entries,
    milestones,
    start,
    end,
    durations: {
      total: (end ?? input.now).getTime() - start.getTime(),
      ongoing: end === null,
      toDeclare: start < incident.createdAt ? incident.createdAt.getTime() - start.getTime() : null,
      ...d,
    },
    keyEvents: entries.filter((e) => e.key),
    actions,
    alerts: [...alerts].map(([name, a]) => ({
      name,
      count: a.count,
      nodes: [...a.nodes].sort(natural),
      firstAt: a.firstAt,
    })),
    nodes: [...nodes].sort(natural),
    people: people(entries, input.roles, input.actions),
    knownTimes,
  };
}

/** gpu-node-9 before gpu-node-10. */
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

function buildMilestones(
  incident: Incident,
  entries: readonly TimelineEntry[],
  actions: readonly Action[],
  alerts: readonly AlertRecord[],
): Milestone[] {
  const out: Milestone[] = [];
  const firstOf = (pred: (e: TimelineEntry) => boolean) => entries.find(pred) ?? null;
  const statusTo = (to: readonly string[], at: Date | null) =>
    at &&
    firstOf((e) => e.kind === 'status' && to.includes(String(e.data.to)) && e.at.getTime() === at.getTime());

  const alertEntry = firstOf((e) => e.kind === 'alert');
  const alertStart = alerts.reduce<Date | null>(
    (min, a) => (!min || a.startsAt < min ? a.startsAt : min),
    null,
  );
  const firstAlertAt = alertStart ?? alertEntry?.at ?? null;
  if (firstAlertAt) {
    out.push({
      kind: 'first_alert',
      label: 'First alert fired',
      at: firstAlertAt,
      entryId: alertEntry?.id ?? null,
    });
  }
  out.push({
    kind: 'declared',
    label: 'Incident declared',
    at: incident.createdAt,
    entryId: firstOf((e) => e.kind === 'declared')?.id ?? null,
  });
  if (incident.acknowledgedAt) {
    const at = incident.acknowledgedAt;
    const e = firstOf((x) => (x.kind === 'status' || x.kind === 'role') && x.at.getTime() === at.getTime());
    out.push({ kind: 'acknowledged', label: 'Acknowledged', at, entryId: e?.id ?? null });
  }
  // Mitigation starts with the first approved action: the approval entry is the record of it.
  const ran = actions.filter((a) => RAN.has(a.status));
  const ranIds = new Set(ran.map((a) => a.id));
  const started = firstOf(
    (e) =>
      (e.kind === 'action_started' || e.kind === 'action_approved') && ranIds.has(String(e.data.actionId)),
  );
  const firstRun = ran
    .map((a) => a.decidedAt ?? a.startedAt)
    .filter((t): t is Date => t !== null)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  if (started || firstRun) {
    out.push({
      kind: 'mitigation_started',
      label: 'Mitigation started',
      at: started?.at ?? firstRun!,
      entryId: started?.id ?? null,
    });
  }
  if (incident.mitigatedAt) {
    out.push({
      kind: 'mitigated',
      label: 'Mitigated (service restored)',
      at: incident.mitigatedAt,
      entryId: statusTo(['mitigated', 'resolved'], incident.mitigatedAt)?.id ?? null,
    });
  }
  if (incident.resolvedAt) {
    out.push({
      kind: 'resolved',
      label: 'Resolved',
      at: incident.resolvedAt,
      entryId: statusTo(['resolved'], incident.resolvedAt)?.id ?? null,
    });
  }
  if (incident.closedAt) {
    out.push({
      kind: 'closed',
      label: 'Closed',
      at: incident.closedAt,
      entryId: statusTo(['closed'], incident.closedAt)?.id ?? null,
    });
  }
  // Stable: milestones at the same instant keep the order above.
  return out.sort((a, b) => a.at.getTime() - b.at.getTime());
}

function people(
  entries: readonly TimelineEntry[],
  roles: readonly RoleAssignment[],
  actions: readonly Action[],
): Person[] {
  const byName = new Map<string, Set<Role>>();
  const add = (name: string | null | undefined, role?: Role) => {
    if (!name) return;
    const set = byName.get(name) ?? new Set<Role>();
    if (role) set.add(role);
    byName.set(name, set);
  };
  for (const r of roles) add(r.userName, r.role);
  for (const e of entries) if (e.actorId && !isBotActorId(e.actorId)) add(e.actorName);
  for (const a of actions) {
    add(a.requestedByName);
    if (a.decidedBy && !isBotActorId(a.decidedBy)) add(a.decidedByName ?? a.decidedBy);
  }
  const order: Role[] = ['commander', 'communications', 'responder'];
  const rank = (p: Person) => Math.min(...p.roles.map((r) => order.indexOf(r)), order.length);
  return [...byName]
    .map(([name, set]) => ({ name, roles: order.filter((r) => set.has(r)) }))
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export function describePerson(p: Person): string {
  return p.roles.length
    ? `${p.name} (${p.roles.map((r) => ROLE_LABEL[r].toLowerCase()).join(', ')})`
    : p.name;
}
