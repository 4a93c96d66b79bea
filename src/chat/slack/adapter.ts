import { App, type Receiver } from '@slack/bolt';
import { type RetryOptions, WebClient, WebClientEvent } from '@slack/web-api';
import type { Logger } from 'pino';
import { type Actor, BotError, graphemeHead, isBotError, SLACK_LIMITS } from '../../core/index.ts';
import { chatRateLimited } from '../../metrics.ts';
import type { ChatMessage, Reply } from '../message.ts';
import {
  assertUploadFits,
  type ChannelRef,
  type ChatCapabilities,
  type ChatPlatform,
  type CreateChannelInput,
  type FileUpload,
  fileBytes,
  type InboundHandler,
  type PostOptions,
} from '../port.ts';
import { SLACK_MAX_UPLOAD_BYTES } from '../upload-limits.ts';
import { boltLogger } from './bolt-logger.ts';
import { isSlackError, slackApiError, slackError } from './errors.ts';
import { registerListeners } from './listeners.ts';
import { SlackOutbound } from './outbound.ts';
import { MountedHttpReceiver } from './receiver.ts';
import { toBlocks } from './render.ts';
import { SlackDirectory } from './users.ts';

/** Where a reply goes: the channel and person, and Bolt's respond() when Slack gave a response_url. */
export interface ReplyTarget {
  readonly channel: string;
  readonly user: string;
  readonly respond?: (message: Record<string, unknown>) => Promise<unknown>;
}

export interface SlackOptions {
  readonly botToken: string;
  /** Socket Mode when set. */
  readonly appToken?: string | undefined;
  /** HTTP mode (at /slack/events) when set without an app token. */
  readonly signingSecret?: string | undefined;
  /** Web API base, e.g. https://slack.com/api/ (GovSlack, proxies, tests). */
  readonly apiUrl?: string | undefined;
  /** A channel id, or a #name the bot resolves at start. */
  readonly announceChannel?: string | undefined;
  readonly logger: Logger;
  /**
   * How WebClient retries 429s, 5xx answers and timeouts before a call fails and the outbox's own,
   * slower retries take over. Default: 8 retries, backing off from 250 ms to 30 s.
   */
  readonly retryConfig?: RetryOptions;
  /**
   * The largest file to send. Default: Slack's 1 GB (upload-limits.ts); a workspace whose admins
   * restrict uploads (Slack then answers `file_upload_size_restricted`) takes less.
   */
  readonly maxUploadBytes?: number;
}

/** The metadata event type of the bot's keyed posts (Slack message metadata). */
const POST_EVENT_TYPE = 'incident_bot_post';

/**
 * Slack as a ChatPlatform, on the real Bolt app. Outbound calls go through SlackOutbound (pacing,
 * coalesced card updates; WebClient retries 429/5xx/timeouts); inbound traffic is mapped to
 * InboundEvents in listeners.ts and acknowledged before the work starts.
 */
export class SlackChat implements ChatPlatform {
  readonly id = 'slack';
  readonly capabilities: ChatCapabilities = {
    modals: true,
    ephemeral: true,
    threads: true,
    fileUpload: true,
    maxTextLength: SLACK_LIMITS.sectionText,
  };
  readonly maxUploadBytes: number;
  readonly app: App;
  readonly client: WebClient;
  readonly outbound: SlackOutbound;
  readonly directory: SlackDirectory;
  /** Set in HTTP mode: the router hands `/slack/events` requests to it. */
  readonly httpReceiver: MountedHttpReceiver | undefined;
  private botUserId = '';
  private announceId: string | undefined;
  /** The last topic set per channel, so an unchanged topic costs no call. */
  private readonly topics = new Map<string, string>();

  constructor(private readonly options: SlackOptions) {
    this.maxUploadBytes = options.maxUploadBytes ?? SLACK_MAX_UPLOAD_BYTES;
    const logger = boltLogger(options.logger);
    const clientOptions = {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      // A stuck request must not hold the queue: time out, and let the retry policy try again.
      timeout: 10_000,
      retryConfig: options.retryConfig ?? {
        retries: 8,
        factor: 2,
        minTimeout: 250,
        maxTimeout: 30_000,
        randomize: true,
      },
      logger,
    };
    this.client = new WebClient(options.botToken, clientOptions);
    this.client.on(WebClientEvent.RATE_LIMITED, () => chatRateLimited.inc({ platform: 'slack' }));
    this.httpReceiver =
      options.appToken || !options.signingSecret
        ? undefined
        : new MountedHttpReceiver({ signingSecret: options.signingSecret, logger });
    const receiver: Receiver | undefined = this.httpReceiver;
    this.app = new App({
      token: options.botToken,
      logger,
      clientOptions,
      // The bot's own posts are not part of any timeline.
      ignoreSelf: true,
      // Bolt would call auth.test from its constructor and leave a rejection nobody awaits (a
      // crash with a stack trace for a wrong token); init() runs in start() after our own check.
      deferInitialization: true,
      ...(options.appToken
        ? { appToken: options.appToken, socketMode: true, installerOptions: { clientOptions } }
        : { receiver }),
    } as ConstructorParameters<typeof App>[0]);
    this.outbound = new SlackOutbound(this.client);
    this.directory = new SlackDirectory(this.outbound, options.logger);
  }

  async start(handler: InboundHandler): Promise<void> {
    const apiUrl = this.options.apiUrl ?? 'https://slack.com/api/';
    this.options.logger.info({ apiUrl }, 'connecting to Slack');
    // At start-up a wrong token or an unreachable Slack must fail within seconds, not after the
    // half-minute of retries that keep calls alive once the bot is running.
    const probe = new WebClient(this.options.botToken, {
      ...(this.options.apiUrl ? { slackApiUrl: this.options.apiUrl } : {}),
      timeout: 10_000,
      retryConfig: { retries: 1, minTimeout: 500, maxTimeout: 1000 },
      logger: boltLogger(this.options.logger),
    });
    let auth: { user_id?: string };
    try {
      auth = (await probe.auth.test()) as { user_id?: string };
    } catch (err) {
      const code = (err as { code?: string; data?: { error?: string } }).data?.error;
      if (!code) {
        throw new BotError(
          'bot.slack.unreachable',
          `Cannot reach Slack at ${apiUrl}: ${(err as Error).message}.`,
          {
            hint: 'Check the network or proxy, and SLACK_API_URL if you set it.',
            cause: err,
          },
        );
      }
      throw new BotError(
        'bot.slack.auth_failed',
        `Slack did not accept SLACK_BOT_TOKEN: ${slackApiError('auth.test', code, err).message}`,
        {
          hint: 'Copy the Bot User OAuth Token (xoxb-…) from the app’s OAuth & Permissions page.',
          cause: err,
        },
      );
    }
    this.botUserId = auth.user_id ?? '';
    this.announceId = await this.resolveAnnounceChannel();
    await this.app.init();
    registerListeners(this, handler, this.options.logger);
    await this.app.start();
    this.options.logger.info(
      { mode: this.options.appToken ? 'socket' : 'http', botUserId: this.botUserId },
      'connected to Slack',
    );
  }

  async stop(): Promise<void> {
    await this.app.stop().catch(() => undefined);
  }

  get userId(): string {
    return this.botUserId;
  }

  /**
   * Delivers a reply the Slack way. Through the response_url when there is one: it works in any
   * channel, also where the bot is not a member; else chat.postEphemeral / chat.postMessage.
   */
  async deliver(target: ReplyTarget, reply: Reply): Promise<void> {
    const rendered = toBlocks(reply.message);
    if (target.respond) {
      try {
        await target.respond({
          response_type: reply.visibility === 'channel' ? 'in_channel' : 'ephemeral',
          replace_original: false,
          ...rendered,
        });
        return;
      } catch (err) {
        this.options.logger.warn({ err }, 'response_url failed; replying through the Web API');
      }
    }
    if (reply.visibility === 'channel') {
      try {
        await this.postMessage(target.channel, reply.message);
        return;
      } catch (err) {
        this.options.logger.info(
          { err },
          'could not post the reply in the channel; showing it to the person',
        );
      }
    }
    try {
      await this.postEphemeral(target.channel, target.user, reply.message);
    } catch (err) {
      // No response_url left, and the bot cannot show it in the channel (one it cannot see, or
      // Slack is failing): the request itself was handled, only its answer is lost. Said here,
      // not as a failed event.
      this.options.logger.warn(
        { err, channel: target.channel, user: target.user },
        'could not show the reply to the person who asked (no response_url and no access to the channel)',
      );
    }
  }

  async createChannel(input: CreateChannelInput): Promise<ChannelRef> {
    let created: { channel: { id: string; name: string } };
    try {
      created = await this.request('conversations.create', { name: input.name, is_private: input.private });
    } catch (err) {
      // WebClient retries a create whose answer was lost; the retry then hears name_taken for the
      // channel the first attempt made. Incident channel names are unique (they carry the number),
      // so a channel of that name this bot created moments ago is that one: use it, not a second.
      const mine =
        isBotError(err) && err.code === 'bot.chat.name_taken'
          ? await this.ownRecentChannel(input.name)
          : undefined;
      if (!mine) throw err;
      this.options.logger.info(
        { channel: mine.id, name: mine.name },
        'adopted the channel a retried create had made',
      );
      created = { channel: mine };
    }
    if (input.topic) await this.setTopic(created.channel.id, input.topic);
    return { id: created.channel.id, name: created.channel.name };
  }

  /**
   * The unarchived channel called `name` that this bot created in the last ten minutes and has not
   * used yet (no topic), if any.
   */
  private async ownRecentChannel(name: string): Promise<{ id: string; name: string } | undefined> {
    const since = Date.now() / 1000 - 600;
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const res = await this.request<{
        channels?: {
          id: string;
          name: string;
          creator?: string;
          created?: number;
          topic?: { value?: string };
        }[];
        response_metadata?: { next_cursor?: string };
      }>('conversations.list', {
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      const found = res.channels?.find((c) => c.name === name);
      if (found) {
        // Untouched since: a channel the bot went on to use (a topic set) is a real name clash.
        const untouched = !found.topic?.value;
        return found.creator === this.botUserId && (found.created ?? 0) >= since && untouched
          ? { id: found.id, name: found.name }
          : undefined;
      }
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  async renameChannel(channelId: string, name: string): Promise<void> {
    await this.request('conversations.rename', { channel: channelId, name });
  }

  async archiveChannel(channelId: string): Promise<void> {
    await this.request('conversations.archive', { channel: channelId }).catch((err) => {
      if (!isSlackError(err, 'already_archived')) throw err;
    });
  }

  async setTopic(channelId: string, topic: string): Promise<void> {
    // Slack refuses topics over 250 characters (too_long).
    const text = graphemeHead(topic, SLACK_LIMITS.topic);
    // Tier 2 allows about 20 a minute: skip a topic that is already set.
    if (this.topics.get(channelId) === text) return;
    await this.request('conversations.setTopic', { channel: channelId, topic: text });
    this.topics.set(channelId, text);
  }

  async invite(channelId: string, userIds: readonly string[]): Promise<void> {
    const users = [...new Set(await this.directory.expand(userIds))].filter((u) => u !== this.botUserId);
    if (users.length === 0) return;
    try {
      await this.request('conversations.invite', { channel: channelId, users: users.join(','), force: true });
    } catch (err) {
      // One bad id fails the whole call; invite the rest one by one so nobody is left out.
      const already = isSlackError(err, 'already_in_channel');
      if (already || users.length === 1) {
        if (!already) throw err;
        return;
      }
      for (const user of users) {
        await this.request('conversations.invite', { channel: channelId, users: user }).catch((e) =>
          this.options.logger.warn({ err: e, user }, 'could not invite a responder'),
        );
      }
    }
  }

  async announceChannelId(): Promise<string | undefined> {
    return this.announceId;
  }

  /** A keyed post carries its key in the message's metadata, where findPosted looks for it. */
  async postMessage(
    channelId: string,
    message: ChatMessage,
    options: PostOptions = {},
  ): Promise<{ messageId: string }> {
    const r = await this.request<{ ts: string }>('chat.postMessage', {
      channel: channelId,
      ...toBlocks(message),
      unfurl_links: false,
      ...(options.key
        ? { metadata: { event_type: POST_EVENT_TYPE, event_payload: { key: options.key } } }
        : {}),
    });
    return { messageId: r.ts };
  }

  /**
   * Looks through the channel's newest messages for one this bot posted with `key` in its metadata:
   * a post retried after a crash was perhaps already there.
   */
  async findPosted(channelId: string, key: string): Promise<{ messageId: string } | undefined> {
    const r = await this.request<{
      messages?: {
        ts: string;
        bot_id?: string;
        metadata?: { event_type?: string; event_payload?: { key?: unknown } };
      }[];
    }>('conversations.history', { channel: channelId, limit: 200, include_all_metadata: true });
    const found = r.messages?.find(
      (m) => m.metadata?.event_type === POST_EVENT_TYPE && m.metadata.event_payload?.key === key,
    );
    return found ? { messageId: found.ts } : undefined;
  }

  async updateMessage(channelId: string, messageId: string, message: ChatMessage): Promise<void> {
    await this.request('chat.update', { channel: channelId, ts: messageId, ...toBlocks(message) });
  }

  async postEphemeral(channelId: string, userId: string, message: ChatMessage): Promise<void> {
    await this.request('chat.postEphemeral', { channel: channelId, user: userId, ...toBlocks(message) });
  }

  /**
   * Slack's uploads take no metadata: a file this bot shared in the channel's newest messages with
   * the same name and title (the title carries the draft's version) is taken for the earlier upload.
   */
  async findUploaded(channelId: string, file: FileUpload): Promise<boolean> {
    const r = await this.request<{
      messages?: { user?: string; files?: { name?: string; title?: string }[] }[];
    }>('conversations.history', { channel: channelId, limit: 200 });
    return (r.messages ?? []).some(
      (m) =>
        m.user === this.botUserId &&
        (m.files ?? []).some((f) => f.name === file.filename && f.title === file.title),
    );
  }

  /**
   * Text goes as `content`, bytes as `file` (a Buffer, sent as it is). Slack takes no content type:
   * it types the file by its name's extension (WebClient: "indicate file type … via the required
   * filename property"), so `file.contentType` has nowhere to go.
   */
  async uploadFile(channelId: string, file: FileUpload): Promise<void> {
    assertUploadFits('Slack', this.maxUploadBytes, file);
    const data = file.encoding === 'base64' ? { file: fileBytes(file) } : { content: file.content };
    try {
      await this.client.filesUploadV2({
        channel_id: channelId,
        filename: file.filename,
        title: file.title,
        ...data,
      });
    } catch (err) {
      throw slackError('files.uploadV2', err);
    }
  }

  /** Who is in the channel, from conversations.members (the bot is in every incident channel). */
  async isMember(channelId: string, userId: string): Promise<boolean> {
    let cursor: string | undefined;
    do {
      const page = await this.request<{ members?: string[]; response_metadata?: { next_cursor?: string } }>(
        'conversations.members',
        { channel: channelId, limit: 200, ...(cursor ? { cursor } : {}) },
      );
      if (page.members?.includes(userId)) return true;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return false;
  }

  async resolveUser(reference: string): Promise<Actor | undefined> {
    return this.directory.resolve(reference);
  }

  mention(userId: string): string {
    return `<@${userId}>`;
  }

  channelLink(channel: ChannelRef): string {
    // The name after the bar is the fallback where Slack cannot resolve the id (notifications).
    return channel.name ? `<#${channel.id}|${channel.name}>` : `<#${channel.id}>`;
  }

  /** Slack renders `{ago}` as "16 minutes ago", current whenever the message is read. */
  relativeTime(at: Date, fallback: string): string {
    return `<!date^${Math.floor(at.getTime() / 1000)}^{ago}|${fallback}>`;
  }

  /** Slack renders <!date^…> in each reader's own time zone. */
  localTime(at: Date, fallback: string, withDate: boolean): string {
    const epoch = Math.floor(at.getTime() / 1000);
    return `<!date^${epoch}^${withDate ? '{date_short_pretty} {time}' : '{time}'}|${fallback}>`;
  }

  private async request<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown>,
  ): Promise<T> {
    try {
      return await this.outbound.call<T>(method, params);
    } catch (err) {
      throw slackError(method, err);
    }
  }

  private async resolveAnnounceChannel(): Promise<string | undefined> {
    const wanted = this.options.announceChannel;
    if (!wanted) return undefined;
    if (/^[CG][A-Z0-9]{2,}$/.test(wanted)) return wanted;
    const name = wanted.replace(/^#/, '');
    let cursor: string | undefined;
    do {
      const page = await this.request<{
        channels?: { id: string; name: string }[];
        response_metadata?: { next_cursor?: string };
      }>('conversations.list', {
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      const found = page.channels?.find((c) => c.name === name);
      if (found) return found.id;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    throw new BotError(
      'bot.slack.announce_channel',
      `SLACK_ANNOUNCE_CHANNEL #${name} was not found in Slack.`,
      {
        hint: 'Create the channel (or fix the name), or give its id (C…); for a private one, invite the bot first.',
      },
    );
  }
}
