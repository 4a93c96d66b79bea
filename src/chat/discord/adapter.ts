import {
  type CategoryChannel,
  ChannelType,
  Client,
  Events,
  GatewayIntentBits,
  type Guild,
  type GuildBasedChannel,
  Options,
  OverwriteType,
  PermissionFlagsBits,
  Routes,
} from 'discord.js';
import type { Logger } from 'pino';
import { type Actor, BotError } from '../../core/index.ts';
import type { ChatButton, ChatMessage } from '../message.ts';
import type {
  ChannelRef,
  ChatCapabilities,
  ChatPlatform,
  CreateChannelInput,
  FileUpload,
  InboundHandler,
} from '../port.ts';
import { ChannelEditPacer } from './edit-pacer.ts';
import { discordError, MESSAGE_CONTENT_HINT } from './errors.ts';
import { registerListeners } from './listeners.ts';
import { actorFromMember, slug } from './people.ts';
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

/** Permissions the bot gives itself on a private incident channel, so it keeps seeing it. */
const SELF_ALLOW = [
  PermissionFlagsBits.ViewChannel,
  PermissionFlagsBits.SendMessages,
  PermissionFlagsBits.EmbedLinks,
  PermissionFlagsBits.AttachFiles,
  PermissionFlagsBits.ReadMessageHistory,
  PermissionFlagsBits.ManageChannels,
];
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

/**
 * Discord as a ChatPlatform, on the real discord.js client. Channels and overwrites go through
 * discord.js's managers (which keep the guild cache current from the responses); messages through
 * its REST client directly, which honours Discord's rate-limit buckets and retries 5xx answers.
 * Inbound traffic is mapped to InboundEvents in listeners.ts.
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
  private guildRef: Guild | undefined;
  private announceId: string | undefined;
  private readonly topics = new Map<string, string>();
  private readonly pacer: ChannelEditPacer;
  /** Confirmation dialogs of buttons the bot posted (Discord buttons have none of their own). */
  private readonly confirms = new Map<string, NonNullable<ChatButton['confirm']>>();

  constructor(readonly options: DiscordOptions) {
    this.client = new Client({
      // MessageContent is privileged: the timeline needs what people write.
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.GuildMessageReactions,
      ],
      rest: {
        ...(options.apiUrl ? { api: options.apiUrl } : {}),
        // A stuck request must not hold its bucket's queue for long.
        timeout: 15_000,
        retries: 3,
      },
      // Message events are read from the raw gateway packets (listeners.ts), so no message cache.
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings,
        MessageManager: 0,
        PresenceManager: 0,
        ReactionManager: 0,
        GuildMessageManager: 0,
      }),
    });
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

  async createChannel(input: CreateChannelInput): Promise<ChannelRef> {
    // Discord allows duplicate names; the bot does not, so `inc-12-…` always means one incident.
    const taken = this.channels().some((c) => c.type === ChannelType.GuildText && c.name === input.name);
    if (taken) throw new BotError('bot.chat.name_taken', `#${input.name} already exists in Discord.`);
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
    const permissionOverwrites = input.private
      ? [
          { id: this.guild.id, type: OverwriteType.Role, deny: [PermissionFlagsBits.ViewChannel] },
          { id: this.userId, type: OverwriteType.Member, allow: SELF_ALLOW },
        ]
      : [];
    try {
      const channel = await this.guild.channels.create({
        name: input.name,
        type: ChannelType.GuildText,
        parent: category.id,
        ...(input.topic ? { topic: input.topic.slice(0, 1024) } : {}),
        permissionOverwrites,
      });
      this.topics.set(channel.id, input.topic.slice(0, 1024));
      return { id: channel.id, name: channel.name };
    } catch (err) {
      throw discordError(`create #${input.name}`, err);
    }
  }

  async renameChannel(channelId: string, name: string): Promise<void> {
    const current = this.guild.channels.cache.get(channelId);
    if (current?.name === name) return;
    const taken = this.channels().some((c) => c.id !== channelId && c.name === name);
    if (taken) throw new BotError('bot.chat.name_taken', `#${name} already exists in Discord.`);
    await this.pacer.edit(channelId, { name });
  }

  async setTopic(channelId: string, topic: string): Promise<void> {
    const text = Array.from(topic).slice(0, 1024).join('');
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
      const role = this.guild.roles.cache.find(
        (r) => r.name.toLowerCase() === wanted || slug(r.name) === wanted,
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
      this.confirms.set(b.id, b.confirm);
      if (this.confirms.size > CONFIRMS_MAX) this.confirms.delete(this.confirms.keys().next().value!);
    }
  }

  confirmFor(buttonId: string): NonNullable<ChatButton['confirm']> | undefined {
    return this.confirms.get(buttonId);
  }

  async postMessage(channelId: string, message: ChatMessage): Promise<{ messageId: string }> {
    this.remember(message);
    try {
      const posted = (await this.client.rest.post(Routes.channelMessages(channelId), {
        body: toDiscordMessage(message),
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
      await this.client.rest.post(Routes.channelMessages(dm.id), { body: toDiscordMessage(message) });
    } catch (err) {
      throw discordError('send a direct message', err);
    }
  }

  async uploadFile(channelId: string, file: FileUpload): Promise<void> {
    try {
      await this.client.rest.post(Routes.channelMessages(channelId), {
        body: { content: `📎 ${file.title}`.slice(0, 2000), allowed_mentions: { parse: [] } },
        files: [
          { name: file.filename, data: Buffer.from(file.content, 'utf8'), contentType: 'text/markdown' },
        ],
      });
    } catch (err) {
      throw discordError('upload a file', err);
    }
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

  /** Discord renders <t:…> in each reader's own time zone. */
  localTime(at: Date, _fallback: string, withDate: boolean): string {
    return `<t:${Math.floor(at.getTime() / 1000)}:${withDate ? 'f' : 't'}>`;
  }
}
