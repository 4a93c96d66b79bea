import { type Actor, BotError, formatBytes } from '../core/index.ts';
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

/**
 * A file the bot attaches to a channel: the post-mortem draft (Markdown text), a node's
 * diagnostic bundle (gzip bytes). It travels through the outbox as JSON, so bytes that are not
 * text ride as base64 and every platform sends them as they are, never as UTF-8 text.
 */
export interface FileUpload {
  readonly filename: string;
  readonly title: string;
  /** The text itself (`utf8`, the default), or the file's bytes in base64 (`base64`). */
  readonly content: string;
  readonly encoding?: 'utf8' | 'base64';
  /**
   * The MIME type (`application/gzip`). Absent: what the platforms always sent the bot's text
   * files as (`fileContentType`). Slack takes none: it types a file by its name's extension.
   */
  readonly contentType?: string;
}

/** Standard base64 (RFC 4648 §4, padded), which is what `Buffer.toString('base64')` writes. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Whether `text` is padded standard base64. Node's decoder skips characters it does not know
 * instead of failing, so a damaged payload would otherwise arrive as different bytes, silently.
 */
export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64.test(text);
}

/** A MIME type as a header can carry it: `type/subtype` and parameters, no control characters. */
export const MIME_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;[\x20-\x7e]*)?$/;

/** The file's bytes: its base64 decoded, or its text as UTF-8. */
export function fileBytes(file: FileUpload): Buffer {
  if (file.encoding !== 'base64') return Buffer.from(file.content, 'utf8');
  if (!isBase64(file.content)) throw new Error(`The content of ${file.filename} is not valid base64.`);
  return Buffer.from(file.content, 'base64');
}

/** How many bytes the file is, without decoding it. */
export function fileSize(file: FileUpload): number {
  return Buffer.byteLength(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');
}

/**
 * The MIME type a platform sends the file with: its own, else `text/markdown` for text (what the
 * bot's one text file, the post-mortem draft, always went as), else plain bytes.
 */
export function fileContentType(file: FileUpload): string {
  return file.contentType ?? (file.encoding === 'base64' ? 'application/octet-stream' : 'text/markdown');
}

const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/**
 * Refuses, before anything is sent, a file larger than `platform` takes. Not transient
 * (`invalid`): the same file is as large on every retry, so the outbox gives up at once and
 * the incident's timeline says why.
 */
export function assertUploadFits(platform: string, maxBytes: number, file: FileUpload): void {
  const size = fileSize(file);
  if (size <= maxBytes) return;
  throw new BotError(
    'bot.chat.file_too_large',
    `${file.filename} is ${formatBytes(size)} (${bytes(size)}); ${platform} takes files of up to ${formatBytes(maxBytes)} (${bytes(maxBytes)}).`,
    { hint: 'Send it in smaller parts, or share it from somewhere else and post the link.' },
  );
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
  /**
   * The largest single file (in bytes) this platform takes from the bot, as it is connected now
   * (Discord's depends on the server's boost tier): see src/chat/upload-limits.ts for each
   * platform's figure and where it is documented. `uploadFile` refuses a larger one with
   * `bot.chat.file_too_large` before sending anything.
   */
  readonly maxUploadBytes: number;

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
  /**
   * With a key, as postMessage: a platform that can tell returns the earlier upload instead. The
   * bytes arrive as they are (`fileBytes`), with the file's content type where the platform takes one.
   */
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
