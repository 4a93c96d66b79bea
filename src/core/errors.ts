import { ERROR_CODES, type ErrorCode, type ErrorKind } from './error-codes.ts';

export { ERROR_CODES, ERROR_KINDS, type ErrorCode, type ErrorKind } from './error-codes.ts';

export interface BotErrorOptions {
  readonly hint?: string;
  readonly cause?: unknown;
  /**
   * Only where an adapter maps a platform's error (Slack's `ratelimited`, Discord's 429 or 50013):
   * one code, several kinds. Everywhere else the kind is the code's, from ERROR_CODES.
   */
  readonly kind?: ErrorKind;
  /** The platform's own code (Slack `channel_not_found`, Discord 50013, HTTP 503): logs and tests. */
  readonly platformCode?: string | number;
}

/**
 * Coded errors: `code` is stable and machine-readable (`bot.command.unknown`), `kind` says what
 * sort of failure it is (what retries and HTTP statuses go by), `message` is the one line a person
 * reads in chat, `hint` says what to do next. One handler turns them into replies; anything that
 * is not a BotError is logged with its cause and answered with a generic line.
 */
export class BotError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly platformCode: string | number | undefined;
  constructor(code: ErrorCode, message: string, options: BotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BotError';
    this.code = code;
    this.kind = options.kind ?? ERROR_CODES[code];
    this.hint = options.hint;
    this.platformCode = options.platformCode;
  }
}

export function isBotError(err: unknown): err is BotError {
  return err instanceof BotError;
}

/** A BotError's kind; anything else is a bug (`internal`). */
export function errorKind(err: unknown): ErrorKind {
  return isBotError(err) ? err.kind : 'internal';
}

/** The one line a person reads for an error that is not a BotError (the log has the rest). */
export function internalErrorText(ref?: string): string {
  return `Something went wrong on the bot's side${ref ? ` (ref ${ref})` : ''}; the log has the details.`;
}

/**
 * The chat text of any error, everywhere the bot shows one: a BotError's own message (with its
 * hint after it, on its own line or inline, when asked), anything else the generic line. Never a
 * stack trace, and never the message of an error that is not a BotError: a TypeError's words
 * mean nothing to the person reading, and a driver's may carry a query or a path.
 */
export function describeError(
  err: unknown,
  options: { readonly hint?: 'line' | 'inline'; readonly ref?: string } = {},
): string {
  if (!isBotError(err)) return internalErrorText(options.ref);
  if (!options.hint || !err.hint) return err.message;
  return `${err.message}${options.hint === 'line' ? '\n' : ' '}${err.hint}`;
}

/**
 * The kind of an HTTP error status, for adapters that map one (Discord, the model server, the
 * Kubernetes API): 429 waits, 408 and 5xx may pass, the other 4xx are refusals.
 */
export function kindOfHttpStatus(status: number): ErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'unavailable';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 400) return 'invalid';
  return 'internal';
}

/**
 * System and undici error codes of a request that got no answer: refused, reset, unresolvable,
 * timed out. Such a failure says nothing about the request, so it is `unavailable`.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * Whether `err` is a request that never got an answer (the network, a timeout, an abort), rather
 * than an answer or a bug: Node's system errors, undici's (`UND_ERR_*`, also as fetch's cause),
 * and the AbortError / TimeoutError of a request's deadline.
 */
export function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
    if (name === 'AbortError' || name === 'TimeoutError' || name === 'ConnectTimeoutError') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
