import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatMessage } from '../chat/message.ts';
import { type Action, type Actor, BotError, type Clock, type Incident, isOpen } from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import type { Store, Timer } from '../store/port.ts';
import { REMINDER_KINDS, type ReminderKind } from './buttons.ts';
import { post, replace } from './drafts.ts';
import { incidentRef } from './format.ts';
import {
  ActionPayload,
  actionNudge,
  commanderNudge,
  LABEL,
  readPayload,
  UpdatePayload,
  updateReminder,
} from './reminder-messages.ts';
import {
  countFrom,
  DEFAULT_REMINDERS,
  minutesMs,
  type ReminderOptions,
  ReminderSchedule,
} from './reminder-schedule.ts';

export { DEFAULT_REMINDERS, type ReminderOptions } from './reminder-schedule.ts';

/**
 * Long enough for a slow chat call, short enough that a replica that died holding a reminder
 * delays it by a minute, not an hour.
 */
const LEASE_MS = 60_000;
/** A reminder that could not be posted (chat down, platform gone) is tried again after this. */
const RETRY_MS = 5 * 60_000;
const BATCH = 50;
const MINUTE = 60_000;

/** Statuses an action reaches only through an approval. */
const APPROVED = new Set<Action['status']>(['approved', 'running', 'succeeded', 'failed', 'unknown']);

/**
 * Update reminders by severity, a nudge when nobody is in command, and an "approved, no update
 * since" nudge after a mitigation. Each is a durable timer in the store (one per incident and
 * kind), leased to one process at a time, so reminders survive restarts and fire once across
 * replicas (docs/ARCHITECTURE.md, "Background work").
 *
 * Whether a reminder is still needed is decided when it fires, from the store, not when it was
 * scheduled: an update posted, a commander assigned or a severity changed in between (or a hook
 * that never ran) is taken into account. The services tell `schedule` about changes through
 * IncidentListener, inside their transactions.
 *
 * Reminders are posted in the incident channel and logged, not written to the timeline: the
 * timeline is the incident's story, and "nobody posted an update" is visible there already.
 */
export class ReminderService {
  /** This process, as the holder of timer leases. */
  readonly owner: string;
  /** The listener the incident and action services are given. */
  readonly schedule: ReminderSchedule;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly deps: { readonly uow: UnitOfWork; readonly directory: ChatDirectory },
    private readonly options: ReminderOptions = DEFAULT_REMINDERS,
    owner: string = randomUUID(),
  ) {
    this.owner = owner;
    this.schedule = new ReminderSchedule(store, clock, logger, options);
  }

  /**
   * Schedules an update timer for every open incident without one (declared before reminders
   * existed, or while they were off). Returns how many it scheduled.
   */
  reconcile(): Promise<number> {
    return this.schedule.reconcile();
  }

  /** Leases the due reminders and fires each; returns how many messages it posted. */
  async sweep(): Promise<number> {
    let posted = 0;
    for (let round = 0; round < 20; round++) {
      const now = this.clock.now();
      const due = await this.store.claimDueTimers(now, this.owner, LEASE_MS, BATCH, REMINDER_KINDS);
      for (const timer of due) {
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
      // Redrawn without its buttons now: nothing for the resolve to take away later.
      await tx.untrackMessage(from.channelId, from.messageId);
      const text = `😴 ${LABEL[kind]} for ${ref} snoozed by ${chat.mention(actor.id)} until ${time}.`;
      send(replace(incident, from, { text, sections: [text], mentions: [actor.id] }));
    });
    this.logger.info({ incident: incident.id, kind, until, by: actor.id }, 'reminder snoozed');
    return `Snoozed the ${LABEL[kind].toLowerCase()} for ${ref} until ${time}.`;
  }

  /** Handles one leased timer; true when it posted. */
  private async fire(timer: Timer, now: Date): Promise<boolean> {
    const incident = await this.store.getIncident(timer.incidentId);
    if (!incident || !isOpen(incident.status)) {
      await this.finish(timer);
      return false;
    }
    if (!isReminderKind(timer.kind)) return false;
    switch (timer.kind) {
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
    const payload = readPayload(UpdatePayload, timer.payload);
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
    const message = updateReminder(chat, incident, commander, last?.at, every, now);
    await this.finish(timer, next, incident, [message]);
    this.logger.info({ incident: incident.id, kind: 'update' }, 'update reminder posted');
    return true;
  }

  private async fireCommander(timer: Timer, incident: Incident, now: Date): Promise<boolean> {
    const roles = await this.store.listRoles(incident.id);
    if (roles.some((r) => r.role === 'commander') || !incident.channelId) {
      await this.finish(timer);
      return false;
    }
    await this.finish(timer, undefined, incident, [commanderNudge(incident, now)]);
    this.logger.info({ incident: incident.id, kind: 'commander' }, 'commander nudge posted');
    return true;
  }

  private async fireAction(timer: Timer, incident: Incident, now: Date): Promise<boolean> {
    const after = minutesMs(this.options.actionNudgeAfterMinutes);
    if (after === null) {
      await this.finish(timer);
      return false;
    }
    const { since } = readPayload(ActionPayload, timer.payload);
    const waiting = await this.unanswered(this.store, incident, since ? new Date(since) : undefined);
    const ripe = waiting.filter((a) => a.decidedAt.getTime() + after <= now.getTime());
    const later = waiting.filter((a) => a.decidedAt.getTime() + after > now.getTime());
    const messages: ChatMessage[] = [];
    if (ripe.length > 0 && incident.channelId) {
      const chat = this.deps.directory.chatFor(incident);
      const commander = (await this.store.listRoles(incident.id)).find((r) => r.role === 'commander');
      messages.push(actionNudge(chat, incident, commander, ripe, now));
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
      // Snooze buttons go when the incident is resolved: the message is remembered for that.
      if (ok && incident)
        send(messages.map((m) => post(incident, m, m.buttons?.length ? 'reminder' : undefined)));
      return ok;
    });
    // Rescheduled meanwhile (a snooze, a severity change): theirs stands.
    if (!kept) this.logger.debug({ incident: timer.incidentId, kind: timer.kind }, 'reminder lease lost');
  }

  private everyMs(severity: Incident['severity']): number | null {
    return this.schedule.everyMs(severity);
  }
}

function isReminderKind(kind: string): kind is ReminderKind {
  return (REMINDER_KINDS as readonly string[]).includes(kind);
}
