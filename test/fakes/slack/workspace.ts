import { randomUUID } from 'node:crypto';
import { SLACK_MAX_UPLOAD_BYTES } from '../../../src/chat/upload-limits.ts';
import { blockErrors, LIMITS } from './block-kit.ts';
import { channelNameError } from './channel-name.ts';
import { IdFactory } from './ids.ts';
import type {
  ChannelRecord,
  EphemeralRecord,
  FileRecord,
  MessageOrigin,
  MessageRecord,
  ResponseUrlRecord,
  TriggerRecord,
  ViewRecord,
} from './records.ts';
import { fail, ok, type SlackResult } from './result.ts';
import {
  type FakeUser,
  type FakeUserGroup,
  type NewUser,
  type NewUserGroup,
  SEED_GROUPS,
  SEED_USERS,
} from './users.ts';

export type { SlackResult } from './result.ts';

export interface WorkspaceIdentity {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly botName: string;
}

export interface PostInput {
  readonly channel: string;
  readonly text?: string;
  readonly blocks?: unknown;
  readonly attachments?: unknown;
  readonly threadTs?: string;
  readonly metadata?: unknown;
}

/** Slack's trigger_id lifetime: "expires in 3 seconds" (views.open / views.push). */
export const DEFAULT_TRIGGER_TTL_MS = 3000;

/**
 * The fake workspace's state and the rules Slack applies to it. The Web API handlers and the
 * fake ChatPlatform both go through these operations, so they answer alike.
 */
export class Workspace {
  readonly ids = new IdFactory();
  readonly users = new Map<string, FakeUser>();
  readonly groups = new Map<string, FakeUserGroup>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly messages = new Map<string, MessageRecord[]>();
  readonly ephemerals: EphemeralRecord[] = [];
  readonly views = new Map<string, ViewRecord>();
  readonly files = new Map<string, FileRecord>();
  readonly triggers = new Map<string, TriggerRecord>();
  readonly responseUrls = new Map<string, ResponseUrlRecord>();

  constructor(
    readonly identity: WorkspaceIdentity,
    readonly triggerTtlMs: number = DEFAULT_TRIGGER_TTL_MS,
    /** The largest file files.getUploadURLExternal takes (Slack's 1 GB unless a test says less). */
    readonly maxUploadBytes: number = SLACK_MAX_UPLOAD_BYTES,
  ) {
    for (const u of SEED_USERS) this.users.set(u.id, u);
    this.users.set(identity.botUserId, {
      id: identity.botUserId,
      name: identity.botName,
      realName: 'Incident Bot',
      displayName: 'Incident Bot',
      tz: 'America/Los_Angeles',
      isBot: true,
      botId: identity.botId,
      deleted: false,
    });
    for (const g of SEED_GROUPS) this.groups.set(g.id, g);
    const humans = SEED_USERS.filter((u) => u.id !== 'USLACKBOT').map((u) => u.id);
    this.seedChannel({ id: 'C0GENERAL', name: 'general', general: true, members: humans });
    this.seedChannel({ id: 'C0INCIDENTS', name: 'incidents', members: [...humans, identity.botUserId] });
  }

  // ---- people ----

  addUser(input: NewUser): FakeUser {
    const user: FakeUser = {
      id: input.id ?? this.ids.next('U'),
      name: input.name,
      realName: input.realName ?? input.name,
      displayName: input.displayName ?? input.name,
      tz: input.tz ?? 'UTC',
      isBot: input.isBot ?? false,
      deleted: input.deleted ?? false,
      ...(input.email ? { email: input.email } : {}),
    };
    this.users.set(user.id, user);
    return user;
  }

  addUserGroup(input: NewUserGroup): FakeUserGroup {
    const group: FakeUserGroup = {
      id: input.id ?? this.ids.next('S'),
      handle: input.handle,
      name: input.name ?? input.handle,
      users: [...input.users],
    };
    this.groups.set(group.id, group);
    return group;
  }

  groupsOf(userId: string): FakeUserGroup[] {
    return [...this.groups.values()].filter((g) => g.users.includes(userId));
  }

  // ---- channels ----

  seedChannel(input: {
    id?: string;
    name: string;
    private?: boolean;
    archived?: boolean;
    general?: boolean;
    topic?: string;
    members?: readonly string[];
    creator?: string;
  }): ChannelRecord {
    const now = Math.floor(Date.now() / 1000);
    const c: ChannelRecord = {
      id: input.id ?? this.ids.next('C'),
      name: input.name,
      topic: input.topic ?? '',
      topicSetBy: '',
      topicSetAt: 0,
      purpose: '',
      private: input.private ?? false,
      archived: input.archived ?? false,
      general: input.general ?? false,
      members: new Set(input.members ?? []),
      created: now,
      creator: input.creator ?? 'U0ALICE',
      previousNames: [],
    };
    this.channels.set(c.id, c);
    this.messages.set(c.id, []);
    return c;
  }

  /** By id, or by name with or without `#` (chat.postMessage accepts both). */
  findChannel(idOrName: string): ChannelRecord | undefined {
    const byId = this.channels.get(idOrName);
    if (byId) return byId;
    const name = idOrName.replace(/^#/, '');
    return [...this.channels.values()].find((c) => c.name === name);
  }

  /** What the actor can see: public channels, and private ones they are in. */
  private visible(id: string | undefined, actor: string): ChannelRecord | undefined {
    const c = id === undefined ? undefined : this.findChannel(id);
    if (!c) return undefined;
    if (c.private && !c.members.has(actor)) return undefined;
    return c;
  }

  private nameTaken(name: string, except?: string): boolean {
    // Archived channels keep their names: Slack answers name_taken for them too.
    return [...this.channels.values()].some((c) => c.name === name && c.id !== except);
  }

  createChannel(actor: string, name: string | undefined, isPrivate: boolean): SlackResult<ChannelRecord> {
    const nameError = channelNameError(name);
    if (nameError) return fail(nameError);
    if (this.nameTaken(name!)) return fail('name_taken');
    return ok(this.seedChannel({ name: name!, private: isPrivate, members: [actor], creator: actor }));
  }

  renameChannel(
    actor: string,
    channelId: string | undefined,
    name: string | undefined,
  ): SlackResult<ChannelRecord> {
    const c = this.visible(channelId, actor);
    if (!c) return fail('channel_not_found');
    if (!c.members.has(actor)) return fail('not_in_channel');
    if (c.archived) return fail('is_archived');
    const nameError = channelNameError(name);
    if (nameError) return fail(nameError);
    if (name === c.name) return ok(c);
    if (this.nameTaken(name!, c.id)) return fail('name_taken');
    c.previousNames.unshift(c.name);
    c.name = name!;
    this.notice(
      c.id,
      actor,
      'channel_name',
      `renamed the channel from "${c.previousNames[0]}" to "${c.name}"`,
    );
    return ok(c);
  }

  archiveChannel(actor: string, channelId: string | undefined): SlackResult<ChannelRecord> {
    const c = this.visible(channelId, actor);
    if (!c) return fail('channel_not_found');
    if (c.general) return fail('cant_archive_general');
    if (c.archived) return fail('already_archived');
    if (!c.members.has(actor)) return fail('not_in_channel');
    this.notice(c.id, actor, 'channel_archive', 'archived the channel');
    c.archived = true;
    return ok(c);
  }

  /** Topics are capped at 250 characters (`too_long`). */
  setTopic(actor: string, channelId: string | undefined, topic: string): SlackResult<ChannelRecord> {
    const c = this.visible(channelId, actor);
    if (!c) return fail('channel_not_found');
    if (c.archived) return fail('is_archived');
    if (!c.members.has(actor)) return fail('not_in_channel');
    if (topic.length > 250) return fail('too_long');
    c.topic = topic;
    c.topicSetBy = actor;
    c.topicSetAt = Math.floor(Date.now() / 1000);
    this.notice(c.id, actor, 'channel_topic', `set the channel topic: ${topic}`);
    return ok(c);
  }

  /**
   * conversations.invite: all or nothing unless `force`. "Users who can be successfully invited …
   * will not be invited if any of the user invites fail" (docs.slack.dev conversations.invite).
   */
  invite(
    actor: string,
    channelId: string | undefined,
    userIds: readonly string[],
    force = false,
  ): SlackResult<{ channel: ChannelRecord; errors: { user: string; ok: boolean; error: string }[] }> {
    if (userIds.length === 0) return fail('no_user');
    const c = this.visible(channelId, actor);
    if (!c) return fail('channel_not_found');
    if (c.archived) return fail('is_archived');
    if (!c.members.has(actor)) return fail('not_in_channel');
    const errors: { user: string; ok: boolean; error: string }[] = [];
    const valid: string[] = [];
    for (const id of userIds) {
      const u = this.users.get(id);
      const error = !u
        ? 'user_not_found'
        : id === actor
          ? 'cant_invite_self'
          : u.deleted
            ? 'cant_invite'
            : c.members.has(id)
              ? 'already_in_channel'
              : undefined;
      if (error) errors.push({ user: id, ok: false, error });
      else valid.push(id);
    }
    if (errors.length > 0 && !force) return fail(errors[0]!.error, { errors });
    for (const id of valid) {
      c.members.add(id);
      this.notice(c.id, id, 'channel_join', `<@${id}> has joined the channel`);
    }
    return ok({ channel: c, errors: errors.map((e) => ({ ...e, ok: true })) });
  }

  join(actor: string, channelId: string | undefined): SlackResult<ChannelRecord> {
    const c = this.findChannel(channelId ?? '');
    if (!c || (c.private && !c.members.has(actor))) {
      return c?.private ? fail('method_not_supported_for_channel_type') : fail('channel_not_found');
    }
    if (c.archived) return fail('is_archived');
    if (c.members.has(actor)) return ok(c, 'already_in_channel');
    c.members.add(actor);
    this.notice(c.id, actor, 'channel_join', `<@${actor}> has joined the channel`);
    return ok(c);
  }

  info(actor: string, channelId: string | undefined): SlackResult<ChannelRecord> {
    const c = this.visible(channelId, actor);
    return c ? ok(c) : fail('channel_not_found');
  }

  // ---- messages ----

  addMessage(
    m: Omit<MessageRecord, 'reactions' | 'files' | 'edited' | 'deletedAt' | 'pinnedBy'> & {
      files?: string[];
    },
  ): MessageRecord {
    const full: MessageRecord = {
      ...m,
      files: m.files ?? [],
      reactions: new Map(),
      edited: undefined,
      deletedAt: undefined,
      pinnedBy: undefined,
    };
    this.messages.get(m.channel)?.push(full);
    return full;
  }

  /** Slack's own notices (`channel_join`, `channel_topic`, …), kept as the history would show them. */
  private notice(channel: string, user: string, subtype: string, text: string): void {
    this.addMessage({
      channel,
      ts: this.ids.ts(),
      text: subtype === 'channel_join' ? text : `<@${user}> ${text}`,
      blocks: undefined,
      attachments: undefined,
      user,
      botId: undefined,
      appId: undefined,
      subtype,
      threadTs: undefined,
      clientMsgId: undefined,
      metadata: undefined,
      origin: 'system',
    });
  }

  private contentError(input: {
    text?: string;
    blocks?: unknown;
    attachments?: unknown;
  }): SlackResult<never> | undefined {
    const hasBlocks = Array.isArray(input.blocks) && input.blocks.length > 0;
    const hasAttachments = Array.isArray(input.attachments) && input.attachments.length > 0;
    if (!input.text && !hasBlocks && !hasAttachments) return fail('no_text');
    if ((input.text ?? '').length > LIMITS.messageText) return fail('msg_too_long');
    if (input.blocks !== undefined) {
      const errors = blockErrors(input.blocks);
      if (errors.length > 0) return fail('invalid_blocks', { response_metadata: { messages: errors } });
    }
    return undefined;
  }

  /** chat.postMessage as the bot (or any actor holding a token). */
  postMessage(actor: string, input: PostInput, origin: MessageOrigin = 'api'): SlackResult<MessageRecord> {
    const c = this.findChannel(input.channel);
    if (!c) return fail('channel_not_found');
    // Public channels take posts from a bot that is not a member (chat:write.public); private ones do not.
    if (c.private && !c.members.has(actor)) return fail('not_in_channel');
    if (c.archived) return fail('is_archived');
    const bad = this.contentError(input);
    if (bad) return bad;
    const bot = this.users.get(actor)?.botId;
    const m = this.addMessage({
      channel: c.id,
      ts: this.ids.ts(),
      text: input.text ?? '',
      blocks: input.blocks as unknown[] | undefined,
      attachments: input.attachments as unknown[] | undefined,
      user: actor,
      botId: bot,
      appId: bot ? this.identity.appId : undefined,
      subtype: undefined,
      threadTs: input.threadTs,
      clientMsgId: undefined,
      metadata: input.metadata,
      origin,
    });
    return ok(m);
  }

  /** A person typing in the channel. Throws: a test that makes a non-member post has a bug. */
  humanPost(userId: string, channelId: string, text: string, threadTs?: string): MessageRecord {
    const c = this.mustChannel(channelId);
    if (!this.users.has(userId)) throw new Error(`fake slack: no user ${userId}`);
    if (c.archived) throw new Error(`fake slack: #${c.name} is archived; nobody can post there`);
    if (!c.members.has(userId)) {
      if (c.private) throw new Error(`fake slack: ${userId} is not in private channel #${c.name}`);
      c.members.add(userId);
    }
    if (threadTs !== undefined && !this.findMessage(c.id, threadTs)) {
      throw new Error(`fake slack: no thread parent ${threadTs} in #${c.name}`);
    }
    return this.addMessage({
      channel: c.id,
      ts: this.ids.ts(),
      text,
      blocks: [
        {
          type: 'rich_text',
          block_id: this.ids.ticket().slice(0, 5),
          elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }],
        },
      ],
      attachments: undefined,
      user: userId,
      botId: undefined,
      appId: undefined,
      subtype: undefined,
      threadTs,
      clientMsgId: randomUUID(),
      metadata: undefined,
      origin: 'human',
    });
  }

  mustChannel(idOrName: string): ChannelRecord {
    const c = this.findChannel(idOrName);
    if (!c) throw new Error(`fake slack: no channel ${idOrName}`);
    return c;
  }

  findMessage(channelId: string, ts: string | undefined): MessageRecord | undefined {
    if (ts === undefined) return undefined;
    return this.messages.get(channelId)?.find((m) => m.ts === ts && m.deletedAt === undefined);
  }

  /**
   * chat.update. Omitted `blocks` keep the message's blocks; `[]` removes them. Archived channels
   * answer `is_inactive` ("cannot be edited within a frozen, archived or deleted channel").
   */
  updateMessage(
    actor: string,
    input: { channel?: string; ts?: string; text?: string; blocks?: unknown; attachments?: unknown },
  ): SlackResult<MessageRecord> {
    const c = input.channel === undefined ? undefined : this.findChannel(input.channel);
    if (!c) return fail('channel_not_found');
    const m = this.findMessage(c.id, input.ts);
    if (!m) return fail('message_not_found');
    if (m.user !== actor) return fail('cant_update_message');
    if (c.archived) return fail('is_inactive');
    const next = {
      text: input.text,
      blocks: input.blocks ?? m.blocks,
      attachments: input.attachments ?? m.attachments,
    };
    const bad = this.contentError(next);
    if (bad) return bad;
    if (input.text !== undefined) m.text = input.text;
    if (input.blocks !== undefined) m.blocks = input.blocks as unknown[];
    if (input.attachments !== undefined) m.attachments = input.attachments as unknown[];
    m.edited = { user: actor, ts: this.ids.ts() };
    return ok(m);
  }

  deleteMessage(
    actor: string,
    channelId: string | undefined,
    ts: string | undefined,
  ): SlackResult<MessageRecord> {
    const c = channelId === undefined ? undefined : this.findChannel(channelId);
    if (!c) return fail('channel_not_found');
    const m = this.findMessage(c.id, ts);
    if (!m) return fail('message_not_found');
    if (m.user !== actor) return fail('cant_delete_message');
    m.deletedAt = this.ids.ts();
    return ok(m);
  }

  /** A person editing their own message (what message_changed reports). */
  humanEdit(
    userId: string,
    channelId: string,
    ts: string,
    text: string,
  ): { before: MessageRecord; after: MessageRecord } {
    const c = this.mustChannel(channelId);
    const m = this.findMessage(c.id, ts);
    if (!m) throw new Error(`fake slack: no message ${ts} in #${c.name}`);
    if (m.user !== userId) throw new Error(`fake slack: ${userId} cannot edit ${m.user}'s message`);
    const before: MessageRecord = { ...m, reactions: new Map(m.reactions), files: [...m.files] };
    m.text = text;
    m.blocks = [
      {
        type: 'rich_text',
        block_id: this.ids.ticket().slice(0, 5),
        elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }],
      },
    ];
    m.edited = { user: userId, ts: this.ids.ts() };
    return { before, after: m };
  }

  humanDelete(userId: string, channelId: string, ts: string): MessageRecord {
    const c = this.mustChannel(channelId);
    const m = this.findMessage(c.id, ts);
    if (!m) throw new Error(`fake slack: no message ${ts} in #${c.name}`);
    if (m.user !== userId) throw new Error(`fake slack: ${userId} cannot delete ${m.user}'s message`);
    m.deletedAt = this.ids.ts();
    return m;
  }

  postEphemeral(
    actor: string,
    input: PostInput & { user?: string },
    origin: EphemeralRecord['origin'] = 'api',
  ): SlackResult<EphemeralRecord> {
    const c = this.findChannel(input.channel);
    if (!c) return fail('channel_not_found');
    if (c.private && !c.members.has(actor)) return fail('not_in_channel');
    if (c.archived) return fail('is_archived');
    if (!input.user || !this.users.has(input.user)) return fail('user_not_found');
    if (!c.members.has(input.user)) return fail('user_not_in_channel');
    const bad = this.contentError(input);
    if (bad) return bad;
    const e: EphemeralRecord = {
      channel: c.id,
      user: input.user,
      ts: this.ids.ts(),
      text: input.text ?? '',
      blocks: input.blocks as unknown[] | undefined,
      threadTs: input.threadTs,
      origin,
    };
    this.ephemerals.push(e);
    return ok(e);
  }

  /** What Slack shows for an interaction's answer: not bound by membership, the person sees it. */
  recordEphemeral(e: Omit<EphemeralRecord, 'ts'>): EphemeralRecord {
    const full = { ...e, ts: this.ids.ts() };
    this.ephemerals.push(full);
    return full;
  }

  permalink(origin: string, channelId: string | undefined, ts: string | undefined): SlackResult<string> {
    const c = channelId === undefined ? undefined : this.findChannel(channelId);
    if (!c) return fail('channel_not_found');
    const m = this.findMessage(c.id, ts);
    if (!m) return fail('message_not_found');
    const base = `${origin}/archives/${c.id}/p${m.ts.replace('.', '')}`;
    return ok(m.threadTs && m.threadTs !== m.ts ? `${base}?thread_ts=${m.threadTs}&cid=${c.id}` : base);
  }

  // ---- reactions and pins ----

  react(
    actor: string,
    channelId: string | undefined,
    ts: string | undefined,
    name: string | undefined,
    add: boolean,
  ): SlackResult<MessageRecord> {
    if (!channelId || !ts) return fail('no_item_specified');
    const c = this.visible(channelId, actor);
    if (!c) return fail('channel_not_found');
    const m = this.findMessage(c.id, ts);
    if (!m) return fail('message_not_found');
    if (!name || !/^[a-z0-9_+'-]+(::skin-tone-\d)?$/.test(name)) return fail('invalid_name');
    if (c.archived) return fail('is_archived');
    const users = m.reactions.get(name) ?? [];
    if (add) {
      if (users.includes(actor)) return fail('already_reacted');
      m.reactions.set(name, [...users, actor]);
    } else {
      if (!users.includes(actor)) return fail('no_reaction');
      const rest = users.filter((u) => u !== actor);
      if (rest.length > 0) m.reactions.set(name, rest);
      else m.reactions.delete(name);
    }
    return ok(m);
  }

  pin(
    actor: string,
    channelId: string | undefined,
    ts: string | undefined,
    add: boolean,
  ): SlackResult<MessageRecord> {
    if (!channelId) return fail('channel_not_found');
    if (!ts) return fail('no_item_specified');
    const c = this.visible(channelId, actor);
    if (!c) return fail('channel_not_found');
    const m = this.findMessage(c.id, ts);
    if (!m) return fail('message_not_found');
    if (m.subtype === 'channel_join') return fail('not_pinnable');
    if (add) {
      if (m.pinnedBy) return fail('already_pinned');
      m.pinnedBy = actor;
    } else {
      if (!m.pinnedBy) return fail('no_pin');
      m.pinnedBy = undefined;
    }
    return ok(m);
  }

  /** Messages in ts order: what conversations.history would hold. */
  channelMessages(channelId: string): MessageRecord[] {
    // ts strings have fixed widths (10 + 6 digits), so string order is time order.
    return [...(this.messages.get(channelId) ?? [])].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  }
}
