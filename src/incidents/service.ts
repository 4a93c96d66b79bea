import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/port.ts';
import {
  type Action,
  type Actor,
  acknowledgeOnCommander,
  BotError,
  type Clock,
  channelNameCandidates,
  type Incident,
  type IncidentStatus,
  isBotActorId,
  isBotError,
  isKeyByKind,
  isSingleHolder,
  type NewTimelineEntry,
  planStatusChange,
  ROLE_LABEL,
  type Role,
  type RoleAssignment,
  type Severity,
  type TimelineEntry,
} from '../core/index.ts';
import type { AlertRecord, IncidentPatch, Store } from '../store/port.ts';
import { channelTopic, renderCard } from './card.ts';
import { formatTime, incidentRef, severityEmoji } from './format.ts';

export interface IncidentServiceOptions {
  readonly displayTimeZone: string;
  /** User ids invited to every new incident channel. */
  readonly responders: readonly string[];
  readonly archiveOnClose: boolean;
}

export interface DeclareInput {
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly private: boolean;
  readonly actor: Actor;
}

/**
 * Told about a change inside the transaction that commits it, so what it writes (the reminders'
 * timers) commits or rolls back with the change and no crash falls between the two. Implemented
 * by ReminderService; the services know only this.
 */
export interface IncidentListener {
  declared(tx: Store, incident: Incident): Promise<void>;
  severityChanged(tx: Store, incident: Incident): Promise<void>;
  statusChanged(tx: Store, incident: Incident): Promise<void>;
  commanderAssigned(tx: Store, incident: Incident): Promise<void>;
  actionApproved(tx: Store, incident: Incident, action: Action): Promise<void>;
}

/** What a change decided, before it is written: the patch, the entries, the role moves. */
interface Change {
  readonly patch?: Omit<IncidentPatch, 'updatedAt'>;
  readonly entries: readonly Omit<NewTimelineEntry, 'incidentId' | 'at'>[];
  readonly assign?: RoleAssignment;
  /** More writes in the same transaction, once the change is in (the listener's). */
  readonly alsoWrite?: (tx: Store, updated: Incident) => Promise<void>;
}

const PUSHPIN = new Set(['📌', 'pushpin', 'round_pushpin', '📍']);
const MAX_TITLE = 200;

/**
 * Incident use cases: each decides through core, writes through the store in one transaction, and
 * only then talks to chat. A chat failure after the write is logged and reported, never undone:
 * the store is the record.
 */
export class IncidentService {
  private listener: IncidentListener | undefined;
  private onResolved: ((incident: Incident) => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly platforms: ReadonlyMap<string, ChatPlatform>,
    private readonly options: IncidentServiceOptions,
  ) {}

  /** Set once at composition (main.ts), after the listener, which needs this service, exists. */
  setListener(listener: IncidentListener): void {
    this.listener = listener;
  }

  /** Called after a resolve is committed (the post-mortem draft); set once at composition. */
  setOnResolved(fn: (incident: Incident) => void): void {
    this.onResolved = fn;
  }

  /**
   * Records the incident, then opens its channel. `inTransaction` writes more in the same
   * transaction as the incident (an alert group's link to it), so neither exists without the other.
   */
  async declare(
    chat: ChatPlatform,
    input: DeclareInput,
    options: { readonly inTransaction?: (tx: Store, incident: Incident) => Promise<void> } = {},
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
    const created = await this.store.transaction(async (tx) => {
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
      return incident;
    });
    return this.openChannel(chat, created, input.actor);
  }

  /** Channel, invitations, card, announcement. Each step is recorded so a retry can finish the job. */
  private async openChannel(chat: ChatPlatform, incident: Incident, actor: Actor): Promise<Incident> {
    let current = incident;
    try {
      // One round trip to create the channel, then everything else at once: a SEV1 channel should
      // be ready in the time of two calls, not five. The card does not depend on the channel.
      const [channel, card] = await Promise.all([
        this.createChannel(chat, incident),
        this.cardFor(chat, incident).then((c) => c.card),
      ]);
      const invitees = [...new Set([...(actor.bot ? [] : [actor.id]), ...this.options.responders])];
      const [posted] = await Promise.all([
        chat.postMessage(channel.id, card),
        this.patch(current, { channelId: channel.id, channelName: channel.name }),
        chat.invite(channel.id, invitees),
        chat.setTopic(channel.id, channelTopic(current, undefined)),
        this.announce(
          chat,
          current,
          `${severityEmoji(current.severity)} *${incidentRef(current)} declared* (${current.severity}): ${current.title}\nDeclared by ${actor.bot ? actor.name : chat.mention(actor.id)} · join ${chat.channelLink(channel)}`,
        ),
      ]);
      current = await this.patch(current, { cardMessageId: posted.messageId });
    } catch (err) {
      this.logger.error({ err, incident: current.id }, 'opening the incident channel failed');
      await this.appendSystem(current, `Opening the incident channel failed: ${describe(err)}`);
      throw new BotError(
        'bot.incident.channel_failed',
        `${incidentRef(current)} is recorded, but its channel could not be set up: ${describe(err)}`,
        { hint: 'Check the bot’s chat permissions; the incident and its timeline are safe.', cause: err },
      );
    }
    return current;
  }

  private async createChannel(chat: ChatPlatform, incident: Incident) {
    for (const name of channelNameCandidates(incident.number, incident.title)) {
      try {
        // The topic is set in parallel with the rest, not as a second step of creation.
        return await chat.createChannel({ name, topic: '', private: incident.private });
      } catch (err) {
        if (isBotError(err) && err.code === 'bot.chat.name_taken') continue;
        throw err;
      }
    }
    throw new BotError('bot.chat.name_taken', `Every channel name for ${incidentRef(incident)} is taken.`, {
      hint: 'Archive or rename old inc-* channels.',
    });
  }

  async changeStatus(incident: Incident, to: IncidentStatus, actor: Actor): Promise<Incident> {
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
        alsoWrite: async (tx, updated) => this.listener?.statusChanged(tx, updated),
      };
    });
    await this.afterChange(updated);
    if (to === 'closed') await this.onClosed(updated, actor);
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
      };
    });
    await this.afterChange(updated);
    const chat = this.chatFor(updated);
    if (updated.channelId) {
      await this.safely(updated, 'severity notice', () =>
        chat.postMessage(
          updated.channelId!,
          note(`${severityEmoji(to)} Severity changed to *${to}* by ${chat.mention(actor.id)}.`),
        ),
      );
    }
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
      };
    });
    const chat = this.chatFor(updated);
    if (updated.channelId) {
      await this.safely(updated, 'invite', () => chat.invite(updated.channelId!, [user.id]));
    }
    await this.afterChange(updated);
    return updated;
  }

  async postUpdate(incident: Incident, text: string, actor: Actor): Promise<Incident> {
    const body = requireText(text, 'update');
    const updated = await this.apply(incident.id, (current) => {
      if (current.status === 'closed') throw closedError(current);
      return {
        entries: [{ kind: 'update', actorId: actor.id, actorName: actor.name, text: body, key: true }],
      };
    });
    const chat = this.chatFor(updated);
    const message: ChatMessage = {
      text: `Status update for ${incidentRef(updated)}: ${body}`,
      header: `📣 Status update: ${incidentRef(updated)} (${updated.severity}, ${updated.status})`,
      sections: [body],
      context: [
        `Posted by ${chat.mention(actor.id)} · ${formatTime(this.clock.now(), actor.timeZone ?? this.options.displayTimeZone)}`,
      ],
    };
    if (updated.channelId) {
      await this.safely(updated, 'update post', () => chat.postMessage(updated.channelId!, message));
    }
    await this.announce(
      chat,
      updated,
      `📣 *${incidentRef(updated)}* (${updated.severity}, ${updated.status}): ${body}`,
    );
    await this.afterChange(updated);
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

  /** Human messages in an incident channel become timeline entries; bots' own posts never arrive here. */
  async recordMessage(
    incident: Incident,
    messageId: string,
    text: string,
    actor: Actor,
    at: Date,
  ): Promise<void> {
    if (await this.store.findTimelineBySource(incident.id, messageId)) return;
    await this.store.appendTimeline({
      incidentId: incident.id,
      kind: 'message',
      at,
      actorId: actor.id,
      actorName: actor.name,
      text,
      sourceMessageId: messageId,
    });
  }

  async recordEdit(incident: Incident, messageId: string, text: string, at: Date): Promise<void> {
    const entry = await this.store.findTimelineBySource(incident.id, messageId);
    if (entry && !entry.deletedAt) await this.store.editTimelineText(entry.id, text, at);
  }

  async recordDeletion(incident: Incident, messageId: string, at: Date): Promise<void> {
    const entry = await this.store.findTimelineBySource(incident.id, messageId);
    if (entry && !entry.deletedAt) await this.store.markTimelineDeleted(entry.id, at);
  }

  /** A 📌 reaction or a pin marks the message as a key event; removing the last one unmarks it. */
  async recordKeyMark(
    incident: Incident,
    messageId: string,
    emoji: string | null,
    added: boolean,
  ): Promise<void> {
    if (emoji !== null && !PUSHPIN.has(emoji)) return;
    const entry = await this.store.findTimelineBySource(incident.id, messageId);
    if (entry && entry.key !== added) await this.store.setTimelineKey(entry.id, added);
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

  /** Re-renders the card and the topic from the record. */
  async refresh(incident: Incident): Promise<void> {
    await this.afterChange(incident);
  }

  chatFor(incident: Incident): ChatPlatform {
    const chat = this.platforms.get(incident.platform);
    if (!chat) {
      throw new BotError(
        'bot.chat.platform_missing',
        `${incidentRef(incident)} lives on ${incident.platform}, which is not connected.`,
        { hint: `Configure ${incident.platform} again to work on this incident.` },
      );
    }
    return chat;
  }

  /**
   * Read–decide–write with a compare-and-set on the incident's version: if another writer got in
   * between, decide again on what they wrote. A refusal (BotError) writes nothing.
   */
  private async apply(
    id: string,
    decide: (current: Incident, tx: Store) => Change | Promise<Change>,
  ): Promise<Incident> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await this.store.transaction(async (tx) => {
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
        return updated;
      });
      if (result) return result;
    }
    throw new BotError('bot.incident.busy', 'The incident kept changing while this was being saved.', {
      hint: 'Try again in a moment.',
    });
  }

  private async patch(incident: Incident, patch: Omit<IncidentPatch, 'updatedAt'>): Promise<Incident> {
    return this.apply(incident.id, () => ({ patch, entries: [] }));
  }

  private async afterChange(incident: Incident): Promise<void> {
    if (!incident.channelId) return;
    const chat = this.chatFor(incident);
    const channelId = incident.channelId;
    const { card, roles } = await this.cardFor(chat, incident);
    if (incident.cardMessageId) {
      await this.safely(incident, 'card update', () =>
        chat.updateMessage(channelId, incident.cardMessageId!, card),
      );
    }
    const commander = roles.find((r) => r.role === 'commander');
    await this.safely(incident, 'topic', () =>
      chat.setTopic(channelId, channelTopic(incident, commander?.userName)),
    );
  }

  /** Says so in the channel first: once archived, nothing more can be posted there. */
  private async onClosed(incident: Incident, actor: Actor): Promise<void> {
    const chat = this.chatFor(incident);
    const channelId = incident.channelId;
    if (channelId) {
      const archiving = this.options.archiveOnClose ? ' This channel is now archived.' : '';
      await this.safely(incident, 'close notice', () =>
        chat.postMessage(
          channelId,
          note(`📁 ${incidentRef(incident)} closed by ${chat.mention(actor.id)}.${archiving}`),
        ),
      );
    }
    await this.announce(chat, incident, `📁 *${incidentRef(incident)}* closed: ${incident.title}`);
    if (this.options.archiveOnClose && channelId) {
      await this.safely(incident, 'archive', () => chat.archiveChannel(channelId));
    }
  }

  /** The card, and the roles it was drawn from (the topic needs the commander too). */
  private async cardFor(
    chat: ChatPlatform,
    incident: Incident,
  ): Promise<{ card: ChatMessage; roles: RoleAssignment[] }> {
    const [roles, last, alerts] = await Promise.all([
      this.store.listRoles(incident.id),
      this.store.latestTimelineEntry(incident.id, 'update'),
      this.store.countIncidentAlerts(incident.id),
    ]);
    const card = renderCard({
      incident,
      roles,
      lastUpdate: last ? { text: last.text, at: last.at, by: last.actorName ?? 'someone' } : undefined,
      now: this.clock.now(),
      time: (at, withDate) => this.channelTime(chat, at, withDate),
      mention: (id) => (isBotActorId(id) ? 'an alert' : chat.mention(id)),
      alerts,
    });
    return { card, roles };
  }

  /** A time in a shared message: each reader's zone where the platform can, else DISPLAY_TIMEZONE. */
  channelTime(chat: ChatPlatform, at: Date, withDate = true): string {
    const fallback = formatTime(at, this.options.displayTimeZone, withDate);
    return chat.localTime ? chat.localTime(at, fallback, withDate) : fallback;
  }

  private async announce(chat: ChatPlatform, incident: Incident, text: string): Promise<void> {
    // Private incidents stay out of the shared announcement channel.
    if (incident.private) return;
    const channelId = await chat.announceChannelId();
    if (!channelId) return;
    await this.safely(incident, 'announcement', () => chat.postMessage(channelId, note(text)));
  }

  private async appendSystem(incident: Incident, text: string): Promise<void> {
    try {
      await this.store.appendTimeline({
        incidentId: incident.id,
        kind: 'note',
        at: this.clock.now(),
        actorId: null,
        actorName: 'incident-bot',
        text,
      });
    } catch (err) {
      this.logger.error({ err }, 'could not record a system note');
    }
  }

  /** Chat side effects after a committed write: a failure is logged and noted, never thrown. */
  private async safely(incident: Incident, what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.logger.warn({ err, incident: incident.id, what }, 'chat call failed after the change was saved');
    }
  }
}

function note(text: string): ChatMessage {
  return { text, sections: [text] };
}

function requireText(text: string, what: string): string {
  const body = text.trim();
  if (!body) {
    throw new BotError(`bot.incident.${what}_empty`, `The ${what} is empty.`, {
      hint: `Write the ${what} after the command, e.g. /incident ${what} Drained gpu-node-5, errors dropping.`,
    });
  }
  if (body.length > 3000) {
    throw new BotError(
      `bot.incident.${what}_too_long`,
      `The ${what} is ${body.length} characters; at most 3000.`,
    );
  }
  return body;
}

function closedError(incident: Incident): BotError {
  return new BotError('bot.incident.closed', `${incidentRef(incident)} is closed and can no longer change.`, {
    hint: 'Declare a new incident if the problem is back.',
  });
}

function describe(err: unknown): string {
  if (isBotError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}
