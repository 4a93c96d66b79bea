import { randomUUID } from 'node:crypto';
import type { ChatPlatform } from '../chat/port.ts';
import {
  type Actor,
  acknowledgeOnCommander,
  BOT_LIMITS,
  BotError,
  type Clock,
  describeError,
  type Incident,
  type IncidentStatus,
  isKeyByKind,
  isOpen,
  isSingleHolder,
  type NewTimelineEntry,
  planStatusChange,
  ROLE_LABEL,
  type Role,
  type RoleAssignment,
  type Severity,
  type TimelineEntry,
} from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import type { OutboxDraft } from '../delivery/entry.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import type { AlertRecord, IncidentPatch, Store, TrackedMessage, Tx } from '../store/port.ts';
import { invite, refresh } from './drafts.ts';
import { incidentRef } from './format.ts';
import {
  closedError,
  closingPosts,
  requireText,
  retiredMessage,
  severityAnnouncement,
  severityChangedPosts,
  statusChangedPosts,
  statusUpdatePosts,
} from './incident-messages.ts';
import type { IncidentListener } from './listener.ts';

export type { IncidentListener } from './listener.ts';

export interface IncidentServiceOptions {
  readonly archiveOnClose: boolean;
}

export interface IncidentServiceDeps {
  readonly uow: UnitOfWork;
  readonly directory: ChatDirectory;
  /** Told of each change inside its transaction (the reminders' timers). */
  readonly listener?: IncidentListener;
  /** Told after a resolve has committed (the post-mortem draft). */
  readonly onResolved?: (incident: Incident) => void;
}

export interface DeclareInput {
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly private: boolean;
  readonly actor: Actor;
}

/** What a change decided, before it is written: the patch, the entries, the role moves. */
interface Change {
  readonly patch?: Omit<IncidentPatch, 'updatedAt'>;
  readonly entries: readonly Omit<NewTimelineEntry, 'incidentId' | 'at'>[];
  readonly assign?: RoleAssignment;
  /** More writes in the same transaction, once the change is in (the listener's). */
  readonly alsoWrite?: (tx: Tx, updated: Incident) => Promise<void>;
  /** Chat calls the change makes, written to the outbox with it (after the card and topic). */
  readonly posts?: (updated: Incident) => OutboxDraft[];
  /** False: the card and topic do not show this change (only ids were recorded). */
  readonly refresh?: boolean;
}

const MAX_TITLE = BOT_LIMITS.title;

/**
 * Incident use cases: each decides through core, writes through the store in one transaction
 * with the chat calls it makes (UnitOfWork), and those reach chat once it has committed. A chat
 * failure after the write is retried and reported, never undone: the store is the record.
 */
export class IncidentService {
  private readonly uow: UnitOfWork;
  private readonly directory: ChatDirectory;
  private readonly listener: IncidentListener | undefined;
  private readonly onResolved: ((incident: Incident) => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    deps: IncidentServiceDeps,
    private readonly options: IncidentServiceOptions,
  ) {
    this.uow = deps.uow;
    this.directory = deps.directory;
    this.listener = deps.listener;
    this.onResolved = deps.onResolved;
  }

  /**
   * Records the incident, then opens its channel. `inTransaction` writes more in the same
   * transaction as the incident (an alert group's link to it), so neither exists without the other.
   */
  async declare(
    chat: ChatPlatform,
    input: DeclareInput,
    options: { readonly inTransaction?: (tx: Tx, incident: Incident) => Promise<void> } = {},
  ): Promise<Incident> {
    const title = input.title.trim().replace(/\s+/g, ' ');
    if (!title) {
      throw new BotError('bot.incident.title_required', 'An incident needs a title.', {
        hint: 'For example: /incident declare GPU node 5 fell off the bus --severity SEV2',
      });
    }
    if (title.length > MAX_TITLE) {
      throw new BotError(
        'bot.incident.title_too_long',
        `The title is ${title.length} characters; at most ${MAX_TITLE}.`,
        {
          hint: 'Put the details in --description.',
        },
      );
    }
    const now = this.clock.now();
    const { value: created, report } = await this.uow.commit(async (tx, send) => {
      const incident = await tx.createIncident({
        id: randomUUID(),
        title,
        description: input.description.trim(),
        severity: input.severity,
        private: input.private,
        platform: chat.id,
        createdBy: input.actor.id,
        createdAt: now,
      });
      await tx.appendTimeline({
        incidentId: incident.id,
        kind: 'declared',
        at: now,
        actorId: input.actor.id,
        actorName: input.actor.name,
        text: `Declared ${incident.severity}: ${title}`,
        data: { severity: incident.severity, private: incident.private },
        key: true,
      });
      await options.inTransaction?.(tx, incident);
      await this.listener?.declared(tx, incident);
      // The channel is opened through the outbox: a crash from here on still ends with one channel.
      const actor = { id: input.actor.id, name: input.actor.name, bot: input.actor.bot === true };
      send({ incidentId: incident.id, op: 'open_channel', payload: { actor } });
      return incident;
    });
    // Said at once when the channel could not be set up (yet): the person is waiting for it.
    const current = (await this.store.getIncident(created.id)) ?? created;
    const open = [...report.failed, ...report.retrying].find((r) => r.entry.op === 'open_channel');
    if (open) {
      const retrying = report.retrying.includes(open);
      throw new BotError(
        'bot.incident.channel_failed',
        `${incidentRef(current)} is recorded, but its channel could not be set up: ${describeError(open.error)}`,
        {
          hint: retrying
            ? 'The bot keeps trying in the background; the incident and its timeline are safe.'
            : 'Check the bot’s chat permissions; the incident and its timeline are safe.',
          cause: open.error,
        },
      );
    }
    return current;
  }

  async changeStatus(incident: Incident, to: IncidentStatus, actor: Actor): Promise<Incident> {
    let retired: TrackedMessage[] = [];
    const updated = await this.apply(incident.id, (current) => {
      const plan = planStatusChange(current, to, this.clock.now());
      return {
        patch: plan,
        entries: [
          {
            kind: 'status',
            actorId: actor.id,
            actorName: actor.name,
            text: `Status ${current.status} → ${to}`,
            data: { from: current.status, to },
          },
        ],
        alsoWrite: async (tx, updated) => {
          await this.listener?.statusChanged(tx, updated);
          // Resolved or closed: the buttons that only meant something while it was open go.
          retired = isOpen(updated.status) ? [] : await tx.takeTrackedMessages(updated.id);
        },
        posts: (updated: Incident) => [
          ...retired.flatMap((m) => retiredMessage(updated, m, actor)),
          ...(to === 'closed'
            ? closingPosts(updated, this.directory.chatFor(updated), actor, this.options.archiveOnClose)
            : statusChangedPosts(updated, this.directory.chatFor(updated), current.status, actor)),
        ],
      };
    });
    if (to === 'resolved') this.onResolved?.(updated);
    return updated;
  }

  async changeSeverity(incident: Incident, to: Severity, actor: Actor): Promise<Incident> {
    const updated = await this.apply(incident.id, (current) => {
      if (current.status === 'closed') throw closedError(current);
      if (current.severity === to) {
        throw new BotError('bot.incident.unchanged', `${incidentRef(current)} is already ${to}.`);
      }
      return {
        patch: { severity: to },
        entries: [
          {
            kind: 'severity',
            actorId: actor.id,
            actorName: actor.name,
            text: `Severity ${current.severity} → ${to}`,
            data: { from: current.severity, to },
          },
        ],
        alsoWrite: async (tx, updated) => this.listener?.severityChanged(tx, updated),
        posts: (updated) => [
          ...severityChangedPosts(updated, this.directory.chatFor(updated), actor),
          ...severityAnnouncement(updated, current.severity),
        ],
      };
    });
    return updated;
  }

  async assignRole(incident: Incident, role: Role, user: Actor, actor: Actor): Promise<Incident> {
    const now = this.clock.now();
    const updated = await this.apply(incident.id, async (current, tx) => {
      if (current.status === 'closed') throw closedError(current);
      // Read inside the transaction: SQLite has one connection, and the decision must see the latest roles.
      const roles = await tx.listRoles(current.id);
      if (roles.some((r) => r.role === role && r.userId === user.id)) {
        throw new BotError(
          'bot.incident.unchanged',
          `${user.name} is already ${ROLE_LABEL[role].toLowerCase()}.`,
        );
      }
      const previous = isSingleHolder(role) ? roles.find((r) => r.role === role) : undefined;
      return {
        ...(role === 'commander' ? { patch: { acknowledgedAt: acknowledgeOnCommander(current, now) } } : {}),
        assign: { incidentId: current.id, role, userId: user.id, userName: user.name, assignedAt: now },
        entries: [
          {
            kind: 'role',
            actorId: actor.id,
            actorName: actor.name,
            text: `${user.name} is now ${ROLE_LABEL[role].toLowerCase()}${previous ? ` (was ${previous.userName})` : ''}`,
            data: { role, userId: user.id, previous: previous?.userId ?? null },
          },
        ],
        alsoWrite: async (tx, updated) => {
          if (role === 'commander') await this.listener?.commanderAssigned(tx, updated);
        },
        posts: (updated) => (updated.channelId ? [invite(updated, [user.id])] : []),
      };
    });
    return updated;
  }

  async postUpdate(incident: Incident, text: string, actor: Actor): Promise<Incident> {
    const body = requireText(text, 'update');
    const updated = await this.apply(incident.id, (current) => {
      if (current.status === 'closed') throw closedError(current);
      return {
        entries: [{ kind: 'update', actorId: actor.id, actorName: actor.name, text: body, key: true }],
        posts: (updated) =>
          statusUpdatePosts(updated, this.directory.chatFor(updated), body, actor, {
            at: this.clock.now(),
            timeZone: actor.timeZone ?? this.directory.displayTimeZone,
          }),
      };
    });
    return updated;
  }

  async addNote(incident: Incident, text: string, actor: Actor): Promise<TimelineEntry> {
    const body = requireText(text, 'note');
    if (incident.status === 'closed') throw closedError(incident);
    return this.store.appendTimeline({
      incidentId: incident.id,
      kind: 'note',
      at: this.clock.now(),
      actorId: actor.id,
      actorName: actor.name,
      text: body,
    });
  }

  async timeline(incident: Incident): Promise<TimelineEntry[]> {
    return this.store.listTimeline(incident.id);
  }

  /** Firing alerts per node they name (for /node list). */
  async firingAlertsByNode(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const a of await this.store.listFiringAlerts()) {
      for (const node of a.nodes) counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    return counts;
  }

  /** The alerts that fed the incident, oldest first. */
  async alerts(incident: Incident): Promise<AlertRecord[]> {
    return this.store.listIncidentAlerts(incident.id);
  }

  async roles(incident: Incident): Promise<RoleAssignment[]> {
    return this.store.listRoles(incident.id);
  }

  async get(id: string): Promise<Incident | undefined> {
    return this.store.getIncident(id);
  }

  async byChannel(platform: string, channelId: string): Promise<Incident | undefined> {
    return this.store.getIncidentByChannel(platform, channelId);
  }

  async byNumber(number: number): Promise<Incident | undefined> {
    return this.store.getIncidentByNumber(number);
  }

  async list(statuses?: readonly IncidentStatus[], limit = 50): Promise<Incident[]> {
    return this.store.listIncidents({ ...(statuses ? { statuses } : {}), limit });
  }

  /**
   * Read–decide–write with a compare-and-set on the incident's version: if another writer got in
   * between, decide again on what they wrote. A refusal (BotError) writes nothing.
   */
  private async apply(
    id: string,
    decide: (current: Incident, tx: Tx) => Change | Promise<Change>,
  ): Promise<Incident> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { value } = await this.uow.commit(async (tx, send) => {
        const current = await tx.getIncident(id);
        if (!current) throw new BotError('bot.incident.not_found', 'That incident no longer exists.');
        const change = await decide(current, tx);
        const now = this.clock.now();
        const updated = await tx.updateIncident(id, current.version, {
          ...(change.patch ?? {}),
          updatedAt: now,
        });
        if (!updated) return undefined;
        if (change.assign) await tx.assignRole(change.assign);
        for (const entry of change.entries) {
          await tx.appendTimeline({
            ...entry,
            incidentId: id,
            at: now,
            key: entry.key ?? isKeyByKind(entry.kind),
          });
        }
        await change.alsoWrite?.(tx, updated);
        // What the change shows in chat commits with it: the card and topic, then its own posts.
        send(change.refresh === false ? [] : refresh(updated), change.posts?.(updated) ?? []);
        return updated;
      });
      if (value) return value;
    }
    throw new BotError('bot.incident.busy', 'The incident kept changing while this was being saved.', {
      hint: 'Try again in a moment.',
    });
  }

  private async patch(incident: Incident, patch: Omit<IncidentPatch, 'updatedAt'>): Promise<Incident> {
    return this.apply(incident.id, () => ({ patch, entries: [], refresh: false }));
  }
}
