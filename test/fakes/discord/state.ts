import type { FakeNotified } from './mentions.ts';

/**
 * The fake Discord's world: one server with people, roles and channels, messages, and the
 * interactions it sent. Payloads are built in Discord's own shapes (API v10), so the real
 * discord.js client parses them as it would Discord's.
 */

export const PERMISSIONS = {
  CreateInstantInvite: 1n << 0n,
  ManageChannels: 1n << 4n,
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  UseApplicationCommands: 1n << 31n,
  ManageRoles: 1n << 28n,
  Administrator: 1n << 3n,
} as const;

const P = PERMISSIONS;

export const EVERYONE_PERMISSIONS =
  P.CreateInstantInvite |
  P.AddReactions |
  P.ViewChannel |
  P.SendMessages |
  P.EmbedLinks |
  P.AttachFiles |
  P.ReadMessageHistory |
  P.UseApplicationCommands;

export const BOT_ROLE_PERMISSIONS =
  EVERYONE_PERMISSIONS | P.ManageChannels | P.ManageRoles | P.ManageMessages;

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  bot: boolean;
}

export interface FakeRole {
  id: string;
  name: string;
  permissions: bigint;
  position: number;
}

export interface FakeMember {
  userId: string;
  nick: string | null;
  roles: string[];
}

export interface Overwrite {
  id: string;
  /** 0 role, 1 member */
  type: 0 | 1;
  allow: bigint;
  deny: bigint;
}

export interface FakeChannel {
  id: string;
  /** 0 text, 1 DM, 4 category */
  type: number;
  name: string;
  topic: string | null;
  parent_id: string | null;
  position: number;
  overwrites: Overwrite[];
  /** Times of name/topic changes (Discord allows two per ten minutes). */
  edits: number[];
  recipients?: string[];
  /** The last message sent in it, kept when that message is deleted (as Discord does). */
  last_message_id: string | null;
}

export interface FakeAttachment {
  id: string;
  filename: string;
  bytes: Buffer;
  contentType: string | undefined;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  authorId: string;
  content: string;
  embeds: Record<string, any>[];
  components: Record<string, any>[];
  /** The files as they arrived: their bytes exactly, and the content type of their form part. */
  attachments: FakeAttachment[];
  timestamp: string;
  edited_timestamp: string | null;
  type: number;
  pinned: boolean;
  /** Ephemeral: shown to this one user only, never in the channel. */
  ephemeralTo?: string;
  message_reference?: { message_id: string; channel_id: string };
  deleted?: boolean;
  /**
   * What the sender passed as `nonce`. Discord echoes it in the create answer and the MESSAGE_CREATE
   * event only; a message fetched later has none.
   */
  nonce?: string | number;
  /** Whom it notified when it was created (mentions.ts); an edit notifies nobody. */
  notified: FakeNotified;
}

const DISCORD_EPOCH = 1_420_070_400_000;
let last = 0n;
/** Snowflakes: 18-19 digit strings, increasing, as Discord's are. */
export function snowflake(): string {
  const t = BigInt(Date.now() - DISCORD_EPOCH) << 22n;
  last = t > last ? t : last + 1n;
  return last.toString();
}

let earlier = 0n;
/** A snowflake of an earlier time (the creation time is in the id's top bits), for seeded state. */
export function snowflakeAt(ms: number): string {
  earlier = (earlier + 1n) & 0x3fffffn;
  return ((BigInt(ms - DISCORD_EPOCH) << 22n) | earlier).toString();
}

/** When the thing with this id was created (Discord: the id's top 42 bits, ms since 2015). */
export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

export class World {
  readonly guildId = snowflake();
  readonly guildName = 'Fleet Ops';
  /** The server's boost tier (GUILD_CREATE's `premium_tier`), which sets its upload limit. */
  premiumTier: 0 | 1 | 2 | 3 = 0;
  readonly applicationId: string;
  readonly users = new Map<string, FakeUser>();
  readonly members = new Map<string, FakeMember>();
  readonly roles = new Map<string, FakeRole>();
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, FakeMessage>();
  /** Registered application commands, guild-scoped, by name. */
  commands: Record<string, any>[] = [];
  botId: string;

  constructor(botPermissions: bigint) {
    this.botId = snowflake();
    this.applicationId = this.botId;
    this.roles.set(this.guildId, {
      id: this.guildId,
      name: '@everyone',
      permissions: EVERYONE_PERMISSIONS,
      position: 0,
    });
    const botRole = this.addRole('incident-bot', botPermissions);
    this.users.set(this.botId, { id: this.botId, username: 'incident-bot', global_name: null, bot: true });
    this.members.set(this.botId, { userId: this.botId, nick: null, roles: [botRole] });
  }

  addRole(name: string, permissions = 0n): string {
    const id = snowflake();
    this.roles.set(id, { id, name, permissions, position: this.roles.size });
    return id;
  }

  addUser(username: string, globalName: string, roleIds: string[]): string {
    const id = snowflake();
    this.users.set(id, { id, username, global_name: globalName, bot: false });
    this.members.set(id, { userId: id, nick: null, roles: roleIds });
    return id;
  }

  addChannel(
    name: string,
    type = 0,
    parentId: string | null = null,
    overwrites: Overwrite[] = [],
    id = snowflake(),
  ): FakeChannel {
    const c: FakeChannel = {
      id,
      type,
      name,
      topic: null,
      parent_id: parentId,
      position: this.channels.size,
      overwrites,
      edits: [],
      last_message_id: null,
    };
    this.channels.set(c.id, c);
    return c;
  }

  guildChannels(): FakeChannel[] {
    return [...this.channels.values()].filter((c) => c.type !== 1);
  }

  /** Discord's permission algorithm: base from roles, then @everyone, role and member overwrites. */
  permissions(userId: string, channelId?: string): bigint {
    const member = this.members.get(userId);
    if (!member) return 0n;
    let base = this.roles.get(this.guildId)!.permissions;
    for (const r of member.roles) base |= this.roles.get(r)?.permissions ?? 0n;
    if (base & P.Administrator) return ~0n;
    const channel = channelId ? this.channels.get(channelId) : undefined;
    if (!channel) return base;
    let perms = base;
    const everyone = channel.overwrites.find((o) => o.id === this.guildId);
    if (everyone) perms = (perms & ~everyone.deny) | everyone.allow;
    let allow = 0n;
    let deny = 0n;
    for (const o of channel.overwrites) {
      if (o.type === 0 && member.roles.includes(o.id)) {
        allow |= o.allow;
        deny |= o.deny;
      }
    }
    perms = (perms & ~deny) | allow;
    const own = channel.overwrites.find((o) => o.type === 1 && o.id === userId);
    if (own) perms = (perms & ~own.deny) | own.allow;
    return perms;
  }

  can(userId: string, channelId: string, permission: bigint): boolean {
    return (this.permissions(userId, channelId) & permission) === permission;
  }

  userJson(id: string): Record<string, any> {
    const u = this.users.get(id)!;
    return {
      id: u.id,
      username: u.username,
      global_name: u.global_name,
      discriminator: '0',
      avatar: null,
      bot: u.bot,
      public_flags: 0,
    };
  }

  memberJson(id: string, withUser = true): Record<string, any> {
    const m = this.members.get(id)!;
    return {
      ...(withUser ? { user: this.userJson(id) } : {}),
      nick: m.nick,
      roles: m.roles,
      joined_at: '2024-01-01T00:00:00.000Z',
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      avatar: null,
      communication_disabled_until: null,
    };
  }

  roleJson(r: FakeRole): Record<string, any> {
    return {
      id: r.id,
      name: r.name,
      color: 0,
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position: r.position,
      permissions: r.permissions.toString(),
      managed: false,
      mentionable: true,
      flags: 0,
    };
  }

  channelJson(c: FakeChannel): Record<string, any> {
    if (c.type === 1) {
      return {
        id: c.id,
        type: 1,
        last_message_id: c.last_message_id,
        recipients: (c.recipients ?? []).map((u) => this.userJson(u)),
      };
    }
    return {
      id: c.id,
      type: c.type,
      guild_id: this.guildId,
      name: c.name,
      position: c.position,
      parent_id: c.parent_id,
      permission_overwrites: c.overwrites.map((o) => ({
        id: o.id,
        type: o.type,
        allow: o.allow.toString(),
        deny: o.deny.toString(),
      })),
      ...(c.type === 0
        ? { topic: c.topic, nsfw: false, rate_limit_per_user: 0, last_message_id: c.last_message_id }
        : {}),
      flags: 0,
    };
  }

  /** `withNonce`: the create answer and MESSAGE_CREATE carry the sender's nonce; reads do not. */
  messageJson(m: FakeMessage, withNonce = false): Record<string, any> {
    return {
      ...(withNonce && m.nonce !== undefined ? { nonce: m.nonce } : {}),
      id: m.id,
      channel_id: m.channel_id,
      guild_id: this.channels.get(m.channel_id)?.type === 1 ? undefined : this.guildId,
      author: this.userJson(m.authorId),
      content: m.content,
      timestamp: m.timestamp,
      edited_timestamp: m.edited_timestamp,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: m.attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        size: a.bytes.length,
        ...(a.contentType ? { content_type: a.contentType } : {}),
        url: `https://cdn.example/${a.id}/${a.filename}`,
        proxy_url: `https://cdn.example/${a.id}/${a.filename}`,
      })),
      embeds: m.embeds,
      components: m.components,
      pinned: m.pinned,
      type: m.type,
      flags: m.ephemeralTo ? 64 : 0,
      ...(m.message_reference
        ? { message_reference: { ...m.message_reference, guild_id: this.guildId } }
        : {}),
    };
  }

  guildCreateJson(): Record<string, any> {
    return {
      id: this.guildId,
      name: this.guildName,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: [...this.users.values()].find((u) => !u.bot)?.id ?? this.botId,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [...this.roles.values()].map((r) => this.roleJson(r)),
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: this.premiumTier,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      joined_at: '2024-01-01T00:00:00.000Z',
      large: false,
      unavailable: false,
      member_count: this.members.size,
      voice_states: [],
      // Without the privileged GuildMembers intent, Discord sends only the bot's own member.
      members: [this.memberJson(this.botId)],
      channels: this.guildChannels().map((c) => this.channelJson(c)),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }
}
