import { invalidLogTailError } from './errors.ts';

/**
 * The rules every adapter's `workloadLogs` follows: how many lines may be asked for, and how the
 * answer is cut to that many.
 */

/** The most lines one `workloadLogs` call returns, on every adapter. */
export const MAX_LOG_TAIL = 1000;

/**
 * `tail` reaches a shell on some adapters (`docker logs --tail {tail}`): it must be a whole number
 * from 1 to MAX_LOG_TAIL, or this throws `bot.workload.invalid_tail`.
 */
export function checkLogTail(tail: number): void {
  if (!Number.isSafeInteger(tail) || tail < 1 || tail > MAX_LOG_TAIL) {
    throw invalidLogTailError(tail, MAX_LOG_TAIL);
  }
}

/** The last `tail` lines of `text`, each ending in a newline, as `tail -n` prints them. */
export function lastLines(text: string, tail: number): string {
  if (text === '') return '';
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return `${lines.slice(-tail).join('\n')}\n`;
}
