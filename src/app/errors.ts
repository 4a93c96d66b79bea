import type { Logger } from 'pino';
import { ephemeral, type Reply } from '../chat/message.ts';
import { describeError, isBotError } from '../core/index.ts';

/**
 * The one error handler: a BotError becomes its short message and hint; anything else is logged
 * with its cause and the person gets a generic line with a reference to find it in the log.
 * Never a stack trace in chat.
 */
export function errorReply(err: unknown, logger: Logger, context: Record<string, unknown>): Reply {
  if (isBotError(err)) {
    logger.info({ code: err.code, kind: err.kind, ...context }, err.message);
    const text = `❌ ${describeError(err, { hint: 'line' })}`;
    return ephemeral({ text, sections: [text] });
  }
  const ref = Math.random().toString(36).slice(2, 8);
  logger.error({ err, ref, ...context }, 'unexpected error while handling an event');
  const text = `❌ ${describeError(err, { ref })}`;
  return ephemeral({ text, sections: [text] });
}
