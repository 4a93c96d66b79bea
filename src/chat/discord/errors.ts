import { BotError, type ErrorKind, isNetworkError, kindOfHttpStatus } from '../../core/index.ts';

/** Where the one privileged intent the bot needs is switched on. */
export const MESSAGE_CONTENT_HINT =
  'Enable it in the Discord Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content Intent, save, and start the bot again.';

/** Discord's JSON error codes (docs: Opcodes and Status Codes → JSON error codes) that need words. */
const CODE_TEXT: Record<number, string> = {
  10003: 'the channel does not exist (deleted?)',
  10004: 'the bot is not in that server; invite it with the URL in the README',
  10008: 'the message does not exist (deleted?)',
  10013: 'no such user',
  30013: 'the server has 500 channels, Discord’s limit; delete old incident channels',
  40001: 'DISCORD_TOKEN is not valid',
  40005: 'the file is larger than this server takes (Request entity too large)',
  50001: 'the bot cannot see that channel (Missing Access)',
  50013:
    'the bot lacks a permission there; re-invite it with the URL in the README (Manage Channels, Manage Roles)',
  50035: 'Discord refused the request as invalid',
};

/**
 * The kind of a JSON error code where it says more than the HTTP status: 10xxx "Unknown …" are
 * missing things, 30xxx "Maximum number of …" reached, 50001/50013 missing access or permission.
 */
const CODE_KIND: Record<number, ErrorKind> = {
  10003: 'not_found',
  10004: 'not_found',
  10007: 'not_found',
  10008: 'not_found',
  10013: 'not_found',
  30013: 'conflict',
  40001: 'forbidden',
  // HTTP 413: a file over the server's limit is as large on every retry.
  40005: 'invalid',
  50001: 'forbidden',
  50013: 'forbidden',
  50035: 'invalid',
};

interface ApiErrorLike {
  readonly code?: number | string;
  readonly status?: number;
  readonly name?: string;
  readonly message?: string;
}

/** The kind of Discord's answer: by its JSON code when the bot knows it, else by the HTTP status. */
export function discordErrorKind(code: number | undefined, status: number | undefined): ErrorKind {
  if (code !== undefined && CODE_KIND[code]) return CODE_KIND[code];
  if (code !== undefined && code >= 10_000 && code < 20_000) return 'not_found';
  if (code !== undefined && code >= 30_000 && code < 40_000) return 'conflict';
  return status === undefined ? 'invalid' : kindOfHttpStatus(status);
}

/**
 * A failed Discord call as a coded error: the person reads the short text, the log keeps the cause.
 * An answer from Discord (DiscordAPIError, HTTPError for a 5xx after discord.js's retries,
 * RateLimitError) is `bot.discord.api_error` with its JSON code (or status) as `platformCode`; a
 * request that got no answer (reset, timeout) is `bot.discord.request_failed`, unavailable, so the
 * outbox tries it again. Anything else is a bug, returned as it is: it is neither Discord's words
 * nor worth retrying.
 */
export function discordError(what: string, err: unknown): unknown {
  if (err instanceof BotError) return err;
  const e = (err ?? {}) as ApiErrorLike;
  const code = typeof e.code === 'number' && e.code !== 0 ? e.code : undefined;
  // discord.js names a RateLimitError after its route: `RateLimitError[/channels/:id/messages]`.
  const limited = typeof e.name === 'string' && e.name.startsWith('RateLimitError');
  const status = typeof e.status === 'number' ? e.status : limited ? 429 : undefined;
  const text =
    (code !== undefined ? CODE_TEXT[code] : undefined) ??
    (status === 401 ? 'DISCORD_TOKEN is not valid' : undefined) ??
    (err instanceof Error ? err.message : String(err));
  if (code !== undefined || status !== undefined) {
    return new BotError('bot.discord.api_error', `Discord refused to ${what}: ${text}.`, {
      kind: discordErrorKind(code, status),
      platformCode: code ?? status,
      cause: err,
    });
  }
  if (isNetworkError(err)) {
    return new BotError('bot.discord.request_failed', `Discord refused to ${what}: ${text}.`, { cause: err });
  }
  return err;
}
