import type { z } from 'zod';
import { BotError } from '../core/errors.ts';
import { plural, truncateText } from '../core/text.ts';

/**
 * A webhook body the bot refuses. `message` is one line naming the path of the first problem
 * (`alerts[2].labels.alertname: expected string, received number`), fit for a 400 response body.
 */
export class AlertPayloadError extends BotError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super('bot.alerts.invalid_payload', oneLine(`${path}: ${reason}`), {
      hint: 'See src/alerts/GENERIC.md for the accepted shapes.',
    });
    this.name = 'AlertPayloadError';
    this.path = path;
  }
}

export function isAlertPayloadError(err: unknown): err is AlertPayloadError {
  return err instanceof AlertPayloadError;
}

/** `alerts[0].labels["odd key"]`; keys come from the sender, so they are quoted and cut short. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(body)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg).slice(0, 64);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${out ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

export function fromZodError(error: z.ZodError): AlertPayloadError {
  const [first, ...rest] = error.issues;
  if (!first) return new AlertPayloadError('(body)', 'invalid payload');
  const more = rest.length > 0 ? ` (and ${plural(rest.length, 'more problem')})` : '';
  return new AlertPayloadError(formatPath(first.path), `${first.message}${more}`);
}

function oneLine(s: string): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ');
  return truncateText(flat, 300);
}
