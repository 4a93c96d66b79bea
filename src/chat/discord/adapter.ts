import { randomBytes } from 'node:crypto';
import {
  type APITextChannel,
  type CategoryChannel,
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Guild,
  type GuildBasedChannel,
  type GuildMember,
  Options,
  OverwriteType,
  PermissionFlagsBits,
  REST,
  type RESTOptions,
  Routes,
} from 'discord.js';
import type { Logger } from 'pino';
import { type Actor, BotError, DISCORD_LIMITS, graphemeHead } from '../../core/index.ts';
import type { ChatButton, ChatMessage } from '../message.ts';
import {
  assertUploadFits,
  type ChannelRef,
  type ChatCapabilities,
  type ChatPlatform,
  type CreateChannelInput,
  type FileUpload,
  fileBytes,
  fileContentType,
  type InboundHandler,
  type PostOptions,
} from '../port.ts';
import { discordUploadLimit } from '../upload-limits.ts';
import { ChannelEditPacer } from './edit-pacer.ts';
import { discordError, MESSAGE_CONTENT_HINT } from './errors.ts';
import { registerListeners } from './listeners.ts';
import { actorFromMember } from './people.ts';
import { toDiscordMessage } from './render.ts';
import {
  BOT_PERMISSIONS,
  type BotPermission,
  CATEGORY_MAX_CHANNELS,
  GUILD_MAX_CHANNELS,
  inviteUrl,
} from './setup.ts';

export interface DiscordOptions {
  readonly token: string;
  readonly guildId: string;
  /** Only for the invite URL in error hints; the gateway tells the bot its own. */
  readonly applicationId?: string | undefined;
  /** REST base without the version (default https://discord.com/api): proxies, tests. */
  readonly apiUrl?: string | undefined;
  /** The category incident channels open in, and the one closed incidents move to. */
  readonly category: string;
  readonly archiveCategory: string;
  /** A channel id, or a #name the bot resolves at start. */
  readonly announceChannel?: string | undefined;
  readonly logger: Logger;
  /** How long start-up may wait for the gateway (default 30 s). */
  readonly connectTimeoutMs?: number;
  /** Name/topic edit allowance per channel (Discord: 2 per 10 minutes). */
  readonly channelEdits?: { windowMs: number; max: number };
}

/**
 * Permissions the bot gives itself on every incident channel: it keeps seeing a private one and
 * posting in an archived one, and the overwrite marks the channel as the bot's (Discord records no
 * creator on a channel; only the audit log knows, and reading it needs View Audit Log).
 */
export const SELF_ALLOW =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.ManageChannels;
/** What a person or role invited to an incident channel is allowed beyond the server's defaults. */
const INVITED_ALLOW = { ViewChannel: true, ReadMessageHistory: true } as const;
/** Archived channels are read-only for everyone but the bot. */
const READ_ONLY_DENY =
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.CreatePublicThreads |
  PermissionFlagsBits.CreatePrivateThreads |
  PermissionFlagsBits.AddReactions;

const SNOWFLAKE = /^\d{15,21}$/;
/** Confirmation dialogs remembered per button id; the oldest go first. */
const CONFIRMS_MAX = 2000;
/** A channel a lost create answer left behind is adopted only this soon after it was made. */
const ADOPT_WITHIN_MS = 10 * 60_000;
/** Tries at creating one channel when Discord's answers are lost (discord.js's own count). */
const CREATE_ATTEMPTS = 3;

type OwnOverwrite = { id: string; type: OverwriteType; allow: bigint; deny: bigint };

/**
 * Create Message fields that make a repeat of the same post return the first message (Discord's
 * enforced nonce: same author, same nonce, within a few minutes). The outbox's key when there is
 * one; else a nonce of this call alone, so discord.js retrying a 5xx or a reset connection cannot
 * post the message twice either.
 */
function nonceFields(key: string | undefined): { nonce: string; enforce_nonce: true } {
  return { nonce: key || randomBytes(15).toString('base64url'), enforce_nonce: true };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Discord as a ChatPlatform, on the real discord.js client. Channels and overwrites go through
 * discord.js's managers (which keep the guild cache current from the responses), except channel
 * creation (see createChannel); messages through
 * its REST client directly, which honours Discord's rate-limit buckets and retries 5xx answers.
 * Inbound traffic is mapped to InboundEvents in listeners.ts.
 *
 * Exactly once: every message is created with an enforced nonce (the outbox key), so a retried
 * post returns the message already made. Channel creation has no such key, and Discord allows
 * duplicate names, so it is never retried blindly: see createChannel.
 *
 * No `findPosted`: Discord gives the nonce back only in the create answer and the MESSAGE_CREATE
 * event; a message fetched later carries none (discord.js: "lost if re-fetched"), and nothing else
 * of the key is stored with the message. A post repeated within Discord's few minutes returns the
 * first message by its nonce; after that the bot cannot tell whether an earlier post went through.
 */
export class DiscordChat implements ChatPlatform {
  readonly id = 'discord';
  readonly capabilities: ChatCapabilities = {
    modals: false,
    ephemeral: true,
    threads: false,
    fileUpload: true,
    // An embed description holds 4,096; the rest of the message needs a little room.
    maxTextLength: 4000,
  };
  readonly client: Client;
  /** Channel creation only: a REST client that never retries by itself (see createChannel). */
  private readonly createRest: REST;
  private guildRef: Guild | undefined;
  private announceId: string | undefined;
  private readonly topics = new Map<string, string>();
  private readonly pacer: ChannelEditPacer;
  /** Confirmation dialogs of buttons the bot posted (Discord buttons have none of their own). */
  private readonly confirms = new Map<
    string,
    NonNullable<ChatButton['confirm']> & { readonly refusedFor?: ChatButton['refusedFor'] }
  >();

  constructor(readonly options: DiscordOptions) {
    const rest: Partial<RESTOptions> = {
      ...(options.apiUrl ? { api: options.apiUrl } : {}),
      // A stuck request must not hold its bucket's queue for long.
      timeout: 15_000,
      retries: 3,
    };
    this.client = new Client({
      // MessageContent is privileged: the timeline needs what people write.
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.GuildMessageReactions,
      ],
      rest,
      // Message events are read from the raw gateway packets (listeners.ts), so no message cache.
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings,
        MessageManager: 0,
        PresenceManager: 0,
        ReactionManager: 0,
        GuildMessageManager: 0,
      }),
    });
    // It still waits out 429s (nothing was done then); 5xx, dropped and timed-out requests come back.
    this.createRest = new REST({ ...rest, retries: 0 }).setToken(options.token);
    this.pacer = new ChannelEditPacer(
      async (channelId, edit) => {
        await this.guild.channels.edit(channelId, edit).catch((err) => {
          throw discordError('edit the channel', err);
        });
      },
      options.logger,
      options.channelEdits ?? { windowMs: 10 * 60_000, max: 2 },
    );
  }

  get guild(): Guild {
    if (!this.guildRef) throw new BotError('bot.chat.not_started', 'Discord is not connected yet.');
    return this.guildRef;
  }

  /**
   * The server's limit per file, from its boost tier as the gateway keeps it (a boost or its end
   * arrives as GUILD_UPDATE); before the bot is connected, the default of a server without boosts.
   */
  get maxUploadBytes(): number {
    return discordUploadLimit(this.guildRef?.premiumTier);
  }

  get connected(): boolean {
    return this.guildRef !== undefined;
  }

  get userId(): string {
    return this.client.user?.id ?? '';
  }

  async start(handler: InboundHandler): Promise<void> {
    const { logger } = this.options;
    const apiUrl = this.options.apiUrl ?? 'https://discord.com/api';
    logger.info({ apiUrl, guildId: this.options.guildId }, 'connecting to Discord');
    registerListeners(this, handler, logger);
    await this.connect(apiUrl);
    const guild = this.client.guilds.cache.get(this.options.guildId);
    if (!guild) {
      const app = this.options.applicationId ?? this.client.application?.id ?? this.userId;
      throw new BotError(
        'bot.discord.guild_missing',
        `The bot is not in the server DISCORD_GUILD_ID=${this.options.guildId}.`,
        { hint: `Invite it with ${inviteUrl(app, this.options.guildId)} (or fix DISCORD_GUILD_ID).` },
      );
    }
    this.guildRef = guild;
    await this.checkPermissions(guild);
    await this.category(this.options.category);
    this.announceId = this.resolveAnnounceChannel();
    logger.info({ botUserId: this.userId, guild: guild.name }, 'connected to Discord');
  }

  private async connect(apiUrl: string): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve) => this.client.once(Events.ClientReady, () => resolve()));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new BotError(
              'bot.discord.unreachable',
              `Discord's gateway did not answer within ${timeoutMs / 1000} s.`,
              {
                hint: 'Check the network or proxy, and DISCORD_API_URL if you set it.',
              },
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.client.login(this.options.token).then(() => ready), timeout]);
    } catch (err) {
      throw this.loginError(err, apiUrl);
    } finally {
      clearTimeout(timer);
    }
  }

  private loginError(err: unknown, apiUrl: string): BotError {
    if (err instanceof BotError) return err;
    const e = err as { code?: string | number; status?: number; message?: string };
    const message = e.message ?? String(err);
    // Gateway close 4014: a privileged intent the application has not been granted.
    if (/disallowed intents/i.test(message) || e.code === 'DisallowedIntents' || e.code === 4014) {
      return new BotError(
        'bot.discord.intents',
        'Discord refused the Message Content intent (gateway close code 4014): the bot cannot read the channel for the timeline.',
        { hint: MESSAGE_CONTENT_HINT, cause: err },
      );
    }
    if (e.code === 'TokenInvalid' || e.status === 401 || /authentication failed/i.test(message)) {
      return new BotError('bot.discord.auth_failed', 'Discord did not accept DISCORD_TOKEN.', {
        hint: 'Copy the token from the Developer Portal → your application → Bot → Reset Token.',
        cause: err,
      });
    }
    return new BotError('bot.discord.unreachable', `Cannot reach Discord at ${apiUrl}: ${message}.`, {
      hint: 'Check the network or proxy, and DISCORD_API_URL if you set it.',
      cause: err,
    });
  }

  private async checkPermissions(guild: Guild): Promise<void> {
    const me = guild.members.me ?? (await guild.members.fetchMe().catch(() => undefined));
    if (!me) return;
    const missing = (Object.keys(BOT_PERMISSIONS) as BotPermission[]).filter(
      (p) => !me.permissions.has(PermissionFlagsBits[p]),
    );
    if (missing.length === 0) return;
    const app = this.options.applicationId ?? this.client.application?.id ?? this.userId;
    throw new BotError(
      'bot.discord.permissions',
      `The bot lacks these permissions in ${guild.name}: ${missing.map((p) => `${p} (${BOT_PERMISSIONS[p]})`).join('; ')}.`,
      { hint: `Give its role those permissions, or invite it again with ${inviteUrl(app, guild.id)}.` },
    );
  }

  async stop(): Promise<void> {
    this.pacer.stop();
    this.createRest.clearHashSweeper();
    this.createRest.clearHandlerSweeper();
    await this.client.destroy().catch(() => undefined);
  }

  private channels(): GuildBasedChannel[] {
    return [...this.guild.channels.cache.values()];
  }

  /** The category by name (any case), created when missing. */
  private async category(name: string): Promise<CategoryChannel> {
    const found = this.channels().find(
      (c): c is CategoryChannel =>
        c.type === ChannelType.GuildCategory && c.name.toLowerCase() === name.toLowerCase(),
    );
    if (found) return found;
    this.guardGuildSize();
    try {
      return await this.guild.channels.create({ name, type: ChannelType.GuildCategory });
    } catch (err) {
      throw discordError(`create the category ${name}`, err);
    }
  }

  private childCount(categoryId: string): number {
    return this.channels().filter((c) => 'parentId' in c && c.parentId === categoryId).length;
  }

  private guardGuildSize(): void {
    if (this.guild.channels.cache.size >= GUILD_MAX_CHANNELS) {
      throw new BotError(
        'bot.discord.guild_full',
        `The server has ${GUILD_MAX_CHANNELS} channels, Discord's limit, so no incident channel can be created.`,
        { hint: `Delete old channels, for example closed incidents in ${this.options.archiveCategory}.` },
      );
    }
  }

  /**
   * The archive category with room: `Incidents Archive`, then `Incidents Archive 2`, … since a
   * category holds at most 50 channels and closed incidents pile up.
   */
  private async archiveCategory(): Promise<CategoryChannel> {
    const base = this.options.archiveCategory;
    for (let n = 1; n <= 20; n++) {
      const category = await this.category(n === 1 ? base : `${base} ${n}`);
      if (this.childCount(category.id) < CATEGORY_MAX_CHANNELS) return category;
    }
    throw new BotError('bot.discord.archive_full', `Every ${base} category is full.`, {
      hint: 'Delete old archived incident channels.',
    });
  }

  /**
   * Discord allows duplicate channel names; the bot does not, so `inc-12-…` always means one
   * incident. A create whose answer is lost (5xx, dropped connection, timeout) may still have made
   * the channel, and a blind retry (discord.js retries those) would make a second one. So the create
   * goes out once per try, and after a lost answer the bot looks for the channel before trying
   * again. The same look happens before any create: a channel of this name that the bot made in
   * the last ten minutes and nobody has used yet is the one an earlier, failed call made.
   */
  async createChannel(input: CreateChannelInput): Promise<ChannelRef> {
    const topic = graphemeHead(input.topic, DISCORD_LIMITS.topic);
    const same = this.channels().filter((c) => c.type === ChannelType.GuildText && c.name === input.name);
    if (same.length > 0) {
      const mine = this.adoptable(same, input);
      if (mine) return this.adopt(mine, input, 'an earlier call');
      throw new BotError('bot.chat.name_taken', `#${input.name} already exists in Discord.`);
    }
    this.guardGuildSize();
    const category = await this.category(this.options.category);
    if (this.childCount(category.id) >= CATEGORY_MAX_CHANNELS) {
      throw new BotError(
        'bot.discord.category_full',
        `The ${category.name} category holds ${CATEGORY_MAX_CHANNELS} channels, Discord's limit.`,
        {
          hint: 'Close finished incidents (their channels move to the archive), or move channels out of it.',
        },
      );
    }
    const body = {
      name: input.name,
      type: ChannelType.GuildText,
      parent_id: category.id,
      ...(topic ? { topic } : {}),
      permission_overwrites: this.ownOverwrites(input.private).map((o) => ({
        id: o.id,
        type: o.type,
        allow: o.allow.toString(),
        deny: o.deny.toString(),
      })),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const data = (await this.createRest.post(Routes.guildChannels(this.guild.id), {
          body,
        })) as APITextChannel;
        this.cacheChannel(data);
        this.topics.set(data.id, topic);
        return { id: data.id, name: data.name ?? input.name };
      } catch (err) {
        // An error answer from Discord means nothing was made; anything else may have made it.
        if (err instanceof DiscordAPIError) throw discordError(`create #${input.name}`, err);
        let same: GuildBasedChannel[];
        try {
          same = await this.sameNameFromDiscord(input.name);
        } catch (lookErr) {
          // Unknown whether the channel exists: trying again could make a second one.
          this.options.logger.warn({ err: lookErr }, 'could not look for a channel after a lost answer');
          throw discordError(`create #${input.name}`, err);
        }
        if (same.length > 0) {
          const made = this.adoptable(same, input);
          if (made) return this.adopt(made, input, 'a create whose answer was lost');
          throw new BotError('bot.chat.name_taken', `#${input.name} already exists in Discord.`);
        }
        if (attempt >= CREATE_ATTEMPTS) throw discordError(`create #${input.name}`, err);
        this.options.logger.warn({ err, name: input.name, attempt }, 'channel create failed; trying again');
        await sleep(250 * attempt);
      }
    }
  }

  /** What a create asks for: the bot's own overwrite, and @everyone kept out of a private channel. */
  private ownOverwrites(privateChannel: boolean): OwnOverwrite[] {
    const self: OwnOverwrite = { id: this.userId, type: OverwriteType.Member, allow: SELF_ALLOW, deny: 0n };
    if (!privateChannel) return [self];
    return [
      { id: this.guild.id, type: OverwriteType.Role, allow: 0n, deny: PermissionFlagsBits.ViewChannel },
      self,
    ];
  }

  /** Text channels called `name`, as Discord has them now (the cache may lag behind a lost answer). */
  private async sameNameFromDiscord(name: string): Promise<GuildBasedChannel[]> {
    const all = await this.guild.channels.fetch();
    return [...all.values()].filter(
      (c): c is NonNullable<typeof c> => c !== null && c.type === ChannelType.GuildText && c.name === name,
    );
  }

  /**
   * Among channels of the wanted name, the one a create of this input made and nobody has touched:
   * in the incidents category, made in the last ten minutes, no message ever sent in it, the topic
   * and overwrites exactly as the create set them (the bot's own overwrite is its mark; an invite
   * or a renamed topic means the channel is in use). Undefined when any of them is in use.
   */
  private adoptable(
    candidates: readonly GuildBasedChannel[],
    input: CreateChannelInput,
  ): GuildBasedChannel | undefined {
    const categoryName = this.options.category.toLowerCase();
    const wanted = this.ownOverwrites(input.private);
    const topic = graphemeHead(input.topic, DISCORD_LIMITS.topic);
    const now = Date.now();
    const untouched = (c: GuildBasedChannel): boolean => {
      if (c.type !== ChannelType.GuildText) return false;
      if (c.parent?.name.toLowerCase() !== categoryName) return false;
      if (now - c.createdTimestamp > ADOPT_WITHIN_MS) return false;
      if (c.lastMessageId) return false;
      if ((c.topic ?? '') !== topic) return false;
      const overwrites = [...c.permissionOverwrites.cache.values()];
      return (
        overwrites.length === wanted.length &&
        wanted.every((w) =>
          overwrites.some(
            (o) =>
              o.id === w.id &&
              o.type === w.type &&
              o.allow.bitfield === w.allow &&
              o.deny.bitfield === w.deny,
          ),
        )
      );
    };
    if (!candidates.every(untouched)) return undefined;
    return [...candidates].sort((a, b) => (a.createdTimestamp ?? 0) - (b.createdTimestamp ?? 0))[0];
  }

  private adopt(channel: GuildBasedChannel, input: CreateChannelInput, from: string): ChannelRef {
    this.options.logger.info(
      { channel: channel.id, name: channel.name },
      `adopted the channel ${from} had made`,
    );
    this.topics.set(channel.id, graphemeHead(input.topic, DISCORD_LIMITS.topic));
    return { id: channel.id, name: channel.name };
  }

  /**
   * Puts a channel created through `createRest` in the guild cache at once, as discord.js's own
   * `channels.create` does (its ChannelCreate action; the gateway's CHANNEL_CREATE would do it
   * moments later), so the name and category checks above see it.
   */
  private cacheChannel(data: APITextChannel): void {
    const actions = (
      this.client as unknown as { actions?: { ChannelCreate?: { handle(d: unknown): unknown } } }
    ).actions;
    actions?.ChannelCreate?.handle({ ...data, guild_id: data.guild_id ?? this.guild.id });
  }

  async renameChannel(channelId: string, name: string): Promise<void> {
    const current = this.guild.channels.cache.get(channelId);
    if (current?.name === name) return;
    const taken = this.channels().some((c) => c.id !== channelId && c.name === name);
    if (taken) throw new BotError('bot.chat.name_taken', `#${name} already exists in Discord.`);
    await this.pacer.edit(channelId, { name });
  }

  async setTopic(channelId: string, topic: string): Promise<void> {
    const text = graphemeHead(topic, DISCORD_LIMITS.topic);
    if (this.topics.get(channelId) === text) return;
    this.topics.set(channelId, text);
    await this.pacer.edit(channelId, { topic: text });
  }

  async archiveChannel(channelId: string): Promise<void> {
    const channel = await this.textChannel(channelId);
    const archive = await this.archiveCategory();
    if (channel.parentId === archive.id) return;
    const overwrites = [...channel.permissionOverwrites.cache.values()].map((o) => ({
      id: o.id,
      type: o.type,
      allow: o.allow.bitfield,
      deny: o.deny.bitfield,
    }));
    const everyone = overwrites.find((o) => o.id === this.guild.id);
    if (everyone) everyone.deny |= READ_ONLY_DENY;
    else overwrites.push({ id: this.guild.id, type: OverwriteType.Role, allow: 0n, deny: READ_ONLY_DENY });
    // Responders' and the declarer's overwrites keep them reading; none of them allows sending.
    try {
      await channel.edit({ parent: archive.id, lockPermissions: false, permissionOverwrites: overwrites });
    } catch (err) {
      throw discordError('archive the channel', err);
    }
  }

  private async textChannel(channelId: string) {
    const channel =
      this.guild.channels.cache.get(channelId) ??
      (await this.guild.channels.fetch(channelId).catch((err) => {
        throw discordError('find the channel', err);
      }));
    if (!channel || channel.type !== ChannelType.GuildText) {
      throw new BotError('bot.chat.channel_not_found', 'That Discord channel does not exist.');
    }
    return channel;
  }

  /**
   * Invites are permission overwrites: a person (user id) or a role (`@sre`, a role id) may then
   * see the channel even when it is private. Entries that are neither are logged and skipped.
   */
  async invite(channelId: string, userIds: readonly string[]): Promise<void> {
    const channel = await this.textChannel(channelId);
    const targets = new Map<string, OverwriteType>();
    for (const entry of userIds) {
      const target = this.overwriteTarget(entry);
      if (target && target.id !== this.userId) targets.set(target.id, target.type);
      else if (!target)
        this.options.logger.warn({ entry }, 'responder is neither a Discord user id nor a role');
    }
    await Promise.all(
      [...targets].map(([id, type]) =>
        channel.permissionOverwrites.edit(id, INVITED_ALLOW, { type }).catch((err) => {
          throw discordError('invite people to the channel', err);
        }),
      ),
    );
  }

  private overwriteTarget(entry: string): { id: string; type: OverwriteType } | undefined {
    const e = entry.trim();
    const user = /^<@!?(\d+)>$/.exec(e)?.[1] ?? (SNOWFLAKE.test(e) ? e : undefined);
    if (user)
      return { id: user, type: this.guild.roles.cache.has(user) ? OverwriteType.Role : OverwriteType.Member };
    const roleRef = /^<@&(\d+)>$/.exec(e)?.[1];
    if (roleRef) return { id: roleRef, type: OverwriteType.Role };
    if (e.startsWith('@')) {
      const wanted = e.slice(1).toLowerCase();
      // Exact name, any case, as policy groups match (people.ts roleGroups).
      const role = this.guild.roles.cache.find(
        (r) => r.id !== this.guild.id && r.name.toLowerCase() === wanted,
      );
      if (role) return { id: role.id, type: OverwriteType.Role };
    }
    return undefined;
  }

  async announceChannelId(): Promise<string | undefined> {
    return this.announceId;
  }

  private resolveAnnounceChannel(): string | undefined {
    const wanted = this.options.announceChannel?.trim();
    if (!wanted) return undefined;
    const name = wanted.replace(/^#/, '');
    const found = this.channels().find(
      (c) => c.type === ChannelType.GuildText && (c.id === wanted || c.name === name),
    );
    if (found) return found.id;
    throw new BotError(
      'bot.discord.announce_channel',
      `The Discord announcement channel ${wanted} was not found.`,
      {
        hint: 'Create the channel (or fix discord.announceChannel in the YAML file), and let the bot see it.',
      },
    );
  }

  /** Remembers confirmation dialogs so a click on an `ask:` button can show the right one. */
  private remember(message: ChatMessage): void {
    for (const b of message.buttons ?? []) {
      if (!b.confirm) continue;
      this.confirms.delete(b.id);
      this.confirms.set(b.id, { ...b.confirm, ...(b.refusedFor ? { refusedFor: b.refusedFor } : {}) });
      if (this.confirms.size > CONFIRMS_MAX) this.confirms.delete(this.confirms.keys().next().value!);
    }
  }

  confirmFor(
    buttonId: string,
  ): (NonNullable<ChatButton['confirm']> & { readonly refusedFor?: ChatButton['refusedFor'] }) | undefined {
    return this.confirms.get(buttonId);
  }

  async postMessage(
    channelId: string,
    message: ChatMessage,
    options: PostOptions = {},
  ): Promise<{ messageId: string }> {
    this.remember(message);
    try {
      // Discord checks the nonce (at most 25 characters: the outbox's keys fit) and answers a repeat
      // with the first message, also when this call is a retry of one whose answer was lost.
      const posted = (await this.client.rest.post(Routes.channelMessages(channelId), {
        body: { ...toDiscordMessage(message), ...nonceFields(options.key) },
      })) as { id: string };
      return { messageId: posted.id };
    } catch (err) {
      throw discordError('post a message', err);
    }
  }

  async updateMessage(channelId: string, messageId: string, message: ChatMessage): Promise<void> {
    this.remember(message);
    try {
      await this.client.rest.patch(Routes.channelMessage(channelId, messageId), {
        body: toDiscordMessage(message),
      });
    } catch (err) {
      throw discordError('update a message', err);
    }
  }

  /**
   * Discord shows ephemeral messages only as answers to an interaction; anywhere else the bot
   * can reach one person only by a direct message.
   */
  async postEphemeral(_channelId: string, userId: string, message: ChatMessage): Promise<void> {
    try {
      const dm = (await this.client.rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as {
        id: string;
      };
      await this.client.rest.post(Routes.channelMessages(dm.id), {
        body: { ...toDiscordMessage(message), ...nonceFields(undefined) },
      });
    } catch (err) {
      throw discordError('send a direct message', err);
    }
  }

  async uploadFile(channelId: string, file: FileUpload, options: PostOptions = {}): Promise<void> {
    // Refused here rather than by Discord's 413 (40005): same outcome, without sending megabytes.
    assertUploadFits('Discord', this.maxUploadBytes, file);
    const data = fileBytes(file);
    try {
      await this.client.rest.post(Routes.channelMessages(channelId), {
        body: {
          content: graphemeHead(`📎 ${file.title}`, DISCORD_LIMITS.content),
          allowed_mentions: { parse: [] },
          // As for posts: a repeat of the key within Discord's nonce window returns the first upload.
          ...nonceFields(options.key),
        },
        files: [{ name: file.filename, data, contentType: fileContentType(file) }],
      });
    } catch (err) {
      throw discordError('upload a file', err);
    }
  }

  /**
   * Whether the member can see the channel: Discord's own permission arithmetic over the server's
   * roles, the member's roles and the channel's overwrites (how private incident channels admit
   * people). Someone who is not in the server is not a member.
   */
  async isMember(channelId: string, userId: string): Promise<boolean> {
    const channel = await this.textChannel(channelId);
    let member: GuildMember;
    try {
      member = await this.guild.members.fetch(userId);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 10007 || code === 10013) return false;
      throw discordError('look up a person', err);
    }
    return channel.permissionsFor(member).has(PermissionFlagsBits.ViewChannel);
  }

  async resolveUser(reference: string): Promise<Actor | undefined> {
    const ref = reference.trim();
    const id = /^<@!?(\d+)>$/.exec(ref)?.[1] ?? (SNOWFLAKE.test(ref) ? ref : undefined);
    try {
      if (id) return actorFromMember(await this.guild.members.fetch(id));
      const name = ref.replace(/^@/, '').toLowerCase();
      if (!name) return undefined;
      const found = await this.guild.members.search({ query: name, limit: 10 });
      const match = found.find(
        (m) =>
          m.user.username.toLowerCase() === name ||
          m.user.globalName?.toLowerCase() === name ||
          m.nickname?.toLowerCase() === name,
      );
      return match ? actorFromMember(match) : undefined;
    } catch (err) {
      const code = (err as { code?: number }).code;
      // Unknown Member / Unknown User: nobody by that reference.
      if (code === 10007 || code === 10013) return undefined;
      throw discordError('look up a person', err);
    }
  }

  mention(userId: string): string {
    return `<@${userId}>`;
  }

  /** `<#id>` alone shows nothing where the reader cannot see the channel; the link keeps the name. */
  channelLink(channel: ChannelRef): string {
    const guildId = this.guildRef?.id ?? this.options.guildId;
    return channel.name
      ? `[#${channel.name}](https://discord.com/channels/${guildId}/${channel.id})`
      : `<#${channel.id}>`;
  }

  /** Discord renders `<t:…:R>` as "16 minutes ago", and keeps it current on screen. */
  relativeTime(at: Date): string {
    return `<t:${Math.floor(at.getTime() / 1000)}:R>`;
  }

  /** Discord renders <t:…> in each reader's own time zone. */
  localTime(at: Date, _fallback: string, withDate: boolean): string {
    return `<t:${Math.floor(at.getTime() / 1000)}:${withDate ? 'f' : 't'}>`;
  }
}
