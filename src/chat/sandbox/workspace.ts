import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Generated, Kysely, Selectable } from 'kysely';
import { BotError } from '../../core/index.ts';
import type { ChatMessage } from '../message.ts';

/**
 * The sandbox's own chat workspace: channels, members and messages, kept in the bot's database so
 * a restart loses nothing, with an event stream for the live page. Ephemeral messages stay in
 * memory, as they do on real platforms.
 */
export interface SandboxChannelsTable {
  id: string;
  name: string;
  topic: string;
  is_private: number;
  archived: number;
  created_at: string;
}

export interface SandboxMembersTable {
  channel_id: string;
  user_id: string;
}

export interface SandboxMessagesTable {
  seq: Generated<number>;
  id: string;
  channel_id: string;
  /** Null for the bot's own posts. */
  user_id: string | null;
  body: string;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
  pinned: number;
  /** JSON: emoji → user ids. */
  reactions: string;
}

export interface SandboxTables {
  sandbox_channels: SandboxChannelsTable;
  sandbox_members: SandboxMembersTable;
  sandbox_messages: SandboxMessagesTable;
}

export interface SandboxChannel {
  readonly id: string;
  readonly name: string;
  readonly topic: string;
  readonly private: boolean;
  readonly archived: boolean;
  readonly createdAt: string;
  readonly members: readonly string[];
}

export interface SandboxMessage {
  readonly id: string;
  readonly channelId: string;
  readonly userId: string | null;
  readonly message: ChatMessage;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deletedAt: string | null;
  readonly pinned: boolean;
  readonly reactions: Record<string, string[]>;
  /** Set on ephemeral messages: only this user sees them. */
  readonly visibleTo?: string;
  /** A file the message carries (the post-mortem draft): the page offers it as a download. */
  readonly file?: SandboxFile;
}

/**
 * An uploaded file, kept with its message (in its body, beside the ChatMessage): text as it is,
 * bytes in base64 (rows written before files could be bytes have no `encoding`: text).
 */
export interface SandboxFile {
  readonly filename: string;
  readonly content: string;
  readonly encoding?: 'utf8' | 'base64';
  readonly contentType?: string;
  /** In bytes, of a base64 file: the page shows it without fetching the bytes. */
  readonly size?: number;
}

export type WorkspaceEvent =
  | { readonly type: 'channel'; readonly channelId: string }
  | {
      readonly type: 'message';
      readonly channelId: string;
      readonly messageId: string;
      readonly visibleTo?: string;
    };

export const ANNOUNCE_CHANNEL = 'incidents';
const DEFAULT_CHANNELS = [
  { name: ANNOUNCE_CHANNEL, topic: 'Incident announcements: every declaration and update lands here.' },
  { name: 'general', topic: 'Say hello; incidents get channels of their own.' },
];
/** Ephemeral messages kept per user, newest last; old ones fall off like on real platforms. */
const MAX_EPHEMERAL = 200;

function newId(prefix: string): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

export class SandboxWorkspace {
  readonly events = new EventEmitter();
  private readonly ephemeral: SandboxMessage[] = [];

  constructor(
    private readonly db: Kysely<SandboxTables>,
    private readonly now: () => Date,
  ) {
    // Each open page holds a listener; many tabs are normal.
    this.events.setMaxListeners(0);
  }

  async seed(): Promise<void> {
    for (const c of DEFAULT_CHANNELS) {
      const existing = await this.findChannelByName(c.name);
      if (!existing) await this.createChannel(c.name, c.topic, false);
    }
  }

  async createChannel(name: string, topic: string, isPrivate: boolean): Promise<SandboxChannel> {
    if (await this.findChannelByName(name)) {
      throw new BotError('bot.chat.name_taken', `A channel named #${name} already exists.`);
    }
    const row: Selectable<SandboxChannelsTable> = {
      id: newId('C'),
      name,
      topic,
      is_private: isPrivate ? 1 : 0,
      archived: 0,
      created_at: this.now().toISOString(),
    };
    await this.db.insertInto('sandbox_channels').values(row).execute();
    this.emit({ type: 'channel', channelId: row.id });
    return toChannel(row, []);
  }

  async findChannelByName(name: string): Promise<SandboxChannel | undefined> {
    const row = await this.db
      .selectFrom('sandbox_channels')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? this.withMembers(row) : undefined;
  }

  async getChannel(id: string): Promise<SandboxChannel> {
    const row = await this.db
      .selectFrom('sandbox_channels')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new BotError('bot.chat.channel_not_found', `There is no channel ${id} in the sandbox.`);
    return this.withMembers(row);
  }

  async listChannels(): Promise<SandboxChannel[]> {
    const rows = await this.db.selectFrom('sandbox_channels').selectAll().orderBy('created_at').execute();
    const members = await this.db.selectFrom('sandbox_members').selectAll().execute();
    return rows.map((r) =>
      toChannel(
        r,
        members.filter((m) => m.channel_id === r.id).map((m) => m.user_id),
      ),
    );
  }

  async updateChannel(
    id: string,
    patch: { name?: string; topic?: string; archived?: boolean },
  ): Promise<void> {
    await this.getChannel(id);
    if (patch.name !== undefined) {
      const other = await this.findChannelByName(patch.name);
      if (other && other.id !== id)
        throw new BotError('bot.chat.name_taken', `A channel named #${patch.name} already exists.`);
    }
    await this.db
      .updateTable('sandbox_channels')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.topic !== undefined ? { topic: patch.topic } : {}),
        ...(patch.archived !== undefined ? { archived: patch.archived ? 1 : 0 } : {}),
      })
      .where('id', '=', id)
      .execute();
    this.emit({ type: 'channel', channelId: id });
  }

  async addMembers(channelId: string, userIds: readonly string[]): Promise<void> {
    await this.getChannel(channelId);
    for (const userId of userIds) {
      await this.db
        .insertInto('sandbox_members')
        .values({ channel_id: channelId, user_id: userId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    this.emit({ type: 'channel', channelId });
  }

  /**
   * Posts a message. With `id` (derived from the client's event id) a retried post returns the
   * message the first attempt stored instead of posting it twice.
   */
  async post(
    channelId: string,
    userId: string | null,
    message: ChatMessage,
    id?: string,
    file?: SandboxFile,
  ): Promise<SandboxMessage> {
    if (id) {
      const existing = await this.db
        .selectFrom('sandbox_messages')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (existing) return toMessage(existing);
    }
    const channel = await this.getChannel(channelId);
    assertWritable(channel);
    const row = {
      id: id ?? newId('M'),
      channel_id: channelId,
      user_id: userId,
      body: JSON.stringify(file ? { ...message, file } : message),
      created_at: this.now().toISOString(),
      edited_at: null,
      deleted_at: null,
      pinned: 0,
      reactions: '{}',
    };
    await this.db.insertInto('sandbox_messages').values(row).execute();
    this.emit({ type: 'message', channelId, messageId: row.id });
    return toMessage(row);
  }

  async getMessage(id: string): Promise<SandboxMessage> {
    const row = await this.db
      .selectFrom('sandbox_messages')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new BotError('bot.chat.message_not_found', `There is no message ${id} in the sandbox.`);
    return toMessage(row);
  }

  async replaceMessage(id: string, message: ChatMessage, edited: boolean): Promise<SandboxMessage> {
    const existing = await this.getMessage(id);
    await this.db
      .updateTable('sandbox_messages')
      .set({ body: JSON.stringify(message), ...(edited ? { edited_at: this.now().toISOString() } : {}) })
      .where('id', '=', id)
      .execute();
    this.emit({ type: 'message', channelId: existing.channelId, messageId: id });
    return this.getMessage(id);
  }

  async deleteMessage(id: string): Promise<SandboxMessage> {
    const existing = await this.getMessage(id);
    await this.db
      .updateTable('sandbox_messages')
      .set({ deleted_at: this.now().toISOString(), body: JSON.stringify({ text: '' }) })
      .where('id', '=', id)
      .execute();
    this.emit({ type: 'message', channelId: existing.channelId, messageId: id });
    return this.getMessage(id);
  }

  /** Sets a reaction on or off; returns whether anything changed (a retry changes nothing). */
  async setReaction(id: string, emoji: string, userId: string, on: boolean): Promise<boolean> {
    const m = await this.getMessage(id);
    const users = new Set(m.reactions[emoji] ?? []);
    if (users.has(userId) === on) return false;
    if (on) users.add(userId);
    else users.delete(userId);
    const reactions = { ...m.reactions, [emoji]: [...users] };
    if (users.size === 0) delete reactions[emoji];
    await this.db
      .updateTable('sandbox_messages')
      .set({ reactions: JSON.stringify(reactions) })
      .where('id', '=', id)
      .execute();
    this.emit({ type: 'message', channelId: m.channelId, messageId: id });
    return true;
  }

  /** Pins or unpins; returns whether anything changed. */
  async setPinned(id: string, on: boolean): Promise<boolean> {
    const m = await this.getMessage(id);
    if (m.pinned === on) return false;
    await this.db
      .updateTable('sandbox_messages')
      .set({ pinned: on ? 1 : 0 })
      .where('id', '=', id)
      .execute();
    this.emit({ type: 'message', channelId: m.channelId, messageId: id });
    return true;
  }

  async listMessages(channelId: string, viewer: string, limit = 500): Promise<SandboxMessage[]> {
    const rows = await this.db
      .selectFrom('sandbox_messages')
      .selectAll()
      .where('channel_id', '=', channelId)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    const persisted = rows.reverse().map(toMessage);
    const mine = this.ephemeral.filter((e) => e.channelId === channelId && e.visibleTo === viewer);
    return [...persisted, ...mine].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** An ephemeral message `viewer` can see (its buttons can be clicked, as on Slack and Discord). */
  findEphemeral(id: string, viewer: string): SandboxMessage | undefined {
    return this.ephemeral.find((e) => e.id === id && e.visibleTo === viewer);
  }

  /** Removes an answered ephemeral message (Slack's `delete_original` on a reply's buttons). */
  dropEphemeral(id: string): void {
    const at = this.ephemeral.findIndex((e) => e.id === id);
    if (at < 0) return;
    const [gone] = this.ephemeral.splice(at, 1);
    if (gone?.visibleTo)
      this.emit({
        type: 'message',
        channelId: gone.channelId,
        messageId: gone.id,
        visibleTo: gone.visibleTo,
      });
  }

  postEphemeral(channelId: string, userId: string, message: ChatMessage): SandboxMessage {
    const m: SandboxMessage = {
      id: newId('E'),
      channelId,
      userId: null,
      message,
      createdAt: this.now().toISOString(),
      editedAt: null,
      deletedAt: null,
      pinned: false,
      reactions: {},
      visibleTo: userId,
    };
    this.ephemeral.push(m);
    if (this.ephemeral.length > MAX_EPHEMERAL) this.ephemeral.shift();
    this.emit({ type: 'message', channelId, messageId: m.id, visibleTo: userId });
    return m;
  }

  private async withMembers(row: Selectable<SandboxChannelsTable>): Promise<SandboxChannel> {
    const members = await this.db
      .selectFrom('sandbox_members')
      .select('user_id')
      .where('channel_id', '=', row.id)
      .execute();
    return toChannel(
      row,
      members.map((m) => m.user_id),
    );
  }

  private emit(event: WorkspaceEvent): void {
    this.events.emit('event', event);
  }
}

export function assertWritable(channel: SandboxChannel): void {
  if (channel.archived) {
    throw new BotError('bot.chat.archived', `#${channel.name} is archived; nothing in it can change.`, {
      hint: 'The incident is closed; its channel is kept as the record.',
    });
  }
}

function toChannel(row: Selectable<SandboxChannelsTable>, members: string[]): SandboxChannel {
  return {
    id: row.id,
    name: row.name,
    topic: row.topic,
    private: row.is_private === 1,
    archived: row.archived === 1,
    createdAt: row.created_at,
    members,
  };
}

function toMessage(row: Omit<Selectable<SandboxMessagesTable>, 'seq'>): SandboxMessage {
  const { file, ...message } = JSON.parse(row.body) as ChatMessage & { file?: SandboxFile };
  return {
    id: row.id,
    channelId: row.channel_id,
    userId: row.user_id,
    message,
    ...(file ? { file } : {}),
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    pinned: row.pinned === 1,
    reactions: JSON.parse(row.reactions) as Record<string, string[]>,
  };
}
