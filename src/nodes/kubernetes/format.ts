import { humanDuration } from '../human-duration.ts';

export { humanDuration };

/**
 * Durations and times in the words the shell tools use, so the diagnostics read (and parse) like
 * what the ssh adapter returns for the same question.
 */

/** `2026-03-14T09:26:53Z`: the API's own RFC 3339 form, second resolution. */
export function stamp(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** `2026-03-14T09:26:53Z (3 hours ago)`. */
export function stampAgo(at: Date, now: Date): string {
  return `${stamp(at)} (${humanDuration(Math.max(0, now.getTime() - at.getTime()))} ago)`;
}
