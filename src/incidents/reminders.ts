import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatButton, ChatMessage } from '../chat/message.ts';
import {
  type Action,
  type Actor,
  BotError,
  type Clock,
  formatDuration,
  type Incident,
  type IncidentStatus,
  isOpen,
  type Severity,
  STATUSES,
} from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import type { Store, Timer, Tx } from '../store/port.ts';
import {
  cardButtonId,
  REMINDER_KINDS,
  type ReminderKind,
  SNOOZE_MINUTES,
  snoozeButtonId,
} from './buttons.ts';
import { post, replace } from './drafts.ts';
import { incidentRef } from './format.ts';
import type { IncidentListener } from './listener.ts';

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

/**
 * Long enough for a slow chat call, short enough that a replica that died holding a reminder
 * delays it by a minute, not an hour.
 */
const LEASE_MS = 60_000;
/** A reminder that could not be posted (chat down, platform gone) is tried again after this. */
const RETRY_MS = 5 * 60_000;
const BATCH = 50;
const MINUTE = 60_000;
const OPEN_STATUSES: readonly IncidentStatus[] = STATUSES.filter(isOpen);

/** Statuses an action reaches only through an approval. */
const APPROVED = new Set<Action['status']>(['approved', 'running', 'succeeded', 'failed', 'unknown']);

/** What a timer carries between firings. */
type UpdatePayload = {
  /** When the last reminder was posted (ISO): the next one counts from there or the last update. */
  readonly remindedAt?: string;
};
type ActionPayload = {
  /** Approvals before this instant (ISO) were nudged already, or were answered. */
  readonly since?: string;
};

/**
 * Update reminders by severity, a nudge when nobody is in command, and an "approved, no update
 * since" nudge after a mitigation. Each is a durable timer in the store (one per incident and
 * kind), leased to one process at a time, so reminders survive restarts and fire once across
 * replicas (docs/ARCHITECTURE.md, "Background work").
 *
 * Whether a reminder is still needed is decided when it fires, from the store, not when it was
 * scheduled: an update posted, a commander assigned or a severity changed in between (or a hook
 * that never ran) is taken into account. The services tell it about changes through
 * IncidentListener, inside their transactions.
 *
 * Reminders are posted in the incident channel and logged, not written to the timeline: the
 * timeline is the incident's story, and "nobody posted an update" is visible there already.
 */
export class ReminderService implements IncidentListener {
  /** This process, as the holder of timer leases. */
  readonly owner: string;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly deps: { readonly uow: UnitOfWork; readonly directory: ChatDirectory },
    private readonly options: ReminderOptions = DEFAULT_REMINDERS,
    owner: string = randomUUID(),
  ) {
    this.owner = owner;
  }

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

  /** Leases the due reminders and fires each; returns how many messages it posted. */
  async sweep(): Promise<number> {
    let posted = 0;
    for (let round = 0; round < 20; round++) {
      const now = this.clock.now();
      const due = await this.store.claimDueTimers(now, this.owner, LEASE_MS, BATCH);
      for (const timer of due) {
        if (!isReminderKind(timer.kind)) {
          // Another feature's timer: left alone, its lease runs out for its owner.
          this.logger.debug({ kind: timer.kind, incident: timer.incidentId }, 'not a reminder timer');
          continue;
        }
        try {
          if (await this.fire(timer, now)) posted++;
        } catch (err) {
          this.logger.warn(
            { err, incident: timer.incidentId, kind: timer.kind },
            'a reminder failed; trying again later',
          );
          await this.finish(timer, { dueAt: new Date(now.getTime() + RETRY_MS) }).catch(() => undefined);
        }
      }
      if (due.length < BATCH) break;
    }
    return posted;
  }

  /**
   * Moves the incident's reminder of this kind to `minutes` from now. Anyone who can see the
   * reminder may snooze it. `from` is the reminder message clicked: it loses its buttons and
   * says who snoozed it, so the channel knows and nobody snoozes twice.
   */
  async snooze(
    incident: Incident,
    kind: ReminderKind,
    minutes: number,
    actor: Actor,
    from?: { readonly channelId: string; readonly messageId: string },
  ): Promise<string> {
    const ref = incidentRef(incident);
    if (!this.options.enabled) {
      throw new BotError('bot.reminder.off', 'Reminders are turned off on this bot.');
    }
    if (!isOpen(incident.status)) {
      throw new BotError('bot.reminder.stopped', `${ref} is ${incident.status}; its reminders have stopped.`);
    }
    const now = this.clock.now();
    const until = new Date(now.getTime() + minutes * MINUTE);
    const existing = await this.store.getTimer(incident.id, kind);
    let payload: Record<string, unknown> = { ...(existing?.payload ?? {}) };
    if (kind === 'update' && this.everyMs(incident.severity) === null) {
      throw new BotError('bot.reminder.none', `${ref} is ${incident.severity}: it has no update reminders.`);
    }
    if (kind === 'commander') {
      const commander = (await this.store.listRoles(incident.id)).find((r) => r.role === 'commander');
      if (commander) {
        throw new BotError(
          'bot.reminder.none',
          `${ref} has a commander now (${commander.userName}); there is nothing to snooze.`,
        );
      }
    }
    if (kind === 'action') {
      const waiting = await this.unanswered(this.store, incident, undefined);
      const first = waiting[0]?.decidedAt;
      if (!first) {
        throw new BotError(
          'bot.reminder.none',
          'A status update was posted since; there is nothing to snooze.',
        );
      }
      payload = { since: first.toISOString() } satisfies ActionPayload;
    }
    const chat = this.deps.directory.chatFor(incident);
    const time = this.deps.directory.channelTime(chat, until, false);
    await this.deps.uow.commit(async (tx, send) => {
      await tx.scheduleTimer({ incidentId: incident.id, kind, dueAt: until, payload, createdAt: now });
      if (!from) return;
      const text = `😴 ${LABEL[kind]} for ${ref} snoozed by ${chat.mention(actor.id)} until ${time}.`;
      send(replace(incident, from, { text, sections: [text], mentions: [actor.id] }));
    });
    this.logger.info({ incident: incident.id, kind, until, by: actor.id }, 'reminder snoozed');
    return `Snoozed the ${LABEL[kind].toLowerCase()} for ${ref} until ${time}.`;
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
    const payload = (existing?.payload ?? {}) as UpdatePayload;
    const last = await tx.latestTimelineEntry(incident.id, 'update');
    const base = countFrom(incident, last?.at, payload);
    const dueAt = new Date(Math.max(base.getTime() + every, now.getTime()));
    await tx.scheduleTimer({ incidentId: incident.id, kind: 'update', dueAt, payload, createdAt: now });
  }

  /** Handles one leased timer; true when it posted. */
  private async fire(timer: Timer, now: Date): Promise<boolean> {
    const incident = await this.store.getIncident(timer.incidentId);
    if (!incident || !isOpen(incident.status)) {
      await this.finish(timer);
      return false;
    }
    switch (timer.kind as ReminderKind) {
      case 'update':
        return this.fireUpdate(timer, incident, now);
      case 'commander':
        return this.fireCommander(timer, incident, now);
      case 'action':
        return this.fireAction(timer, incident, now);
    }
  }

  private async fireUpdate(timer: Timer, incident: Incident, now: Date): Promise<boolean> {
    const every = this.everyMs(incident.severity);
    if (every === null) {
      await this.finish(timer);
      return false;
    }
    const payload = timer.payload as UpdatePayload;
    const last = await this.store.latestTimelineEntry(incident.id, 'update');
    const base = countFrom(incident, last?.at, payload);
    // An update came in since the timer was set: count from it instead of nagging.
    if (base.getTime() + every > now.getTime()) {
      await this.finish(timer, { dueAt: new Date(base.getTime() + every) });
      return false;
    }
    const next = { dueAt: new Date(now.getTime() + every), payload: { remindedAt: now.toISOString() } };
    if (!incident.channelId) {
      await this.finish(timer, next);
      return false;
    }
    const chat = this.deps.directory.chatFor(incident);
    const commander = (await this.store.listRoles(incident.id)).find((r) => r.role === 'commander');
    const ref = incidentRef(incident);
    const since = last
      ? `The last one was ${ago(now, last.at)} ago`
      : `None since it was declared ${ago(now, incident.createdAt)} ago`;
    const cadence = `${incident.severity} asks for one every ${formatDuration(every)}`;
    const who = commander
      ? `${chat.mention(commander.userId)}, please tell people where things stand: \`/incident update <text>\`.`
      : 'No commander yet: take command below or with `/incident assign commander me`, then post an update with `/incident update <text>`.';
    const text = `⏰ ${ref} needs a status update. ${since} (${cadence}).`;
    const buttons: ChatButton[] = [
      ...(commander ? [] : [takeCommandButton(incident)]),
      ...snoozeChoices(every).map((m) => snoozeButton('update', m, incident)),
    ];
    await this.finish(timer, next, incident, [
      {
        text: `${text} ${who}`,
        sections: [`*${text}*`, who],
        buttons,
        ...(commander ? { mentions: [commander.userId] } : {}),
      },
    ]);
    this.logger.info({ incident: incident.id, kind: 'update' }, 'update reminder posted');
    return true;
  }

  private async fireCommander(timer: Timer, incident: Incident, now: Date): Promise<boolean> {
    const roles = await this.store.listRoles(incident.id);
    if (roles.some((r) => r.role === 'commander') || !incident.channelId) {
      await this.finish(timer);
      return false;
    }
    const ref = incidentRef(incident);
    const text = `🧭 ${ref} has had no commander for ${ago(now, incident.createdAt)}.`;
    const how = 'Someone take command: the button below, or `/incident assign commander me`.';
    await this.finish(timer, undefined, incident, [
      {
        text: `${text} ${how}`,
        sections: [`*${text}*`, how],
        buttons: [
          takeCommandButton(incident),
          ...[15, 30].map((m) => snoozeButton('commander', m, incident)),
        ],
      },
    ]);
    this.logger.info({ incident: incident.id, kind: 'commander' }, 'commander nudge posted');
    return true;
  }

  private async fireAction(timer: Timer, incident: Incident, now: Date): Promise<boolean> {
    const after = minutesMs(this.options.actionNudgeAfterMinutes);
    if (after === null) {
      await this.finish(timer);
      return false;
    }
    const since = (timer.payload as ActionPayload).since;
    const waiting = await this.unanswered(this.store, incident, since ? new Date(since) : undefined);
    const ripe = waiting.filter((a) => a.decidedAt.getTime() + after <= now.getTime());
    const later = waiting.filter((a) => a.decidedAt.getTime() + after > now.getTime());
    const messages: ChatMessage[] = [];
    if (ripe.length > 0 && incident.channelId) {
      const chat = this.deps.directory.chatFor(incident);
      const commander = (await this.store.listRoles(incident.id)).find((r) => r.role === 'commander');
      const what = ripe
        .map((a) => `${a.kind} of ${a.target} approved ${ago(now, a.decidedAt)} ago (${a.status})`)
        .join('; ');
      const text = `🛠️ ${incidentRef(incident)}: ${what}, no status update since.`;
      const hint = `${commander ? `${chat.mention(commander.userId)}, tell` : 'Tell'} people what changed: \`/incident update <text>\`.`;
      messages.push({
        text: `${text} ${hint}`,
        sections: [text, hint],
        buttons: [15, 30].map((m) => snoozeButton('action', m, incident)),
        ...(commander ? { mentions: [commander.userId] } : {}),
      });
      this.logger.info(
        { incident: incident.id, kind: 'action', actions: ripe.map((a) => a.id) },
        'action nudge posted',
      );
    }
    const first = later[0]?.decidedAt;
    if (first) {
      // Approvals still inside their grace time get their own nudge; the ones nudged now do not repeat.
      await this.finish(
        timer,
        {
          dueAt: new Date(first.getTime() + after),
          payload: { since: first.toISOString() } satisfies ActionPayload,
        },
        incident,
        messages,
      );
    } else {
      await this.finish(timer, undefined, incident, messages);
    }
    return messages.length > 0;
  }

  /** Approved mitigations with no status update after them (and not before `since`), oldest first. */
  private async unanswered(
    store: Store,
    incident: Incident,
    since: Date | undefined,
  ): Promise<(Action & { readonly decidedAt: Date })[]> {
    const [actions, last] = await Promise.all([
      store.listActions(incident.id),
      store.latestTimelineEntry(incident.id, 'update'),
    ]);
    const after = Math.max(last?.at.getTime() ?? -Infinity, since ? since.getTime() - 1 : -Infinity);
    return actions
      .filter((a): a is Action & { decidedAt: Date } => APPROVED.has(a.status) && a.decidedAt !== null)
      .filter((a) => a.decidedAt.getTime() > after)
      .sort((a, b) => a.decidedAt.getTime() - b.decidedAt.getTime());
  }

  private async finish(
    timer: Timer,
    next?: { readonly dueAt: Date; readonly payload?: Readonly<Record<string, unknown>> },
    incident?: Incident,
    messages: readonly ChatMessage[] = [],
  ): Promise<void> {
    // The reminder's post is written with the timer's move, in one transaction: a crash cannot post
    // it twice, and a replica that lost the lease posts nothing.
    const { value: kept } = await this.deps.uow.commit(async (tx, send) => {
      const ok = await tx.finishTimer(timer.incidentId, timer.kind, this.owner, next);
      if (ok && incident) send(messages.map((m) => post(incident, m)));
      return ok;
    });
    // Rescheduled meanwhile (a snooze, a severity change): theirs stands.
    if (!kept) this.logger.debug({ incident: timer.incidentId, kind: timer.kind }, 'reminder lease lost');
  }

  private everyMs(severity: Severity): number | null {
    return minutesMs(this.options.update[severity]);
  }
}

const LABEL: Record<ReminderKind, string> = {
  update: 'Update reminder',
  commander: 'Commander reminder',
  action: 'Mitigation reminder',
};

/** The next update reminder counts from the newer of the last update (or the declaration) and the last reminder. */
function countFrom(incident: Incident, lastUpdateAt: Date | undefined, payload: UpdatePayload): Date {
  const from = (lastUpdateAt ?? incident.createdAt).getTime();
  const reminded = payload.remindedAt ? Date.parse(payload.remindedAt) : Number.NEGATIVE_INFINITY;
  return new Date(Math.max(from, reminded));
}

function isReminderKind(kind: string): kind is ReminderKind {
  return (REMINDER_KINDS as readonly string[]).includes(kind);
}

function minutesMs(minutes: number | null): number | null {
  return minutes === null ? null : Math.round(minutes * MINUTE);
}

/** Snoozes longer than the interval (a shorter one would only bring the reminder forward), two at most. */
function snoozeChoices(everyMs: number): number[] {
  const longer = SNOOZE_MINUTES.filter((m) => m * MINUTE > everyMs);
  return longer.length > 0 ? longer.slice(0, 2) : [SNOOZE_MINUTES[SNOOZE_MINUTES.length - 1]!];
}

function snoozeButton(kind: ReminderKind, minutes: number, incident: Incident): ChatButton {
  return {
    id: snoozeButtonId(kind, minutes, incident.id),
    label: `Snooze ${formatDuration(minutes * MINUTE)}`,
  };
}

/** The card's own button, so a click from the nudge goes the same way as one on the card. */
function takeCommandButton(incident: Incident): ChatButton {
  return { id: cardButtonId('take-command', incident.id), label: 'Take command', style: 'primary' };
}

function ago(now: Date, then: Date): string {
  return formatDuration(now.getTime() - then.getTime());
}
