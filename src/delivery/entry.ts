import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { ChatMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/port.ts';
import { BotError, errorKind, isNetworkError } from '../core/index.ts';
import { isTransientStoreError } from '../store/errors.ts';
import type { OutboxEntry, Tx } from '../store/port.ts';
import type { ChatOps } from './ops.ts';

/*
 * What an outbox entry is to the code around the outbox: the drafts deciding code writes, the
 * handlers that deliver them, the entry's id (the platform's idempotency key) and which failures
 * a later attempt could get past.
 */

/** Op name → the schema of its payload (CHAT_OPS for the bot; tests bring their own). */
export type OpTable = Readonly<Record<string, z.ZodType<Readonly<Record<string, unknown>>>>>;

/** A chat call to make, as the deciding code writes it: an op of the table and its payload. */
export type OutboxDraft<T extends OpTable = ChatOps> = {
  readonly [K in keyof T & string]: {
    readonly incidentId: string | null;
    readonly op: K;
    readonly payload: z.infer<T[K]>;
  };
}[keyof T & string];

/** An entry as its handler gets it: the payload read back and checked against the op's schema. */
export type OpEntry<T extends OpTable, K extends keyof T & string> = Omit<OutboxEntry, 'op' | 'payload'> & {
  readonly op: K;
  readonly payload: z.infer<T[K]>;
};

/**
 * What a handler did. `after` runs in the transaction that marks the entry delivered (recording the
 * id of the message it posted, say), so the two commit together.
 */
export interface HandlerResult<T extends OpTable = ChatOps> {
  readonly after?: (tx: Tx) => Promise<void>;
  /** More entries the handler decided on (the card after the channel): written in that transaction. */
  readonly next?: readonly OutboxDraft<T>[];
}

/**
 * Delivers one entry. `entry.attempts > 1` means an earlier delivery may have reached the platform:
 * a post then looks for itself before posting again (postOnce). Throw a BotError from
 * `notReady()` to wait for something (the channel) without counting it as a failure.
 */
export type OpHandler<T extends OpTable, K extends keyof T & string> = (
  entry: OpEntry<T, K>,
) => Promise<HandlerResult<T> | undefined>;

/** One handler per op of the table, every one of them: the compiler says which is missing. */
export type OpHandlers<T extends OpTable = ChatOps> = { readonly [K in keyof T & string]: OpHandler<T, K> };

/**
 * Posts `message` for `entry` exactly once: with the entry's id as the platform's idempotency key,
 * and on a retry (an earlier attempt may have landed) only if findPosted does not find that post.
 * Returns the message id. `message` may be a function, to draw the message only when posting.
 */
export async function postOnce(
  chat: ChatPlatform,
  channelId: string,
  entry: Pick<OutboxEntry, 'id' | 'attempts'>,
  message: ChatMessage | (() => Promise<ChatMessage>),
): Promise<string> {
  const found = entry.attempts > 1 ? await chat.findPosted?.(channelId, entry.id) : undefined;
  if (found) return found.messageId;
  const body = typeof message === 'function' ? await message() : message;
  return (await chat.postMessage(channelId, body, { key: entry.id })).messageId;
}

const KEY_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** 22 random characters after `ob`: within Discord's 25-character nonce, about 131 bits. */
export function newOutboxId(): string {
  const bytes = randomBytes(22);
  let id = 'ob';
  for (const b of bytes) id += KEY_ALPHABET[b % KEY_ALPHABET.length];
  return id;
}

/**
 * Whether a later attempt could succeed: the platform was down, slow or not ready
 * (`unavailable`, also the channel not open yet) or asked the bot to slow down (`rate_limited`).
 * A refusal is final. Anything that is not a BotError is a bug (`internal`): retried for twenty
 * minutes it would only hide itself, so it fails at once and is logged as one. Adapters wrap what
 * the network does to a request (resets, timeouts) as `unavailable`, so an outage is still retried;
 * the database's own passing failures (a lost connection, a busy file) are retried too: the call
 * itself was never the problem.
 */
export function isTransient(err: unknown): boolean {
  const kind = errorKind(err);
  return (
    kind === 'unavailable' || kind === 'rate_limited' || isTransientStoreError(err) || isNetworkError(err)
  );
}

/** Thrown by a handler whose target does not exist yet (the channel is still being opened). */
export function notReady(what: string): BotError {
  return new BotError('bot.outbox.not_ready', `Waiting for ${what}.`);
}
