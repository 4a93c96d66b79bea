import type { Actor } from '../core/index.ts';
import type { ChatMessage, Reply } from './message.ts';

export interface ChatCapabilities {
  readonly modals: boolean;
  readonly ephemeral: boolean;
  readonly threads: boolean;
  readonly fileUpload: boolean;
  /** Longest text a single message section may carry. */
  readonly maxTextLength: number;
}

export interface ChannelRef {
  readonly id: string;
  readonly name: string;
}

export interface CreateChannelInput {
  readonly name: string;
  readonly topic: string;
  readonly private: boolean;
}

/** How a post is told apart from every other: see ChatPlatform.postMessage. */
export interface PostOptions {
  /**
   * Idempotency key from the outbox (at most 25 characters of [A-Za-z0-9_-]). Posting again with a
   * key the platform has already seen recently returns the earlier message instead of a second one
   * where the platform can tell (Discord's enforced nonce); elsewhere `findPosted` looks it up.
   */
  readonly key?: string;
}

export interface FileUpload {
  readonly filename: string;
  readonly title: string;
  readonly content: string;
}

interface InboundBase {
  /** Platform event id, used to drop redeliveries. */
  readonly eventId: string;
  readonly channelId: string;
  readonly actor: Actor;
  readonly at: Date;
}

export type InboundEvent =
  | (InboundBase & {
      readonly type: 'command';
      /** The slash command without its slash: `incident`. */
      readonly command: string;
      /** What follows it as typed (`declare GPU 5 down --severity sev2`); with `options`, only the subcommand. */
      readonly text: string;
      /**
       * Option values the platform delivered typed, by name (Discord's slash options, Slack's declare
       * form): the command's own schema reads them as they are, never re-typed as text.
       */
      readonly options?: Readonly<Record<string, string | number | boolean>>;
    })
  | (InboundBase & { readonly type: 'button'; readonly buttonId: string; readonly messageId: string })
  | (InboundBase & {
      readonly type: 'message';
      readonly messageId: string;
      readonly text: string;
      readonly threadId?: string;
    })
  | (InboundBase & { readonly type: 'message_edited'; readonly messageId: string; readonly text: string })
  | (InboundBase & { readonly type: 'message_deleted'; readonly messageId: string })
  | (InboundBase & {
      readonly type: 'reaction';
      readonly messageId: string;
      readonly emoji: string;
      readonly added: boolean;
    })
  | (InboundBase & { readonly type: 'pin'; readonly messageId: string; readonly added: boolean })
  /**
   * A click the adapter answers itself (Slack's `ask:` buttons: the question, or the refusal),
   * given to the handler only so that a click redelivered, or delivered to two replicas, is
   * answered once, like any other event.
   */
  | (InboundBase & { readonly type: 'prompt'; readonly reply: Reply });

/** The bot's answer to an inbound event; the adapter delivers it the platform's way. */
export type InboundHandler = (event: InboundEvent) => Promise<Reply | undefined>;

/**
 * ChatPlatform port. Adapters do I/O only; what to post is decided by the incident service.
 * Every adapter and its fake pass test/chat/contract.ts.
 */
export interface ChatPlatform {
  /** `sandbox`, `slack`, `discord`: stored on incidents so each lives where it was declared. */
  readonly id: string;
  readonly capabilities: ChatCapabilities;

  /** Throws BotError `bot.chat.name_taken` when the name is in use (also by an archived channel). */
  createChannel(input: CreateChannelInput): Promise<ChannelRef>;
  renameChannel(channelId: string, name: string): Promise<void>;
  archiveChannel(channelId: string): Promise<void>;
  setTopic(channelId: string, topic: string): Promise<void>;
  invite(channelId: string, userIds: readonly string[]): Promise<void>;

  /** The channel where new incidents are announced, if any. */
  announceChannelId(): Promise<string | undefined>;

  postMessage(channelId: string, message: ChatMessage, options?: PostOptions): Promise<{ messageId: string }>;
  /**
   * The message an earlier `postMessage` with this key left in the channel, if the platform can
   * find it (recent messages only). The outbox asks before posting again after a crash.
   */
  findPosted?(channelId: string, key: string): Promise<{ messageId: string } | undefined>;
  updateMessage(channelId: string, messageId: string, message: ChatMessage): Promise<void>;
  postEphemeral(channelId: string, userId: string, message: ChatMessage): Promise<void>;
  /** With a key, as postMessage: a platform that can tell returns the earlier upload instead. */
  uploadFile(channelId: string, file: FileUpload, options?: PostOptions): Promise<void>;
  /**
   * Whether an earlier `uploadFile` of this file (same name and title) is already in the channel,
   * where the platform cannot take a key with an upload (Slack; recent messages only).
   */
  findUploaded?(channelId: string, file: FileUpload): Promise<boolean>;

  /**
   * Whether the person is in the channel (may read it): a private incident's channel answers who
   * its members are. Absent: only the incident's record says who belongs to it.
   */
  isMember?(channelId: string, userId: string): Promise<boolean>;

  /** Turns a mention as typed (`@bob`, `<@U123>`) into a person, or undefined. */
  resolveUser(reference: string): Promise<Actor | undefined>;
  /** How to mention a person in a message on this platform. */
  mention(userId: string): string;
  /** How to link a channel in a message on this platform. */
  channelLink(channel: ChannelRef): string;
  /**
   * A time that each reader sees in their own zone, where the platform can (Slack's <!date>);
   * `fallback` is the text shown elsewhere. Absent: the fallback is used.
   */
  localTime?(at: Date, fallback: string, withDate: boolean): string;
  /**
   * "16 minutes ago", kept current by the reader's client (Slack's `{ago}`, Discord's `<t:…:R>`,
   * the sandbox page), so a card never says "0s" a quarter of an hour later. `fallback` is shown
   * where the token is not rendered (notifications). Absent: the fallback is used.
   */
  relativeTime?(at: Date, fallback: string): string;

  start(handler: InboundHandler): Promise<void>;
  stop(): Promise<void>;
}
