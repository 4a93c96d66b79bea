/**
 * Coded errors: `code` is stable and machine-readable (`bot.command.unknown`), `message` is the one
 * line a person reads in chat, `hint` says what to do next. One handler turns them into replies;
 * anything that is not a BotError is logged with its cause and answered with a generic line.
 */
export class BotError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BotError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isBotError(err: unknown): err is BotError {
  return err instanceof BotError;
}
