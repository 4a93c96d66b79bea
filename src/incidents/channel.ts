import type { Logger } from 'pino';
import type { ChatMessage } from '../chat/message.ts';
import type { ChannelRef, ChatPlatform } from '../chat/port.ts';
import {
  BotError,
  type Clock,
  channelNameCandidates,
  describeError,
  type Incident,
  isBotActorId,
  isBotError,
  isOpen,
  type RoleAssignment,
} from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import {
  type HandlerResult,
  isTransient,
  notReady,
  type OpEntry,
  type OpHandlers,
  postOnce,
} from '../delivery/entry.ts';
import type { ChatOps } from '../delivery/ops.ts';
import type { IncidentPatch, OutboxEntry, Store, Tx } from '../store/port.ts';
import { channelTopic, renderCard } from './card.ts';
import { announcement, invite } from './drafts.ts';
import { incidentRef, severityEmoji } from './format.ts';

type Entry<K extends keyof ChatOps & string> = OpEntry<ChatOps, K>;
type Result = Promise<HandlerResult | undefined>;

export interface IncidentChannelOptions {
  /** User ids (and `@groups`) invited to every new incident channel. */
  readonly responders: readonly string[];
}

/**
 * How an incident's chat calls reach its platform: the outbox handlers of the incident ops (open
 * the channel, the card, the topic, posts, invitations, archiving, uploads). Each draws what it
 * sends from the record when it is delivered, so a call delivered late (after a crash, a retry)
 * shows the incident as it is then, and a call whose target is not there yet (the channel still
 * being opened) waits for it (`notReady`).
 */
export class IncidentChannel {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly directory: ChatDirectory,
    private readonly options: IncidentChannelOptions,
  ) {}

  /** The handlers this delivers, for the outbox's op table. */
  handlers(): Pick<
    OpHandlers,
    'open_channel' | 'card' | 'topic' | 'post' | 'invite' | 'update' | 'archive' | 'upload'
  > {
    return {
      open_channel: (e) => this.openChannel(e),
      card: (e) => this.card(e),
      topic: (e) => this.topic(e),
      post: (e) => this.post(e),
      invite: (e) => this.onChannel(e, (chat, ch) => chat.invite(ch, e.payload.userIds)),
      update: (e) => this.update(e),
      archive: (e) => this.onChannel(e, (chat, ch) => chat.archiveChannel(ch)),
      upload: (e) =>
        this.onChannel(e, async (chat, ch) => {
          // Retried after a crash: the first attempt's upload may have landed.
          if (e.attempts > 1 && (await chat.findUploaded?.(ch, e.payload.file))) return;
          await chat.uploadFile(ch, e.payload.file, { key: e.id });
        }),
    };
  }

  /** A chat call given up: the timeline says what did not reach the channel, and why. */
  async recordFailedCall(entry: OutboxEntry, err: unknown): Promise<void> {
    if (!entry.incidentId || entry.op === 'open_channel') return;
    const incident = await this.store.getIncident(entry.incidentId);
    if (!incident) return;
    const what = OP_LABEL[entry.op] ?? entry.op;
    await this.appendSystem(incident, `Could not ${what} in chat: ${describeError(err)}`);
  }

  /** The card and the roles it was drawn from, as the channel shows it now. */
  async card(entry: Entry<'card'>): Result {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    const chat = this.directory.chatFor(incident);
    const channelId = incident.channelId;
    if (incident.cardMessageId) {
      await chat.updateMessage(channelId, incident.cardMessageId, await this.cardFor(chat, incident));
      return undefined;
    }
    // Only the channel's opening posts the card; a change made before it landed waits for it.
    if (entry.payload.initial !== true) throw notReady('the incident card');
    const messageId = await postOnce(chat, channelId, entry, () => this.cardFor(chat, incident));
    return {
      after: (tx) => this.patchIn(tx, incident.id, { cardMessageId: messageId }).then(() => undefined),
    };
  }

  /**
   * Opens the incident's channel (or finds the one an interrupted attempt made: the adapters adopt
   * it), records it, then the card, invitations, topic and announcement follow as their own entries.
   */
  private async openChannel(entry: Entry<'open_channel'>): Result {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    const chat = this.directory.chatFor(incident);
    const { actor } = entry.payload;
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
        invite(incident, invitees),
        { incidentId: incident.id, op: 'topic', payload: {} },
        ...announcement(
          incident,
          `${severityEmoji(incident.severity)} *${incidentRef(incident)} declared* (${incident.severity}): ${incident.title}\nDeclared by ${who} · join ${chat.channelLink(channel)}`,
          actor.bot ? [] : [actor.id],
        ),
      ],
    };
  }

  private async topic(entry: Entry<'topic'>): Result {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    const chat = this.directory.chatFor(incident);
    const commander = (await this.store.listRoles(incident.id)).find((r) => r.role === 'commander');
    await chat.setTopic(incident.channelId, channelTopic(incident, commander?.userName));
    return undefined;
  }

  /**
   * A message in the incident's channel (`to: 'incident'`) or its platform's announcement channel.
   * Posted with the entry's id as its key; a retry first looks for the earlier post.
   */
  private async post(entry: Entry<'post'>): Result {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    const chat = this.directory.chatFor(incident);
    const announce = entry.payload.to === 'announce';
    const channelId = announce ? await chat.announceChannelId() : (incident.channelId ?? undefined);
    if (!channelId) {
      if (announce) return undefined;
      throw notReady('the incident channel');
    }
    const { message, track } = entry.payload;
    if (!track) {
      await postOnce(chat, channelId, entry, message);
      return undefined;
    }
    // Buttons that only mean something while the incident is open: not posted once it is resolved
    // (the resolve came first and redrew the others), else remembered so the resolve can redraw it.
    if (!isOpen(incident.status)) return undefined;
    const messageId = await postOnce(chat, channelId, entry, message);
    return {
      after: (tx) =>
        tx.trackMessage(
          { incidentId: incident.id, purpose: track, channelId, messageId, message },
          this.clock.now(),
        ),
    };
  }

  private async update(entry: Entry<'update'>): Result {
    const incident = entry.incidentId ? await this.store.getIncident(entry.incidentId) : undefined;
    if (!incident) return undefined;
    const { channelId, messageId, message } = entry.payload;
    await this.directory.chatFor(incident).updateMessage(channelId, messageId, message);
    return undefined;
  }

  /** An idempotent call on the incident's channel (invite, archive, upload). */
  private async onChannel(
    entry: Pick<OutboxEntry, 'incidentId'>,
    call: (chat: ChatPlatform, channelId: string) => Promise<void>,
  ): Result {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident) return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    await call(this.directory.chatFor(incident), incident.channelId);
    return undefined;
  }

  /** Writes a patch inside a transaction, re-reading on a concurrent change. */
  private async patchIn(tx: Tx, id: string, patch: Omit<IncidentPatch, 'updatedAt'>): Promise<Incident> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await tx.getIncident(id);
      if (!current) throw new BotError('bot.incident.not_found', 'That incident no longer exists.');
      const updated = await tx.updateIncident(id, current.version, { ...patch, updatedAt: this.clock.now() });
      if (updated) return updated;
    }
    throw new BotError('bot.incident.busy', 'The incident kept changing while this was being saved.');
  }

  private async createChannel(chat: ChatPlatform, incident: Incident): Promise<ChannelRef> {
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

  /** The card, drawn from the record. */
  private async cardFor(chat: ChatPlatform, incident: Incident): Promise<ChatMessage> {
    const [roles, last, alerts] = await Promise.all([
      this.store.listRoles(incident.id),
      this.store.latestTimelineEntry(incident.id, 'update'),
      this.store.countIncidentAlerts(incident.id),
    ]);
    return renderCard({
      incident,
      roles: roles as RoleAssignment[],
      lastUpdate: last ? { text: last.text, at: last.at, by: last.actorName ?? 'someone' } : undefined,
      now: this.clock.now(),
      time: (at, withDate) => this.directory.channelTime(chat, at, withDate),
      ago: (at) => this.directory.relativeTime(chat, at),
      mention: (id) => (isBotActorId(id) ? 'an alert' : chat.mention(id)),
      alerts,
    });
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
