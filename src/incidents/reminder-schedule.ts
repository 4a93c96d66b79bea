import type { Logger } from 'pino';
import {
  type Action,
  type Clock,
  type Incident,
  type IncidentStatus,
  isOpen,
  type Severity,
  STATUSES,
} from '../core/index.ts';
import type { Store, Tx } from '../store/port.ts';
import type { IncidentListener } from './listener.ts';
import { type ActionPayload, readPayload, UpdatePayload } from './reminder-messages.ts';

/** The `reminders` block of the YAML file, as validated there. */
export interface ReminderOptions {
  readonly enabled: boolean;
  /** Minutes between status updates, per severity; null: no update reminders at that severity. */
  readonly update: Readonly<Record<Severity, number | null>>;
  /** Minutes an incident may go without a commander before the nudge; null: no nudge. */
  readonly commanderAfterMinutes: number | null;
  /** Minutes after a mitigation was approved with no status update since; null: no nudge. */
  readonly actionNudgeAfterMinutes: number | null;
  /** How often this process looks for due reminders. */
  readonly sweepSeconds: number;
}

export const DEFAULT_REMINDERS: ReminderOptions = {
  enabled: true,
  update: { SEV1: 15, SEV2: 30, SEV3: 60, SEV4: null },
  commanderAfterMinutes: 5,
  actionNudgeAfterMinutes: 10,
  sweepSeconds: 15,
};

const MINUTE = 60_000;
const OPEN_STATUSES: readonly IncidentStatus[] = STATUSES.filter(isOpen);

/**
 * When each reminder is due: the half of reminders that listens to incident changes. The services
 * call it inside their transactions (IncidentListener), so a timer is scheduled, moved or
 * cancelled together with the change that causes it. ReminderService fires the timers.
 */
export class ReminderSchedule implements IncidentListener {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: ReminderOptions,
  ) {}

  /**
   * Schedules an update timer for every open incident without one (declared before reminders
   * existed, or while they were off). Returns how many it scheduled.
   */
  async reconcile(): Promise<number> {
    if (!this.options.enabled) return 0;
    let count = 0;
    for (const incident of await this.store.listIncidents({ statuses: OPEN_STATUSES })) {
      if (this.everyMs(incident.severity) === null) continue;
      if (await this.store.getTimer(incident.id, 'update')) continue;
      await this.scheduleUpdate(this.store, incident);
      count++;
    }
    if (count) this.logger.info({ count }, 'scheduled update reminders for open incidents');
    return count;
  }

  // IncidentListener: called inside the transaction of the change, so use `tx` only.

  async declared(tx: Tx, incident: Incident): Promise<void> {
    if (!this.options.enabled) return;
    await this.scheduleUpdate(tx, incident);
    const after = minutesMs(this.options.commanderAfterMinutes);
    if (after !== null) {
      await tx.scheduleTimer({
        incidentId: incident.id,
        kind: 'commander',
        dueAt: new Date(incident.createdAt.getTime() + after),
        payload: {},
        createdAt: this.clock.now(),
      });
    }
  }

  async severityChanged(tx: Tx, incident: Incident): Promise<void> {
    if (!this.options.enabled || !isOpen(incident.status)) return;
    await this.scheduleUpdate(tx, incident);
  }

  async statusChanged(tx: Tx, incident: Incident): Promise<void> {
    if (!isOpen(incident.status)) {
      await tx.cancelTimers(incident.id);
      return;
    }
    // Reopened (resolved → investigating): the update reminders start again.
    if (this.options.enabled && !(await tx.getTimer(incident.id, 'update'))) {
      await this.scheduleUpdate(tx, incident);
    }
  }

  async commanderAssigned(tx: Tx, incident: Incident): Promise<void> {
    await tx.cancelTimers(incident.id, ['commander']);
  }

  async actionApproved(tx: Tx, incident: Incident, action: Action): Promise<void> {
    const after = minutesMs(this.options.actionNudgeAfterMinutes);
    if (!this.options.enabled || after === null || !action.decidedAt) return;
    const dueAt = new Date(action.decidedAt.getTime() + after);
    const existing = await tx.getTimer(incident.id, 'action');
    // One timer per incident: an earlier approval's nudge keeps its time and covers this one too.
    if (existing && existing.dueAt <= dueAt) return;
    await tx.scheduleTimer({
      incidentId: incident.id,
      kind: 'action',
      dueAt,
      payload: existing?.payload ?? ({ since: action.decidedAt.toISOString() } satisfies ActionPayload),
      createdAt: this.clock.now(),
    });
  }

  /**
   * Schedules (or moves) the update timer by the incident's severity: one interval after the last
   * update or reminder, and no earlier than now; removes it when the severity has no reminders.
   */
  private async scheduleUpdate(tx: Tx, incident: Incident): Promise<void> {
    const every = this.everyMs(incident.severity);
    if (every === null) {
      await tx.cancelTimers(incident.id, ['update']);
      return;
    }
    const now = this.clock.now();
    const existing = await tx.getTimer(incident.id, 'update');
    const payload = readPayload(UpdatePayload, existing?.payload);
    const last = await tx.latestTimelineEntry(incident.id, 'update');
    const base = countFrom(incident, last?.at, payload);
    const dueAt = new Date(Math.max(base.getTime() + every, now.getTime()));
    await tx.scheduleTimer({ incidentId: incident.id, kind: 'update', dueAt, payload, createdAt: now });
  }

  /** Milliseconds between update reminders at this severity; null: none. */
  everyMs(severity: Severity): number | null {
    return minutesMs(this.options.update[severity]);
  }
}

/** The next update reminder counts from the newer of the last update (or the declaration) and the last reminder. */
export function countFrom(incident: Incident, lastUpdateAt: Date | undefined, payload: UpdatePayload): Date {
  const from = (lastUpdateAt ?? incident.createdAt).getTime();
  const reminded = payload.remindedAt ? Date.parse(payload.remindedAt) : Number.NEGATIVE_INFINITY;
  return new Date(Math.max(from, reminded));
}

export function minutesMs(minutes: number | null): number | null {
  return minutes === null ? null : Math.round(minutes * MINUTE);
}
