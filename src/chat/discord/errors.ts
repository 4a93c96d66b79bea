import { BotError } from '../../core/index.ts';

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
  50001: 'the bot cannot see that channel (Missing Access)',
  50013:
    'the bot lacks a permission there; re-invite it with the URL in the README (Manage Channels, Manage Roles)',
  50035: 'Discord refused the request as invalid',
};

interface ApiErrorLike {
  readonly code?: number | string;
  readonly status?: number;
  readonly message?: string;
}

/** A failed Discord call as a coded error: the person reads the short text, the log keeps the cause. */
export function discordError(what: string, err: unknown): BotError {
  if (err instanceof BotError) return err;
  const e = (err ?? {}) as ApiErrorLike;
  const code = typeof e.code === 'number' ? e.code : undefined;
  const text =
    (code !== undefined ? CODE_TEXT[code] : undefined) ??
    (e.status === 401 ? 'DISCORD_TOKEN is not valid' : undefined) ??
    (err instanceof Error ? err.message : String(err));
  return new BotError(
    `bot.discord.${code ?? e.status ?? 'request_failed'}`,
    `Discord refused to ${what}: ${text}.`,
    {
      cause: err,
    },
  );
}
