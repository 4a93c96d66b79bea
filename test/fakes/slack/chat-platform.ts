import type { ChatMessage } from '../../../src/chat/message.ts';
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
} from '../../../src/chat/port.ts';
import { slackApiError, slackErrorKind } from '../../../src/chat/slack/errors.ts';
import { type Actor, BotError } from '../../../src/core/index.ts';
import { completeUpload, receiveUpload, startUpload } from './uploads.ts';
import type { SlackResult, Workspace } from './workspace.ts';

export interface FakeSlackChatOptions {
  /** Name of the channel announceChannelId() reports (default `incidents`, which the fake seeds). */
  readonly announceChannel?: string | null;
}

/** Slack's refusal as the real adapter raises it: the same code and kind (src/chat/slack/errors.ts). */
function unwrap<T>(r: SlackResult<T>, method: string): T {
  if (r.ok) return r.value;
  throw slackApiError(method, r.error);
}

/** Block Kit for a platform-neutral message, the plain way (the fake's own renderer). */
export function renderBlocks(message: ChatMessage): unknown[] {
  const blocks: unknown[] = [];
  if (message.header)
    blocks.push({ type: 'header', text: { type: 'plain_text', text: message.header, emoji: true } });
  for (const s of message.sections ?? []) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: s } });
  const fields = message.fields ?? [];
  for (let i = 0; i < fields.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: fields.slice(i, i + 10).map((f) => ({ type: 'mrkdwn', text: `*${f.label}*\n${f.value}` })),
    });
  }
  if (message.buttons && message.buttons.length > 0) {
    blocks.push({
      type: 'actions',
      elements: message.buttons.map((b) => ({
        type: 'button',
        action_id: b.id,
        value: b.id,
        text: { type: 'plain_text', text: b.label, emoji: true },
        ...(b.style ? { style: b.style } : {}),
        ...(b.confirm
          ? {
              confirm: {
                title: { type: 'plain_text', text: b.confirm.title },
                text: { type: 'mrkdwn', text: b.confirm.text },
                confirm: { type: 'plain_text', text: b.confirm.confirm },
                deny: { type: 'plain_text', text: b.confirm.deny },
              },
            }
          : {}),
      })),
    });
  }
  if (message.context && message.context.length > 0) {
    blocks.push({ type: 'context', elements: message.context.map((t) => ({ type: 'mrkdwn', text: t })) });
  }
  if (blocks.length === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: message.text } });
  return blocks;
}

/**
 * The ChatPlatform port straight over the fake's state, with the same rules as its Web API
 * (name_taken also for archived channels, membership, archived channels refusing posts). Inbound
 * events are not translated here: turning Slack payloads into InboundEvents is the real
 * adapter's job, tested end to end against the fake's wire.
 */
export class FakeSlackChat implements ChatPlatform {
  readonly id = 'slack';
  readonly capabilities: ChatCapabilities = {
    modals: true,
    ephemeral: true,
    threads: true,
    fileUpload: true,
    maxTextLength: 3000,
  };
  private handler: InboundHandler | undefined;

  constructor(
    private readonly ws: Workspace,
    private readonly origin: () => string,
    private readonly options: FakeSlackChatOptions = {},
  ) {}

  /** What the fake's files.getUploadURLExternal takes, refused here first as the adapter does. */
  get maxUploadBytes(): number {
    return this.ws.maxUploadBytes;
  }

  private get bot(): string {
    return this.ws.identity.botUserId;
  }

  get started(): boolean {
    return this.handler !== undefined;
  }

  async start(handler: InboundHandler): Promise<void> {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.handler = undefined;
  }

  async createChannel(input: CreateChannelInput): Promise<ChannelRef> {
    const c = unwrap(this.ws.createChannel(this.bot, input.name, input.private), 'conversations.create');
    if (input.topic) unwrap(this.ws.setTopic(this.bot, c.id, input.topic), 'conversations.setTopic');
    return { id: c.id, name: c.name };
  }

  async renameChannel(channelId: string, name: string): Promise<void> {
    unwrap(this.ws.renameChannel(this.bot, channelId, name), 'conversations.rename');
  }

  async archiveChannel(channelId: string): Promise<void> {
    const r = this.ws.archiveChannel(this.bot, channelId);
    if (!r.ok && r.error === 'already_archived') return;
    unwrap(r, 'conversations.archive');
  }

  async setTopic(channelId: string, topic: string): Promise<void> {
    unwrap(this.ws.setTopic(this.bot, channelId, topic), 'conversations.setTopic');
  }

  async invite(channelId: string, userIds: readonly string[]): Promise<void> {
    const wanted = userIds.filter((id) => id !== this.bot);
    if (wanted.length === 0) return;
    const r = this.ws.invite(this.bot, channelId, wanted, true);
    const value = unwrap(r, 'conversations.invite');
    const real = value.errors.filter((e) => e.error !== 'already_in_channel');
    if (real.length > 0) {
      // Slack answers each refused person with their own error; the first one says what kind it is.
      throw new BotError(
        'bot.slack.api_error',
        `Slack could not invite ${real.map((e) => e.user).join(', ')}.`,
        { kind: slackErrorKind(real[0]!.error), platformCode: real[0]!.error },
      );
    }
  }

  async announceChannelId(): Promise<string | undefined> {
    const name = this.options.announceChannel === undefined ? 'incidents' : this.options.announceChannel;
    if (name === null) return undefined;
    const c = this.ws.findChannel(name);
    return c && !c.archived ? c.id : undefined;
  }

  async postMessage(
    channelId: string,
    message: ChatMessage,
    options: PostOptions = {},
  ): Promise<{ messageId: string }> {
    const m = unwrap(
      this.ws.postMessage(this.bot, {
        channel: channelId,
        text: message.text,
        blocks: renderBlocks(message),
        ...(options.key
          ? { metadata: { event_type: 'incident_bot_post', event_payload: { key: options.key } } }
          : {}),
      }),
      'chat.postMessage',
    );
    return { messageId: m.ts };
  }

  /** As the adapter does: the key travels in the message's metadata. */
  async findPosted(channelId: string, key: string): Promise<{ messageId: string } | undefined> {
    const found = this.ws
      .channelMessages(channelId)
      .find(
        (m) => (m.metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key === key,
      );
    return found ? { messageId: found.ts } : undefined;
  }

  async updateMessage(channelId: string, messageId: string, message: ChatMessage): Promise<void> {
    unwrap(
      this.ws.updateMessage(this.bot, {
        channel: channelId,
        ts: messageId,
        text: message.text,
        blocks: renderBlocks(message),
      }),
      'chat.update',
    );
  }

  async postEphemeral(channelId: string, userId: string, message: ChatMessage): Promise<void> {
    unwrap(
      this.ws.postEphemeral(this.bot, {
        channel: channelId,
        user: userId,
        text: message.text,
        blocks: renderBlocks(message),
      }),
      'chat.postEphemeral',
    );
  }

  async findUploaded(channelId: string, file: FileUpload): Promise<boolean> {
    return this.ws.channelMessages(channelId).some(
      (m) =>
        m.user === this.bot &&
        m.files.some((id) => {
          const f = this.ws.files.get(id);
          return f?.filename === file.filename && f.title === file.title;
        }),
    );
  }

  async uploadFile(channelId: string, file: FileUpload): Promise<void> {
    assertUploadFits('Slack', this.maxUploadBytes, file);
    const bytes = fileBytes(file);
    const f = unwrap(
      startUpload(this.ws, this.bot, { filename: file.filename, length: bytes.length }),
      'files.getUploadURLExternal',
    );
    receiveUpload(this.ws, f.ticket, bytes);
    unwrap(
      completeUpload(this.ws, this.bot, { files: [{ id: f.id, title: file.title }], channel: channelId }),
      'files.completeUploadExternal',
    );
  }

  /** `<@U123>`, `<@U123|name>`, `@alice`, `U123`, a display or real name. */
  async resolveUser(reference: string): Promise<Actor | undefined> {
    const ref = reference.trim();
    const mention = /^<@([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(ref)?.[1];
    const key = (mention ?? ref.replace(/^@/, '')).toLowerCase();
    const u = [...this.ws.users.values()].find(
      (x) =>
        !x.deleted &&
        (x.id.toLowerCase() === key ||
          x.name.toLowerCase() === key ||
          x.displayName.toLowerCase() === key ||
          x.realName.toLowerCase() === key),
    );
    if (!u) return undefined;
    return {
      id: u.id,
      name: u.realName,
      groups: this.ws.groupsOf(u.id).map((g) => g.handle),
      timeZone: u.tz,
    };
  }

  mention(userId: string): string {
    return `<@${userId}>`;
  }

  channelLink(channel: ChannelRef): string {
    return `<#${channel.id}|${channel.name}>`;
  }

  /** Slack's date formatting: each reader sees the time in their own zone, `fallback` elsewhere. */
  localTime(at: Date, fallback: string, withDate: boolean): string {
    const tokens = withDate ? '{date_short_pretty} {time}' : '{time}';
    return `<!date^${Math.floor(at.getTime() / 1000)}^${tokens}|${fallback}>`;
  }

  /** A message permalink like chat.getPermalink gives. */
  permalink(channelId: string, messageId: string): string {
    return unwrap(this.ws.permalink(this.origin(), channelId, messageId), 'chat.getPermalink');
  }
}
