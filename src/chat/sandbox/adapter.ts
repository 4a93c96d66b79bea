import { randomUUID } from 'node:crypto';
import { type Actor, BotError } from '../../core/index.ts';
import type { ChatMessage, Reply } from '../message.ts';
import {
  assertUploadFits,
  type ChannelRef,
  type ChatCapabilities,
  type ChatPlatform,
  type CreateChannelInput,
  type FileUpload,
  fileBytes,
  fileSize,
  type InboundEvent,
  type InboundHandler,
  type PostOptions,
} from '../port.ts';
import { SANDBOX_MAX_UPLOAD_BYTES } from '../upload-limits.ts';
import { ANNOUNCE_CHANNEL, type SandboxWorkspace } from './workspace.ts';

export interface SandboxUser {
  readonly id: string;
  readonly name: string;
  readonly groups: readonly string[];
}

type Distribute<T> = T extends unknown ? Omit<T, 'eventId' | 'actor' | 'at'> : never;
export type SandboxInput = Distribute<InboundEvent> & { readonly eventId?: string };

/**
 * The local sandbox as a chat platform: what Slack and Discord do over their APIs, this does over
 * the workspace tables. The HTTP routes feed people's typing and clicking in through `receive`.
 */
export class SandboxChat implements ChatPlatform {
  readonly id = 'sandbox';
  readonly capabilities: ChatCapabilities = {
    modals: false,
    ephemeral: true,
    threads: false,
    fileUpload: true,
    maxTextLength: 3900,
  };
  readonly maxUploadBytes = SANDBOX_MAX_UPLOAD_BYTES;
  private handler: InboundHandler | undefined;

  constructor(
    readonly workspace: SandboxWorkspace,
    readonly users: readonly SandboxUser[],
    private readonly now: () => Date,
  ) {}

  async start(handler: InboundHandler): Promise<void> {
    await this.workspace.seed();
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.handler = undefined;
  }

  user(id: string, timeZone?: string): Actor {
    const u = this.users.find((x) => x.id === id);
    if (!u) {
      throw new BotError('bot.user.unknown', `There is no sandbox user "${id}".`, {
        hint: `Pick one of: ${this.users.map((x) => x.id).join(', ')}.`,
      });
    }
    return { id: u.id, name: u.name, groups: u.groups, ...(timeZone ? { timeZone } : {}) };
  }

  /**
   * Delivers one inbound event as a person did it, and shows the bot's answer the way a real
   * platform would: in the channel for everyone, or ephemeral to that person.
   */
  async receive(
    userId: string,
    timeZone: string | undefined,
    input: SandboxInput,
  ): Promise<Reply | undefined> {
    if (!this.handler) throw new BotError('bot.chat.not_started', 'The sandbox is not running yet.');
    const actor = this.user(userId, timeZone);
    const event = { ...input, eventId: input.eventId ?? randomUUID(), actor, at: this.now() } as InboundEvent;
    const reply = await this.handler(event);
    if (reply) {
      const channel = await this.workspace.getChannel(event.channelId);
      // An archived channel takes no posts: the answer goes to the person alone.
      if (reply.visibility === 'channel' && !channel.archived) {
        await this.workspace.post(event.channelId, null, reply.message);
      } else {
        this.workspace.postEphemeral(event.channelId, actor.id, reply.message);
      }
    }
    return reply;
  }

  async createChannel(input: CreateChannelInput): Promise<ChannelRef> {
    try {
      const c = await this.workspace.createChannel(input.name, input.topic, input.private);
      return { id: c.id, name: c.name };
    } catch (err) {
      // A create retried after a crash finds the channel the first attempt made: channel names
      // carry the incident number, so an untouched one made in the last ten minutes is that one.
      if (!(err instanceof BotError && err.code === 'bot.chat.name_taken')) throw err;
      const c = await this.workspace.findChannelByName(input.name);
      const fresh = c && !c.archived && !c.topic && Date.now() - Date.parse(c.createdAt) < 600_000;
      if (!c || !fresh || (await this.workspace.listMessages(c.id, '', 1)).length > 0) throw err;
      return { id: c.id, name: c.name };
    }
  }

  async renameChannel(channelId: string, name: string): Promise<void> {
    await this.workspace.updateChannel(channelId, { name });
  }

  async archiveChannel(channelId: string): Promise<void> {
    await this.workspace.updateChannel(channelId, { archived: true });
  }

  async setTopic(channelId: string, topic: string): Promise<void> {
    await this.workspace.updateChannel(channelId, { topic });
  }

  async invite(channelId: string, userIds: readonly string[]): Promise<void> {
    await this.workspace.addMembers(
      channelId,
      userIds.filter((id) => this.users.some((u) => u.id === id)),
    );
  }

  async announceChannelId(): Promise<string | undefined> {
    return (await this.workspace.findChannelByName(ANNOUNCE_CHANNEL))?.id;
  }

  /** With a key, the message's id is derived from it: posting again returns the first message. */
  async postMessage(
    channelId: string,
    message: ChatMessage,
    options: PostOptions = {},
  ): Promise<{ messageId: string }> {
    const m = await this.workspace.post(
      channelId,
      null,
      message,
      options.key ? `M${options.key}` : undefined,
    );
    return { messageId: m.id };
  }

  async findPosted(channelId: string, key: string): Promise<{ messageId: string } | undefined> {
    const m = await this.workspace.getMessage(`M${key}`).catch(() => undefined);
    return m && m.channelId === channelId ? { messageId: m.id } : undefined;
  }

  async updateMessage(_channelId: string, messageId: string, message: ChatMessage): Promise<void> {
    await this.workspace.replaceMessage(messageId, message, false);
  }

  async postEphemeral(channelId: string, userId: string, message: ChatMessage): Promise<void> {
    this.workspace.postEphemeral(channelId, userId, message);
  }

  async uploadFile(channelId: string, file: FileUpload, options: PostOptions = {}): Promise<void> {
    assertUploadFits('the sandbox', this.maxUploadBytes, file);
    // The page shows the file as a download and, for Markdown text, rendered (collapsible), as
    // Slack and Discord show an attachment: the message itself only names it. Bytes are kept as
    // base64 (the row is JSON text) and served decoded (files.ts); fileBytes refuses damaged
    // base64, as it does for every platform.
    const binary = file.encoding === 'base64';
    await this.workspace.post(
      channelId,
      null,
      { text: `${file.title} (${file.filename})`, header: `📎 ${file.title}`, context: [file.filename] },
      options.key ? `M${options.key}` : undefined,
      // Text as it always was, name and content; bytes with what the page shows without them.
      binary
        ? {
            filename: file.filename,
            content: fileBytes(file).toString('base64'),
            encoding: 'base64',
            size: fileSize(file),
            ...(file.contentType ? { contentType: file.contentType } : {}),
          }
        : {
            filename: file.filename,
            content: file.content,
            ...(file.contentType ? { contentType: file.contentType } : {}),
          },
    );
  }

  async isMember(channelId: string, userId: string): Promise<boolean> {
    return (await this.workspace.getChannel(channelId)).members.includes(userId);
  }

  async resolveUser(reference: string): Promise<Actor | undefined> {
    const ref = reference.trim().replace(/^<?@/, '').replace(/>$/, '').toLowerCase();
    const u = this.users.find(
      (x) => x.id === ref || x.name.toLowerCase() === ref || x.name.toLowerCase().split(/\s/)[0] === ref,
    );
    return u ? this.user(u.id) : undefined;
  }

  mention(userId: string): string {
    return `@${userId}`;
  }

  /** The page renders `<!ago^ms|fallback>` as "16 minutes ago" and keeps it current. */
  relativeTime(at: Date, fallback: string): string {
    return `<!ago^${at.getTime()}|${fallback}>`;
  }

  channelLink(channel: ChannelRef): string {
    return `#${channel.name}`;
  }
}
