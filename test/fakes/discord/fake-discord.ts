import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { discordUploadLimit } from '../../../src/chat/upload-limits.ts';
import { type DiscordFault, DiscordFaultQueue } from './faults.ts';
import { FakeGateway } from './gateway.ts';
import { allowedMentionsProblem, NOBODY, notifiedBy } from './mentions.ts';
import {
  BOT_ROLE_PERMISSIONS,
  type FakeAttachment,
  type FakeChannel,
  type FakeMessage,
  type Overwrite,
  PERMISSIONS,
  snowflake,
  snowflakeAt,
  snowflakeTime,
  World,
} from './state.ts';
import { channelNameProblem, messageProblem, nonceProblem } from './validate.ts';

export interface FakeDiscordOptions {
  /** Gateway close 4014 on IDENTIFY with the Message Content intent. */
  readonly disallowMessageContent?: boolean;
  /** The bot role's permissions (default: what the invite URL asks for). */
  readonly botPermissions?: bigint;
  /** Milliseconds Discord gives an interaction for its first answer (3 s). */
  readonly interactionDeadlineMs?: number;
  /** Name/topic changes allowed per channel per window (Discord: 2 per 10 minutes). */
  readonly channelEdits?: { max: number; windowMs: number };
  /**
   * How long an enforced nonce is remembered (default 2 minutes). Discord says only "the past few
   * minutes"; the fake takes the short end, so nothing passes here that could fail there.
   */
  readonly nonceWindowMs?: number;
  /** The server's boost tier (default 0), which the bot reads its upload limit from. */
  readonly premiumTier?: 0 | 1 | 2 | 3;
  /**
   * The largest file the fake takes, per file (Discord: "The file upload size limit applies to
   * each file in a request"); above it 413 with code 40005. Default: Discord's for the tier
   * (src/chat/upload-limits.ts). Set lower than the tier's to see the fake refuse what the bot sends.
   */
  readonly maxUploadBytes?: number;
}

/** A file of a multipart request, as it came. */
interface UploadedFile {
  readonly name: string;
  readonly bytes: Buffer;
  readonly contentType: string | undefined;
}

/** A channel put in place before the test, as people (or an earlier run of the bot) left it. */
export interface SeedChannel {
  /** The category it sits in, by name (created when missing); none: at the top. */
  readonly category?: string;
  /** When it was created (its id carries the time); default now. */
  readonly createdAt?: number;
  readonly topic?: string;
  readonly overwrites?: readonly Overwrite[];
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  /** HTTP status answered (0 when the connection was dropped). */
  readonly status: number;
  readonly at: number;
  readonly body: unknown;
  /** The injected fault that answered it, if any. */
  readonly fault?: DiscordFault;
}

export interface FakeInteraction {
  readonly id: string;
  readonly token: string;
  readonly userId: string;
  readonly channelId: string;
  readonly payload: Record<string, any>;
  readonly sentAt: number;
  callback?: { type: number; at: number; ephemeral: boolean };
  /** The original response (or the deferral's "thinking" message) and any follow-ups. */
  originalId?: string;
  followUps: string[];
}

export interface Answer {
  readonly text: string;
  readonly ephemeral: boolean;
  readonly message: FakeMessage;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Handler = (m: RegExpExecArray, req: Parsed) => Promise<unknown> | unknown;
interface Parsed {
  readonly method: string;
  readonly url: URL;
  readonly body: Record<string, any>;
  readonly files: UploadedFile[];
  readonly authed: boolean;
}

/** Text a person would read in a message: its content, then its embeds. */
export function messageText(m: Pick<FakeMessage, 'content' | 'embeds'>): string {
  const parts = [m.content];
  for (const e of m.embeds) {
    parts.push(e.title ?? '', e.description ?? '');
    for (const f of e.fields ?? []) parts.push(`${f.name}: ${f.value}`);
    parts.push(e.footer?.text ?? '');
  }
  return parts.filter(Boolean).join('\n');
}

export function buttonsOf(
  m: Pick<FakeMessage, 'components'>,
): { customId: string; label: string; style: number }[] {
  return m.components.flatMap((row) =>
    (row.components ?? []).map((b: any) => ({ customId: b.custom_id, label: b.label, style: b.style })),
  );
}

/**
 * A wire-level fake of Discord: the REST API subset discord.js calls (under /api/v10) and the
 * gateway WebSocket (at /gateway, handed out by GET /gateway/bot). Point the bot at it with
 * DISCORD_API_URL=<url>/api. It keeps Discord's rules the bot relies on: auth, permissions (a
 * private channel is invisible without an overwrite), message limits, one answer per interaction
 * within 3 seconds, two name/topic edits per channel per ten minutes.
 */
export class FakeDiscord {
  readonly token =
    `${Buffer.from(snowflake()).toString('base64url')}.${randomBytes(4).toString('base64url')}.${randomBytes(20).toString('base64url')}`;
  readonly world: World;
  readonly calls: RecordedCall[] = [];
  readonly interactions = new Map<string, FakeInteraction>();
  readonly users: Record<'alice' | 'bob' | 'carol', string>;
  readonly roles: Record<'sre' | 'ml', string>;
  readonly channels: Record<'general' | 'incidents', string>;
  private readonly faults = new DiscordFaultQueue();
  private server!: Server;
  gateway!: FakeGateway;
  url = '';

  constructor(readonly options: FakeDiscordOptions = {}) {
    this.world = new World(options.botPermissions ?? BOT_ROLE_PERMISSIONS);
    this.world.premiumTier = options.premiumTier ?? 0;
    const sre = this.world.addRole('SRE');
    const ml = this.world.addRole('ML Platform');
    this.roles = { sre, ml };
    this.users = {
      alice: this.world.addUser('alice', 'Alice', [sre]),
      bob: this.world.addUser('bob', 'Bob', [sre]),
      carol: this.world.addUser('carol', 'Carol', [ml]),
    };
    this.channels = {
      general: this.world.addChannel('general').id,
      incidents: this.world.addChannel('incidents').id,
    };
  }

  /** The largest file the fake takes (see FakeDiscordOptions.maxUploadBytes). */
  get maxUploadBytes(): number {
    return this.options.maxUploadBytes ?? discordUploadLimit(this.world.premiumTier);
  }

  /** REST base for DISCORD_API_URL (discord.js appends /v10). */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  get applicationId(): string {
    return this.world.applicationId;
  }

  get guildId(): string {
    return this.world.guildId;
  }

  get botId(): string {
    return this.world.botId;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.gateway = new FakeGateway(this.server, {
      token: this.token,
      disallowMessageContent: this.options.disallowMessageContent ?? false,
      ready: (sessionId) => ({
        v: 10,
        user: { ...this.world.userJson(this.botId), verified: true, mfa_enabled: false, flags: 0 },
        guilds: [{ id: this.guildId, unavailable: true }],
        session_id: sessionId,
        resume_gateway_url: `${this.url.replace(/^http/, 'ws')}/gateway`,
        shard: [0, 1],
        application: { id: this.applicationId, flags: 0 },
      }),
      guildCreate: () => this.world.guildCreateJson(),
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- faults and seeded state

  /**
   * The next `times` requests matching `method` and `path` (a pattern over the path after
   * /api/v10, e.g. /^\/guilds\/\d+\/channels$/) answer with `fault` instead; see faults.ts.
   */
  failNext(method: string, path: RegExp, fault: DiscordFault, { times = 1 }: { times?: number } = {}): void {
    this.faults.add(method, path, fault, times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Injected faults not used yet. */
  get pendingFaults(): number {
    return this.faults.pending;
  }

  /** A text channel that exists before the test (an earlier one, or one people made). */
  seedChannel(name: string, seed: SeedChannel = {}): FakeChannel {
    let parentId: string | null = null;
    if (seed.category) {
      const category = this.category(seed.category) ?? this.world.addChannel(seed.category, 4);
      parentId = category.id;
    }
    const id = seed.createdAt === undefined ? snowflake() : snowflakeAt(seed.createdAt);
    const c = this.world.addChannel(name, 0, parentId, [...(seed.overwrites ?? [])], id);
    if (seed.topic !== undefined) c.topic = seed.topic;
    this.gateway?.dispatch('CHANNEL_CREATE', this.world.channelJson(c));
    return c;
  }

  /** Text channels called `name`, in the order they were made. */
  channelsNamed(name: string): FakeChannel[] {
    return this.world.guildChannels().filter((c) => c.type === 0 && c.name === name);
  }

  // ---------------------------------------------------------------- reading state

  channel(idOrName: string): FakeChannel | undefined {
    return (
      this.world.channels.get(idOrName) ??
      this.world.guildChannels().find((c) => c.name === idOrName && c.type === 0)
    );
  }

  category(name: string): FakeChannel | undefined {
    return this.world.guildChannels().find((c) => c.type === 4 && c.name === name);
  }

  /** The channel's messages everyone sees, oldest first. */
  messages(channelId: string): FakeMessage[] {
    return [...this.world.messages.values()].filter(
      (m) => m.channel_id === channelId && !m.deleted && !m.ephemeralTo,
    );
  }

  message(channelId: string, messageId: string): FakeMessage | undefined {
    const m = this.world.messages.get(messageId);
    return m && m.channel_id === channelId && !m.deleted ? m : undefined;
  }

  /** Who can see a channel: people with View Channel there, by Discord's permission rules. */
  viewers(channelId: string): string[] {
    return [...this.world.members.keys()].filter((u) =>
      this.world.can(u, channelId, PERMISSIONS.ViewChannel),
    );
  }

  /** Archived the bot's way: in an archive category, and @everyone may not send there. */
  isArchived(channelId: string): boolean {
    const c = this.world.channels.get(channelId);
    const parent = c?.parent_id ? this.world.channels.get(c.parent_id) : undefined;
    const everyone = c?.overwrites.find((o) => o.id === this.guildId);
    return Boolean(
      parent?.name.toLowerCase().includes('archive') && everyone && everyone.deny & PERMISSIONS.SendMessages,
    );
  }

  callsTo(method: string, pattern: RegExp): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && pattern.test(c.path));
  }

  // ---------------------------------------------------------------- people acting

  as(userId: string) {
    return {
      command: (channelId: string, command: string, sub: string, options: Record<string, unknown> = {}) =>
        this.command(userId, channelId, command, sub, options),
      click: (channelId: string, messageId: string, labelOrId: string) =>
        this.click(userId, channelId, messageId, labelOrId),
      post: (channelId: string, content: string) => this.post(userId, channelId, content),
      edit: (channelId: string, messageId: string, content: string) =>
        this.edit(userId, channelId, messageId, content),
      delete: (channelId: string, messageId: string) => this.deleteByUser(channelId, messageId),
      react: (channelId: string, messageId: string, emoji: string) =>
        this.react(userId, channelId, messageId, emoji),
      pin: (channelId: string, messageId: string) => this.pin(userId, channelId, messageId),
    };
  }

  /** A slash command as Discord sends it: the options typed by the registered command. */
  command(
    userId: string,
    channelId: string,
    command: string,
    sub: string,
    options: Record<string, unknown>,
  ): FakeInteraction {
    const registered = this.world.commands.find((c) => c.name === command);
    if (!registered) throw new Error(`/${command} is not registered with the fake Discord`);
    const subDef = (registered.options ?? []).find((o: any) => o.type === 1 && o.name === sub);
    if (!subDef) throw new Error(`/${command} ${sub} is not registered`);
    const typed = Object.entries(options).map(([name, value]) => {
      const def = (subDef.options ?? []).find((o: any) => o.name === name);
      if (!def) throw new Error(`/${command} ${sub} has no option ${name}`);
      const ok =
        (def.type === 3 && typeof value === 'string') ||
        (def.type === 4 && Number.isInteger(value)) ||
        (def.type === 5 && typeof value === 'boolean');
      if (!ok)
        throw new Error(`/${command} ${sub} ${name}: ${JSON.stringify(value)} is not of type ${def.type}`);
      if (def.choices && !def.choices.some((c: any) => c.value === value))
        throw new Error(`/${command} ${sub} ${name}: ${String(value)} is not a choice`);
      return { name, type: def.type, value };
    });
    for (const def of subDef.options ?? []) {
      if (def.required && !(def.name in options))
        throw new Error(`/${command} ${sub}: ${def.name} is required`);
    }
    return this.interact(userId, channelId, {
      type: 2,
      data: {
        id: registered.id,
        name: command,
        type: 1,
        guild_id: this.guildId,
        options: [{ type: 1, name: sub, options: typed }],
      },
    });
  }

  /** A click on a button of a message the user can see, by its label or custom id. */
  click(userId: string, channelId: string, messageId: string, labelOrId: string): FakeInteraction {
    const m = this.world.messages.get(messageId);
    if (!m || m.deleted || m.channel_id !== channelId)
      throw new Error(`no message ${messageId} in ${channelId}`);
    if (m.ephemeralTo && m.ephemeralTo !== userId)
      throw new Error('that ephemeral message is not shown to this user');
    const button = buttonsOf(m).find((b) => b.label === labelOrId || b.customId === labelOrId);
    if (!button)
      throw new Error(`no button ${labelOrId} on message ${messageId}: ${JSON.stringify(buttonsOf(m))}`);
    return this.interact(userId, channelId, {
      type: 3,
      data: { custom_id: button.customId, component_type: 2 },
      message: this.world.messageJson(m),
    });
  }

  private interact(userId: string, channelId: string, extra: Record<string, unknown>): FakeInteraction {
    const channel = this.world.channels.get(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb246${randomBytes(24).toString('base64url')}`;
    const payload = {
      id,
      application_id: this.applicationId,
      token,
      version: 1,
      guild_id: this.guildId,
      guild: { id: this.guildId, locale: 'en-US', features: [] },
      channel_id: channelId,
      channel: this.world.channelJson(channel),
      member: {
        ...this.world.memberJson(userId),
        permissions: this.world.permissions(userId, channelId).toString(),
      },
      app_permissions: this.world.permissions(this.botId, channelId).toString(),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.guildId },
      context: 0,
      attachment_size_limit: this.maxUploadBytes,
      ...extra,
    };
    const interaction: FakeInteraction = {
      id,
      token,
      userId,
      channelId,
      payload,
      sentAt: Date.now(),
      followUps: [],
    };
    this.interactions.set(id, interaction);
    this.gateway.dispatch('INTERACTION_CREATE', payload);
    return interaction;
  }

  /** Discord delivering the same interaction again (same id and token). */
  redeliver(interaction: FakeInteraction): void {
    this.gateway.dispatch('INTERACTION_CREATE', interaction.payload);
  }

  /** The answer to one interaction once it is there: the original response or a follow-up. */
  answer(interaction: FakeInteraction): Answer | undefined {
    const ids = [...(interaction.originalId ? [interaction.originalId] : []), ...interaction.followUps];
    for (const id of ids) {
      const m = this.world.messages.get(id);
      if (!m || m.deleted) continue;
      const text = messageText(m);
      if (!text && m.components.length === 0) continue; // still "thinking…"
      return { text, ephemeral: Boolean(m.ephemeralTo), message: m };
    }
    return undefined;
  }

  post(userId: string, channelId: string, content: string): FakeMessage {
    const m = this.createMessage(channelId, userId, { content });
    this.gateway.dispatch('MESSAGE_CREATE', {
      ...this.world.messageJson(m),
      member: this.world.memberJson(userId, false),
    });
    return m;
  }

  edit(userId: string, channelId: string, messageId: string, content: string): void {
    const m = this.world.messages.get(messageId);
    if (!m || m.channel_id !== channelId || m.authorId !== userId)
      throw new Error('only the author edits a message');
    m.content = content;
    m.edited_timestamp = new Date().toISOString();
    this.gateway.dispatch('MESSAGE_UPDATE', {
      ...this.world.messageJson(m),
      member: this.world.memberJson(userId, false),
    });
  }

  deleteByUser(channelId: string, messageId: string): void {
    const m = this.world.messages.get(messageId);
    if (!m) throw new Error(`no message ${messageId}`);
    m.deleted = true;
    this.gateway.dispatch('MESSAGE_DELETE', { id: messageId, channel_id: channelId, guild_id: this.guildId });
  }

  react(userId: string, channelId: string, messageId: string, emoji: string): void {
    this.gateway.dispatch('MESSAGE_REACTION_ADD', {
      user_id: userId,
      channel_id: channelId,
      message_id: messageId,
      guild_id: this.guildId,
      member: this.world.memberJson(userId),
      emoji: { id: null, name: emoji },
      burst: false,
      type: 0,
    });
  }

  /** A pin as Discord shows it: the system message "X pinned a message", then CHANNEL_PINS_UPDATE. */
  pin(userId: string, channelId: string, messageId: string): void {
    const m = this.world.messages.get(messageId);
    if (!m) throw new Error(`no message ${messageId}`);
    m.pinned = true;
    this.pinnedAt.set(messageId, new Date().toISOString());
    const notice = this.createMessage(channelId, userId, { content: '' }, 6);
    notice.message_reference = { message_id: messageId, channel_id: channelId };
    this.gateway.dispatch('MESSAGE_CREATE', {
      ...this.world.messageJson(notice),
      member: this.world.memberJson(userId, false),
    });
    this.gateway.dispatch('CHANNEL_PINS_UPDATE', {
      guild_id: this.guildId,
      channel_id: channelId,
      last_pin_timestamp: this.pinnedAt.get(messageId),
    });
  }

  private readonly pinnedAt = new Map<string, string>();

  waitForConnection(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.gateway.connected() > 0) resolve();
        else if (Date.now() > deadline) reject(new Error('the bot never identified on the fake gateway'));
        else setTimeout(check, 20);
      };
      check();
    });
  }

  // ---------------------------------------------------------------- REST

  private createMessage(
    channelId: string,
    authorId: string,
    body: Record<string, any>,
    type = 0,
    files: UploadedFile[] = [],
    ephemeralTo?: string,
    nonce?: string | number,
  ): FakeMessage {
    const m: FakeMessage = {
      id: snowflake(),
      channel_id: channelId,
      authorId,
      content: body.content ?? '',
      embeds: body.embeds ?? [],
      components: body.components ?? [],
      attachments: files.map(
        (f): FakeAttachment => ({
          id: snowflake(),
          filename: f.name,
          bytes: f.bytes,
          contentType: f.contentType,
        }),
      ),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      type,
      pinned: false,
      // Ephemeral messages notify nobody; others whom their content and allowed_mentions say.
      notified: ephemeralTo ? NOBODY : notifiedBy(this.world, body, { id: authorId, channelId }),
      ...(ephemeralTo ? { ephemeralTo } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
    };
    this.world.messages.set(m.id, m);
    const channel = this.world.channels.get(channelId);
    if (channel && !ephemeralTo) channel.last_message_id = m.id;
    return m;
  }

  /**
   * Create Message with `enforce_nonce`: "If true and nonce is present, it will be checked for
   * uniqueness in the past few minutes. If another message was created by the same author with
   * the same nonce, that message will be returned and no new message will be created." The fake
   * looks in the same channel (the docs name only the author). A message that was deleted since
   * is not made again: Discord answers Unknown Message (its developer, discord-api-docs#6647).
   */
  private enforcedNonce(channelId: string, body: Record<string, any>): FakeMessage | undefined {
    if (body.enforce_nonce !== true || body.nonce === undefined || body.nonce === null) return undefined;
    const since = Date.now() - (this.options.nonceWindowMs ?? 120_000);
    const nonce = String(body.nonce);
    const earlier = [...this.world.messages.values()].find(
      (m) =>
        m.channel_id === channelId &&
        m.authorId === this.botId &&
        m.nonce !== undefined &&
        String(m.nonce) === nonce &&
        snowflakeTime(m.id) >= since,
    );
    if (earlier?.deleted) throw new HttpError(404, 10008, 'Unknown Message');
    return earlier;
  }

  private patchMessage(m: FakeMessage, body: Record<string, any>, files: UploadedFile[] = []) {
    const next = {
      content: 'content' in body ? (body.content ?? '') : m.content,
      embeds: 'embeds' in body ? (body.embeds ?? []) : m.embeds,
      components: 'components' in body ? (body.components ?? []) : m.components,
    };
    const problem = messageProblem(next, files.length + m.attachments.length) ?? allowedMentionsProblem(body);
    if (problem) throw new HttpError(400, 50035, 'Invalid Form Body', { errors: problem });
    Object.assign(m, next);
    m.edited_timestamp = new Date().toISOString();
  }

  private visibleChannel(channelId: string, need: bigint = PERMISSIONS.ViewChannel): FakeChannel {
    const c = this.world.channels.get(channelId);
    if (!c) throw new HttpError(404, 10003, 'Unknown Channel');
    if (c.type === 1) return c;
    if (!this.world.can(this.botId, channelId, PERMISSIONS.ViewChannel))
      throw new HttpError(403, 50001, 'Missing Access');
    if (!this.world.can(this.botId, channelId, need)) throw new HttpError(403, 50013, 'Missing Permissions');
    return c;
  }

  private requireGuildPermission(permission: bigint): void {
    if ((this.world.permissions(this.botId) & permission) !== permission)
      throw new HttpError(403, 50013, 'Missing Permissions');
  }

  private guild(id: string): void {
    if (id !== this.guildId) throw new HttpError(404, 10004, 'Unknown Guild');
  }

  private interaction(token: string): FakeInteraction {
    const i = [...this.interactions.values()].find((x) => x.token === token);
    if (!i) throw new HttpError(404, 10015, 'Unknown Webhook');
    return i;
  }

  private readonly routes: [string, RegExp, Handler][] = [
    [
      'GET',
      /^\/gateway\/bot$/,
      () => ({
        url: `${this.url.replace(/^http/, 'ws')}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      }),
    ],
    ['GET', /^\/users\/@me$/, () => this.world.userJson(this.botId)],
    [
      'GET',
      /^\/applications\/@me$/,
      () => ({
        id: this.applicationId,
        name: 'incident-bot',
        bot: this.world.userJson(this.botId),
        flags: 0,
      }),
    ],
    [
      'POST',
      /^\/users\/@me\/channels$/,
      (_m, req) => {
        const to = String(req.body.recipient_id);
        if (!this.world.users.has(to)) throw new HttpError(400, 50035, 'Invalid Form Body');
        const existing = [...this.world.channels.values()].find(
          (c) => c.type === 1 && c.recipients?.includes(to),
        );
        const dm = existing ?? this.world.addChannel('', 1);
        dm.recipients = [to];
        return this.world.channelJson(dm);
      },
    ],
    [
      'PUT',
      /^\/applications\/(\d+)\/(?:guilds\/(\d+)\/)?commands$/,
      (m, req) => {
        if (m[1] !== this.applicationId) throw new HttpError(403, 50035, 'Invalid application');
        if (m[2]) this.guild(m[2]);
        const list = req.body as unknown as Record<string, any>[];
        if (!Array.isArray(list)) throw new HttpError(400, 50035, 'Invalid Form Body');
        this.world.commands = list.map((c) => ({
          ...c,
          id: snowflake(),
          application_id: this.applicationId,
          version: snowflake(),
        }));
        return this.world.commands;
      },
    ],
    ['GET', /^\/applications\/(\d+)\/(?:guilds\/(\d+)\/)?commands$/, () => this.world.commands],
    [
      'GET',
      /^\/guilds\/(\d+)\/channels$/,
      (m) => {
        this.guild(m[1]!);
        return this.world.guildChannels().map((c) => this.world.channelJson(c));
      },
    ],
    ['POST', /^\/guilds\/(\d+)\/channels$/, (m, req) => this.createChannel(m[1]!, req.body)],
    ['GET', /^\/channels\/(\d+)$/, (m) => this.world.channelJson(this.visibleChannel(m[1]!))],
    ['PATCH', /^\/channels\/(\d+)$/, (m, req) => this.editChannel(m[1]!, req.body)],
    [
      'PUT',
      /^\/channels\/(\d+)\/permissions\/(\d+)$/,
      (m, req) => {
        const c = this.visibleChannel(m[1]!, PERMISSIONS.ManageRoles);
        this.requireGuildPermission(PERMISSIONS.ManageRoles);
        const o: Overwrite = {
          id: m[2]!,
          type: Number(req.body.type) === 1 ? 1 : 0,
          allow: BigInt(req.body.allow ?? 0),
          deny: BigInt(req.body.deny ?? 0),
        };
        c.overwrites = [...c.overwrites.filter((x) => x.id !== o.id), o];
        this.gateway.dispatch('CHANNEL_UPDATE', this.world.channelJson(c));
        return undefined;
      },
    ],
    [
      'POST',
      /^\/channels\/(\d+)\/messages$/,
      (m, req) => {
        const c = this.visibleChannel(m[1]!, PERMISSIONS.SendMessages);
        const nonce = nonceProblem(req.body);
        if (nonce) throw new HttpError(400, 50035, 'Invalid Form Body', { errors: nonce });
        const problem = messageProblem(req.body, req.files.length) ?? allowedMentionsProblem(req.body);
        if (problem) throw new HttpError(400, 50035, 'Invalid Form Body', { errors: problem });
        if (req.files.length && !this.world.can(this.botId, c.id, PERMISSIONS.AttachFiles))
          throw new HttpError(403, 50013, 'Missing Permissions');
        const earlier = this.enforcedNonce(c.id, req.body);
        if (earlier) return this.world.messageJson(earlier, true);
        const msg = this.createMessage(c.id, this.botId, req.body, 0, req.files, undefined, req.body.nonce);
        this.gateway.dispatch('MESSAGE_CREATE', this.world.messageJson(msg, true));
        return this.world.messageJson(msg, true);
      },
    ],
    [
      'GET',
      /^\/channels\/(\d+)\/messages\/pins$/,
      (m) => {
        this.visibleChannel(m[1]!, PERMISSIONS.ReadMessageHistory);
        const items = this.messages(m[1]!)
          .filter((x) => x.pinned)
          .map((x) => ({
            pinned_at: this.pinnedAt.get(x.id) ?? x.timestamp,
            message: this.world.messageJson(x),
          }));
        return { items, has_more: false };
      },
    ],
    [
      'GET',
      /^\/channels\/(\d+)\/messages\/(\d+)$/,
      (m) => {
        this.visibleChannel(m[1]!, PERMISSIONS.ReadMessageHistory);
        const msg = this.message(m[1]!, m[2]!);
        if (!msg) throw new HttpError(404, 10008, 'Unknown Message');
        return this.world.messageJson(msg);
      },
    ],
    [
      'PATCH',
      /^\/channels\/(\d+)\/messages\/(\d+)$/,
      (m, req) => {
        this.visibleChannel(m[1]!);
        const msg = this.message(m[1]!, m[2]!);
        if (!msg) throw new HttpError(404, 10008, 'Unknown Message');
        if (msg.authorId !== this.botId)
          throw new HttpError(403, 50005, 'Cannot edit a message authored by another user');
        this.patchMessage(msg, req.body, req.files);
        this.gateway.dispatch('MESSAGE_UPDATE', this.world.messageJson(msg));
        return this.world.messageJson(msg);
      },
    ],
    [
      'GET',
      /^\/guilds\/(\d+)\/members\/search$/,
      (m, req) => {
        this.guild(m[1]!);
        const q = (req.url.searchParams.get('query') ?? '').toLowerCase();
        const limit = Number(req.url.searchParams.get('limit') ?? 1);
        return [...this.world.members.values()]
          .filter((mem) => {
            const u = this.world.users.get(mem.userId)!;
            return [u.username, u.global_name ?? '', mem.nick ?? ''].some((n) =>
              n.toLowerCase().startsWith(q),
            );
          })
          .slice(0, limit)
          .map((mem) => this.world.memberJson(mem.userId));
      },
    ],
    [
      'GET',
      /^\/guilds\/(\d+)\/members\/(\d+)$/,
      (m) => {
        this.guild(m[1]!);
        if (!this.world.members.has(m[2]!)) throw new HttpError(404, 10007, 'Unknown Member');
        return this.world.memberJson(m[2]!);
      },
    ],
    [
      'GET',
      /^\/guilds\/(\d+)\/roles$/,
      (m) => {
        this.guild(m[1]!);
        return [...this.world.roles.values()].map((r) => this.world.roleJson(r));
      },
    ],
    ['POST', /^\/interactions\/(\d+)\/([^/]+)\/callback$/, (m, req) => this.callback(m[1]!, m[2]!, req)],
    [
      'POST',
      /^\/webhooks\/(\d+)\/([^/]+)$/,
      (_m, req) => {
        const i = this.interaction(_m[2]!);
        if (!i.callback) throw new HttpError(404, 10015, 'Unknown Webhook');
        const problem = messageProblem(req.body, req.files.length) ?? allowedMentionsProblem(req.body);
        if (problem) throw new HttpError(400, 50035, 'Invalid Form Body', { errors: problem });
        const ephemeral = (Number(req.body.flags ?? 0) & 64) !== 0;
        const msg = this.createMessage(
          i.channelId,
          this.botId,
          req.body,
          0,
          req.files,
          ephemeral ? i.userId : undefined,
        );
        i.followUps.push(msg.id);
        if (!ephemeral) this.gateway.dispatch('MESSAGE_CREATE', this.world.messageJson(msg));
        return this.world.messageJson(msg);
      },
    ],
    [
      'PATCH',
      /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      (m, req) => {
        const i = this.interaction(m[2]!);
        const id = m[3] === '@original' ? i.originalId : m[3];
        const msg = id ? this.world.messages.get(id) : undefined;
        if (!msg || msg.deleted) throw new HttpError(404, 10008, 'Unknown Message');
        this.patchMessage(msg, req.body, req.files);
        return this.world.messageJson(msg);
      },
    ],
    [
      'DELETE',
      /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      (m) => {
        const i = this.interaction(m[2]!);
        const id = m[3] === '@original' ? i.originalId : m[3];
        const msg = id ? this.world.messages.get(id) : undefined;
        if (!msg || msg.deleted) throw new HttpError(404, 10008, 'Unknown Message');
        msg.deleted = true;
        return undefined;
      },
    ],
  ];

  private createChannel(guildId: string, body: Record<string, any>): unknown {
    this.guild(guildId);
    this.requireGuildPermission(PERMISSIONS.ManageChannels);
    const type = Number(body.type ?? 0);
    // Discord itself lowercases text channel names and turns spaces into dashes.
    const name =
      type === 0
        ? String(body.name ?? '')
            .toLowerCase()
            .replace(/\s+/g, '-')
        : String(body.name ?? '');
    const problem = channelNameProblem(name, type);
    if (problem) throw new HttpError(400, 50035, 'Invalid Form Body', { errors: problem });
    if (this.world.guildChannels().length >= 500)
      throw new HttpError(400, 30013, 'Maximum number of guild channels reached (500)');
    const parentId = body.parent_id ? String(body.parent_id) : null;
    if (parentId) {
      const parent = this.world.channels.get(parentId);
      if (parent?.type !== 4) throw new HttpError(400, 50035, 'Invalid Form Body', { errors: 'parent_id' });
      if (this.world.guildChannels().filter((c) => c.parent_id === parentId).length >= 50)
        throw new HttpError(400, 50035, 'Invalid Form Body', {
          errors: {
            parent_id: {
              _errors: [
                {
                  code: 'CHANNEL_PARENT_MAX_CHANNELS',
                  message: 'Maximum number of channels in category reached (50)',
                },
              ],
            },
          },
        });
    }
    const overwrites = this.overwrites(body.permission_overwrites);
    const c = this.world.addChannel(name, type, parentId, overwrites);
    if (typeof body.topic === 'string') c.topic = body.topic;
    this.gateway.dispatch('CHANNEL_CREATE', this.world.channelJson(c));
    return this.world.channelJson(c);
  }

  private overwrites(list: unknown): Overwrite[] {
    if (!Array.isArray(list)) return [];
    return list.map((o: any) => ({
      id: String(o.id),
      type: Number(o.type) === 1 ? 1 : 0,
      allow: BigInt(o.allow ?? 0),
      deny: BigInt(o.deny ?? 0),
    }));
  }

  private editChannel(channelId: string, body: Record<string, any>): unknown {
    const c = this.visibleChannel(channelId, PERMISSIONS.ManageChannels);
    const renames = ('name' in body && body.name !== c.name) || ('topic' in body && body.topic !== c.topic);
    if (renames) {
      const { max, windowMs } = this.options.channelEdits ?? { max: 2, windowMs: 600_000 };
      const now = Date.now();
      c.edits = c.edits.filter((t) => t > now - windowMs);
      if (c.edits.length >= max) {
        const retry = (c.edits[0]! + windowMs - now) / 1000;
        throw new HttpError(429, 0, 'You are being rate limited.', { retry_after: retry, global: false });
      }
      c.edits.push(now);
    }
    if ('name' in body) {
      const problem = channelNameProblem(body.name, c.type);
      if (problem) throw new HttpError(400, 50035, 'Invalid Form Body', { errors: problem });
      c.name = body.name;
    }
    if ('topic' in body) c.topic = body.topic;
    if ('parent_id' in body) {
      const parent = body.parent_id ? this.world.channels.get(String(body.parent_id)) : undefined;
      if (body.parent_id && parent?.type !== 4) throw new HttpError(400, 50035, 'Invalid Form Body');
      if (
        parent &&
        this.world.guildChannels().filter((x) => x.parent_id === parent.id && x.id !== c.id).length >= 50
      )
        throw new HttpError(400, 50035, 'Maximum number of channels in category reached (50)');
      c.parent_id = parent?.id ?? null;
    }
    if ('permission_overwrites' in body) {
      this.requireGuildPermission(PERMISSIONS.ManageRoles);
      c.overwrites = this.overwrites(body.permission_overwrites);
    }
    this.gateway.dispatch('CHANNEL_UPDATE', this.world.channelJson(c));
    return this.world.channelJson(c);
  }

  private callback(id: string, token: string, req: Parsed): unknown {
    const i = this.interactions.get(id);
    if (!i || i.token !== token) throw new HttpError(404, 10062, 'Unknown interaction');
    if (i.callback) throw new HttpError(400, 40060, 'Interaction has already been acknowledged.');
    if (Date.now() - i.sentAt > (this.options.interactionDeadlineMs ?? 3000))
      throw new HttpError(404, 10062, 'Unknown interaction');
    const type = Number(req.body.type);
    const data = (req.body.data ?? {}) as Record<string, any>;
    const ephemeral = (Number(data.flags ?? 0) & 64) !== 0;
    i.callback = { type, at: Date.now(), ephemeral };
    switch (type) {
      case 4: {
        const problem = messageProblem(data, req.files.length) ?? allowedMentionsProblem(data);
        if (problem) {
          i.callback = undefined;
          throw new HttpError(400, 50035, 'Invalid Form Body', { errors: problem });
        }
        const msg = this.createMessage(
          i.channelId,
          this.botId,
          data,
          20,
          req.files,
          ephemeral ? i.userId : undefined,
        );
        i.originalId = msg.id;
        if (!ephemeral) this.gateway.dispatch('MESSAGE_CREATE', this.world.messageJson(msg));
        break;
      }
      case 5: {
        // "incident-bot is thinking…": a message with nothing in it yet.
        const msg = this.createMessage(
          i.channelId,
          this.botId,
          { content: '' },
          20,
          [],
          ephemeral ? i.userId : undefined,
        );
        i.originalId = msg.id;
        break;
      }
      case 6:
        break;
      case 7: {
        const msgId = i.payload.message?.id as string | undefined;
        const msg = msgId ? this.world.messages.get(msgId) : undefined;
        if (!msg) throw new HttpError(400, 50035, 'Invalid Form Body');
        this.patchMessage(msg, data);
        break;
      }
      default:
        i.callback = undefined;
        throw new HttpError(400, 50035, `Unsupported interaction callback type ${type}`);
    }
    if (req.url.searchParams.get('with_response') === 'true') {
      return { interaction: { id: i.id, type: i.payload.type }, resource: { type } };
    }
    return undefined;
  }

  private async parse(req: IncomingMessage): Promise<Parsed> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    const type = req.headers['content-type'] ?? '';
    let body: Record<string, any> = {};
    const files: UploadedFile[] = [];
    if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': type },
        body: raw,
      }).formData();
      for (const [key, value] of form.entries()) {
        if (key === 'payload_json') body = JSON.parse(String(value));
        else if (typeof value !== 'string')
          files.push({
            name: value.name,
            // The bytes as sent: never through text, which would replace invalid UTF-8.
            bytes: Buffer.from(await value.arrayBuffer()),
            contentType: value.type || undefined,
          });
      }
    } else if (raw.length > 0) {
      body = JSON.parse(raw.toString('utf8'));
    }
    const authed = req.headers.authorization === `Bot ${this.token}`;
    return { method: req.method ?? 'GET', url, body, files, authed };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status = 200;
    let out: unknown;
    let parsed: Parsed | undefined;
    let fault: DiscordFault | undefined;
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/api\/v10/, '');
    try {
      parsed = await this.parse(req);
      // Discord refuses the whole request, before anything else, when one file is over the limit.
      if (parsed.files.some((f) => f.bytes.length > this.maxUploadBytes))
        throw new HttpError(413, 40005, 'Request entity too large');
      const route = this.routes.find(([method, re]) => method === parsed!.method && re.test(path));
      if (!route) throw new HttpError(404, 0, `404: Not Found (${req.method} ${path})`);
      // Interaction callbacks and their webhooks are authorised by the interaction token.
      const tokenAuth = /^\/(interactions|webhooks)\//.test(path);
      if (!tokenAuth && !parsed.authed) throw new HttpError(401, 0, '401: Unauthorized');
      fault = this.faults.take(parsed.method, path, parsed.files.length > 0);
      if (!fault || fault.applied) out = await route[2](route[1].exec(path)!, parsed);
      if (out === undefined) status = 204;
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        out = { message: err.message, code: err.code, ...err.extra };
      } else {
        status = 500;
        out = { message: String(err), code: 0 };
      }
    }
    if (fault) {
      // The work (if `applied`) is done; the answer is what gets lost.
      status = 'status' in fault ? fault.status : 0;
      this.calls.push({
        method: req.method ?? 'GET',
        path,
        status,
        at: Date.now(),
        body: parsed?.body,
        fault,
      });
      if ('drop' in fault) {
        req.socket.destroy();
        return;
      }
      if ('reset' in fault) {
        req.socket.resetAndDestroy();
        return;
      }
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(`<html><body><h1>${status}</h1>fake discord: injected failure</body></html>`);
      return;
    }
    this.calls.push({ method: req.method ?? 'GET', path, status, at: Date.now(), body: parsed?.body });
    const headers: Record<string, string> = status === 204 ? {} : { 'content-type': 'application/json' };
    if (status === 429) {
      const retry = (out as { retry_after: number }).retry_after;
      headers['retry-after'] = String(Math.ceil(retry));
      headers['x-ratelimit-scope'] = 'shared';
    }
    res.writeHead(status, headers);
    res.end(status === 204 ? undefined : JSON.stringify(out));
  }
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  return new FakeDiscord(options).start();
}
