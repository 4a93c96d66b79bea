import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatMessage } from '../chat/message.ts';
import type { ChannelRef, ChatPlatform, FileUpload } from '../chat/port.ts';
import {
  type Action,
  type Actor,
  acknowledgeOnCommander,
  BOT_LIMITS,
  BotError,
  type Clock,
  channelNameCandidates,
  describeError,
  graphemeHead,
  type Incident,
  type IncidentStatus,
  isBotActorId,
  isBotError,
  isKeyByKind,
  isRecordMember,
  isSingleHolder,
  type NewTimelineEntry,
  planStatusChange,
  ROLE_LABEL,
  type Role,
  type RoleAssignment,
  type Severity,
  type TimelineEntry,
} from '../core/index.ts';
import type { AlertRecord, IncidentPatch, OutboxEntry, Store } from '../store/port.ts';
import { channelTopic, renderCard } from './card.ts';
import { formatTime, incidentRef, severityEmoji } from './format.ts';
import {
  type HandlerResult,
  isTransient,
  notReady,
  Outbox,
  type OutboxDraft,
  type OutboxOptions,
  postOnce,
} from './outbox.ts';

export interface IncidentServiceOptions {
  readonly displayTimeZone: string;
  /** User ids invited to every new incident channel. */
  readonly responders: readonly string[];
  readonly archiveOnClose: boolean;
  /** The outbox's lease owner, lease and sweep; see Outbox. */
  readonly outbox?: OutboxOptions;
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
  /** Chat calls the change makes, written to the outbox with it (after the card and topic). */
  readonly posts?: (updated: Incident) => OutboxDraft[];
  /** False: the card and topic do not show this change (only ids were recorded). */
  readonly refresh?: boolean;
}

const PUSHPIN = new Set(['📌', 'pushpin', 'round_pushpin', '📍']);
const MAX_TITLE = BOT_LIMITS.title;

/**
 * Incident use cases: each decides through core, writes through the store in one transaction, and
 * only then talks to chat. A chat failure after the write is logged and reported, never undone:
 * the store is the record.
 */
export class IncidentService {
  private listener: IncidentListener | undefined;
  private onResolved: ((incident: Incident) => void) | undefined;
  /** Every chat call about an incident goes through here (the other services use it too). */
  readonly outbox: Outbox;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly platforms: ReadonlyMap<string, ChatPlatform>,
    private readonly options: IncidentServiceOptions,
  ) {
    this.outbox = new Outbox(store, clock, logger, options.outbox);
    this.outbox.register('open_channel', (e) => this.deliverOpenChannel(e));
    this.outbox.register('card', (e) => this.deliverCard(e));
    this.outbox.register('topic', (e) => this.deliverTopic(e));
    this.outbox.register('post', (e) => this.deliverPost(e));
    this.outbox.register('invite', (e) =>
      this.deliverToChannel(e, (chat, ch) => chat.invite(ch, strings(e.payload.userIds))),
    );
    this.outbox.register('update', async (e) => {
      const incident = e.incidentId ? await this.store.getIncident(e.incidentId) : undefined;
      if (!incident) return undefined;
      const { channelId, messageId, message } = e.payload as {
        channelId: string;
        messageId: string;
        message: ChatMessage;
      };
      await this.chatFor(incident).updateMessage(channelId, messageId, message);
      return undefined;
    });
    this.outbox.register('archive', (e) => this.deliverToChannel(e, (chat, ch) => chat.archiveChannel(ch)));
    this.outbox.register('upload', (e) =>
      this.deliverToChannel(e, async (chat, ch) => {
        const file = e.payload.file as FileUpload;
        // Retried after a crash: the first attempt's upload may have landed.
        if (e.attempts > 1 && (await chat.findUploaded?.(ch, file))) return;
        await chat.uploadFile(ch, file, { key: e.id });
      }),
    );
    this.outbox.setOnFailed((entry, err) => this.recordFailedCall(entry, err));
  }

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
    let queued: OutboxEntry[] = [];
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
      // The channel is opened through the outbox: a crash from here on still ends with one channel.
      const actor = { id: input.actor.id, name: input.actor.name, bot: input.actor.bot === true };
      queued = await this.outbox.write(tx, [
        { incidentId: incident.id, op: 'open_channel', payload: { actor } },
      ]);
      return incident;
    });
    return this.openChannel(created, queued);
  }

  /** Delivers the channel opening the declaration wrote; says so when it could not (yet). */
  private async openChannel(incident: Incident, queued: readonly OutboxEntry[]): Promise<Incident> {
    const report = await this.outbox.deliver(queued);
    const current = (await this.store.getIncident(incident.id)) ?? incident;
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

  /**
   * Opens the incident's channel (or finds the one an interrupted attempt made: the adapters adopt
   * it), records it, then the card, invitations, topic and announcement follow as their own entries.
   */
  private async deliverOpenChannel(entry: OutboxEntry): Promise<HandlerResult | undefined> {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    const chat = this.chatFor(incident);
    const actor = entry.payload.actor as { id: string; name: string; bot: boolean };
    let channel: ChannelRef;
    if (incident.channelId) {
      channel = { id: incident.channelId, name: incident.channelName ?? incident.channelId };
    } else {
      try {
        channel = await this.createChannel(chat, incident);
      } catch (err) {
        // Once on the timeline, not at every retry.
        if (entry.attempts === 1 || !isTransient(err)) {
          await this.appendSystem(incident, `Opening the incident channel failed: ${describeError(err)}`);
        }
        throw err;
      }
    }
    const invitees = [...new Set([...(actor.bot ? [] : [actor.id]), ...this.options.responders])];
    const who = actor.bot ? actor.name : chat.mention(actor.id);
    return {
      after: async (tx) => {
        if (!incident.channelId) {
          await this.patchIn(tx, incident.id, { channelId: channel.id, channelName: channel.name });
        }
      },
      next: [
        { incidentId: incident.id, op: 'card', payload: { initial: true } },
        { incidentId: incident.id, op: 'invite', payload: { userIds: invitees } },
        { incidentId: incident.id, op: 'topic', payload: {} },
        ...this.announcement(
          incident,
          `${severityEmoji(incident.severity)} *${incidentRef(incident)} declared* (${incident.severity}): ${incident.title}\nDeclared by ${who} · join ${chat.channelLink(channel)}`,
          actor.bot ? [] : [actor.id],
        ),
      ],
    };
  }

  /** The card, drawn from the record when delivered: posted once (then updated), in the channel. */
  private async deliverCard(entry: OutboxEntry): Promise<HandlerResult | undefined> {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    const chat = this.chatFor(incident);
    const channelId = incident.channelId;
    if (incident.cardMessageId) {
      const { card } = await this.cardFor(chat, incident);
      await chat.updateMessage(channelId, incident.cardMessageId, card);
      return undefined;
    }
    // Only the channel's opening posts the card; a change made before it landed waits for it.
    if (entry.payload.initial !== true) throw notReady('the incident card');
    const messageId = await postOnce(
      chat,
      channelId,
      entry,
      async () => (await this.cardFor(chat, incident)).card,
    );
    return {
      after: (tx) => this.patchIn(tx, incident.id, { cardMessageId: messageId }).then(() => undefined),
    };
  }

  private async deliverTopic(entry: OutboxEntry): Promise<HandlerResult | undefined> {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    const chat = this.chatFor(incident);
    const roles = await this.store.listRoles(incident.id);
    const commander = roles.find((r) => r.role === 'commander');
    await chat.setTopic(incident.channelId, channelTopic(incident, commander?.userName));
    return undefined;
  }

  /**
   * A message in the incident's channel (`to: 'incident'`) or its platform's announcement channel.
   * Posted with the entry's id as its key; a retry first looks for the earlier post.
   */
  private async deliverPost(entry: OutboxEntry): Promise<HandlerResult | undefined> {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    const chat = this.chatFor(incident);
    const announce = entry.payload.to === 'announce';
    const channelId = announce ? await chat.announceChannelId() : (incident.channelId ?? undefined);
    if (!channelId) {
      if (announce) return undefined;
      throw notReady('the incident channel');
    }
    await postOnce(chat, channelId, entry, entry.payload.message as ChatMessage);
    return undefined;
  }

  /** An idempotent call on the incident's channel (invite, archive, upload). */
  private async deliverToChannel(
    entry: OutboxEntry,
    call: (chat: ChatPlatform, channelId: string) => Promise<void>,
  ): Promise<HandlerResult | undefined> {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    await call(this.chatFor(incident), incident.channelId);
    return undefined;
  }

  /** A chat call given up: the timeline says what did not reach the channel, and why. */
  private async recordFailedCall(entry: OutboxEntry, err: unknown): Promise<void> {
    if (!entry.incidentId || entry.op === 'open_channel') return;
    const incident = await this.store.getIncident(entry.incidentId);
    if (!incident) return;
    const what = OP_LABEL[entry.op] ?? entry.op;
    await this.appendSystem(incident, `Could not ${what} in chat: ${describeError(err)}`);
  }

  /** A message for the incident's channel, as an outbox draft. */
  post(incident: Incident, message: ChatMessage): OutboxDraft {
    return { incidentId: incident.id, op: 'post', payload: { to: 'incident', message } };
  }

  /** The announcement, as a draft; none for a private incident (they stay out of shared channels). */
  announcement(incident: Incident, text: string, mentions: readonly string[] = []): OutboxDraft[] {
    if (incident.private) return [];
    return [
      { incidentId: incident.id, op: 'post', payload: { to: 'announce', message: note(text, mentions) } },
    ];
  }

  /** The card and topic redrawn from the record, as drafts (when the incident has a channel). */
  refreshDrafts(incident: Incident): OutboxDraft[] {
    if (!incident.channelId) return [];
    return [
      { incidentId: incident.id, op: 'card', payload: {} },
      { incidentId: incident.id, op: 'topic', payload: {} },
    ];
  }

  /** Writes a patch inside a transaction, re-reading on a concurrent change. */
  private async patchIn(tx: Store, id: string, patch: Omit<IncidentPatch, 'updatedAt'>): Promise<Incident> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await tx.getIncident(id);
      if (!current) throw new BotError('bot.incident.not_found', 'That incident no longer exists.');
      const updated = await tx.updateIncident(id, current.version, { ...patch, updatedAt: this.clock.now() });
      if (updated) return updated;
    }
    throw new BotError('bot.incident.busy', 'The incident kept changing while this was being saved.');
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
        ...(to === 'closed' ? { posts: (updated: Incident) => this.closingPosts(updated, actor) } : {}),
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
        posts: (updated) =>
          updated.channelId
            ? [
                this.post(
                  updated,
                  note(
                    `${severityEmoji(to)} Severity changed to *${to}* by ${this.chatFor(updated).mention(actor.id)}.`,
                    [actor.id],
                  ),
                ),
              ]
            : [],
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
        posts: (updated) =>
          updated.channelId
            ? [{ incidentId: updated.id, op: 'invite', payload: { userIds: [user.id] } }]
            : [],
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
        posts: (updated) => {
          const chat = this.chatFor(updated);
          const message: ChatMessage = {
            text: `Status update for ${incidentRef(updated)}: ${body}`,
            header: `📣 Status update: ${incidentRef(updated)} (${updated.severity}, ${updated.status})`,
            sections: [body],
            context: [
              `Posted by ${chat.mention(actor.id)} · ${formatTime(this.clock.now(), actor.timeZone ?? this.options.displayTimeZone)}`,
            ],
            mentions: [actor.id],
          };
          return [
            ...(updated.channelId ? [this.post(updated, message)] : []),
            ...this.announcement(
              updated,
              `📣 *${incidentRef(updated)}* (${updated.severity}, ${updated.status}): ${body}`,
            ),
          ];
        },
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
      text: timelineText(text),
      sourceMessageId: messageId,
    });
  }

  async recordEdit(incident: Incident, messageId: string, text: string, at: Date): Promise<void> {
    const entry = await this.store.findTimelineBySource(incident.id, messageId);
    if (entry && !entry.deletedAt) await this.store.editTimelineText(entry.id, timelineText(text), at);
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

  /**
   * Whether `actor`, on `chat`, may see and work on the incident from outside its channel: it must
   * live on that platform, and a private one answers only to its members (the record's, or the
   * channel's own as the platform tells). Callers answer "no such incident" otherwise, so a
   * private incident's existence does not leak.
   */
  async visibleTo(chat: ChatPlatform, incident: Incident, actor: Actor): Promise<boolean> {
    if (incident.platform !== chat.id) return false;
    if (!incident.private) return true;
    const roles = await this.store.listRoles(incident.id);
    if (isRecordMember(incident, roles, actor, this.options.responders)) return true;
    if (!incident.channelId || !chat.isMember || actor.bot) return false;
    try {
      return await chat.isMember(incident.channelId, actor.id);
    } catch (err) {
      // Unknown is not a yes: the person sees "no such incident" and can ask in the channel.
      this.logger.warn(
        { err, incident: incident.number },
        'could not ask the platform who is in a private channel',
      );
      return false;
    }
  }

  /** Newest first, only those `actor` may see on `chat` (see visibleTo). */
  async listVisible(
    chat: ChatPlatform,
    actor: Actor,
    statuses: readonly IncidentStatus[] | undefined,
    limit = 50,
  ): Promise<Incident[]> {
    // Private incidents are few; read a wider window, keep what the person may see.
    const candidates = await this.store.listIncidents({
      ...(statuses ? { statuses } : {}),
      platform: chat.id,
      limit: limit * 10,
    });
    const out: Incident[] = [];
    for (const incident of candidates) {
      if (out.length >= limit) break;
      if (await this.visibleTo(chat, incident, actor)) out.push(incident);
    }
    return out;
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
      let queued: OutboxEntry[] = [];
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
        // What the change shows in chat commits with it: the card and topic, then its own posts.
        queued = await this.outbox.write(tx, [
          ...(change.refresh === false ? [] : this.refreshDrafts(updated)),
          ...(change.posts?.(updated) ?? []),
        ]);
        return updated;
      });
      if (result) {
        await this.outbox.deliver(queued);
        return result;
      }
    }
    throw new BotError('bot.incident.busy', 'The incident kept changing while this was being saved.', {
      hint: 'Try again in a moment.',
    });
  }

  private async patch(incident: Incident, patch: Omit<IncidentPatch, 'updatedAt'>): Promise<Incident> {
    return this.apply(incident.id, () => ({ patch, entries: [], refresh: false }));
  }

  /** What closing says in chat: first in the channel, since once archived nothing more can be posted there. */
  private closingPosts(incident: Incident, actor: Actor): OutboxDraft[] {
    const chat = this.chatFor(incident);
    const archive = this.options.archiveOnClose && incident.channelId;
    return [
      ...(incident.channelId
        ? [
            this.post(
              incident,
              note(
                `📁 ${incidentRef(incident)} closed by ${chat.mention(actor.id)}.${archive ? ' This channel is now archived.' : ''}`,
                [actor.id],
              ),
            ),
          ]
        : []),
      ...this.announcement(incident, `📁 *${incidentRef(incident)}* closed: ${incident.title}`),
      ...(archive ? [{ incidentId: incident.id, op: 'archive', payload: {} }] : []),
    ];
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
}

const OP_LABEL: Readonly<Record<string, string>> = {
  post: 'post a message',
  card: 'update the incident card',
  topic: 'set the channel topic',
  invite: 'invite responders',
  archive: 'archive the channel',
  upload: 'upload a file',
  action: 'update the action message',
};

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** A one-section message; `mentions`: the people it pings on purpose (ChatMessage.mentions). */
export function note(text: string, mentions: readonly string[] = []): ChatMessage {
  return { text, sections: [text], ...(mentions.length ? { mentions } : {}) };
}

function requireText(text: string, what: 'update' | 'note'): string {
  const body = text.trim();
  if (!body) {
    throw new BotError(`bot.incident.${what}_empty` as const, `The ${what} is empty.`, {
      hint: `Write the ${what} after the command, e.g. /incident ${what} Drained gpu-node-5, errors dropping.`,
    });
  }
  if (body.length > BOT_LIMITS.updateText) {
    throw new BotError(
      `bot.incident.${what}_too_long` as const,
      `The ${what} is ${body.length} characters; at most ${BOT_LIMITS.updateText}.`,
    );
  }
  return body;
}

function closedError(incident: Incident): BotError {
  return new BotError('bot.incident.closed', `${incidentRef(incident)} is closed and can no longer change.`, {
    hint: 'Declare a new incident if the problem is back.',
  });
}

/** The most of one chat message the timeline keeps (src/core/limits.ts says why). */
export const MAX_TIMELINE_MESSAGE = BOT_LIMITS.timelineMessage;

/** A message as the timeline records it: its first 4,000 characters, and how much was cut. */
export function timelineText(text: string): string {
  if (text.length <= MAX_TIMELINE_MESSAGE) return text;
  // Never half a character (src/core/text.ts).
  const head = graphemeHead(text, MAX_TIMELINE_MESSAGE);
  return `${head} … [${(text.length - head.length).toLocaleString('en-US')} more characters not recorded]`;
}
