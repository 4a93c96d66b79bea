/**
 * The small formatting rules real tools follow, so simulated output reads (and parses) like the
 * real thing. Each function cites the tool whose behaviour it copies.
 */

import { humanDuration } from '../human-duration.ts';

export { humanDuration };

const SIZE_UNITS = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi'] as const;

/**
 * procps-ng `free -h`: the first unit in which the number fits in three characters, with one
 * decimal below 10 (`4.4Gi`, `31Gi`, `412Gi`, `1.9Ti`); zero is `0B`.
 */
export function humanSize(mib: number): string {
  if (mib <= 0) return '0B';
  let value = mib * 1024;
  for (const unit of SIZE_UNITS) {
    const decimal = value.toFixed(1);
    if (decimal.length <= 3) return `${decimal}${unit}`;
    const whole = String(Math.trunc(value));
    if (whole.length <= 3) return `${whole}${unit}`;
    value /= 1024;
  }
  return `${Math.trunc(value * 1024)}Pi`;
}

/** The `[ seconds.micro]` prefix of `dmesg`: seconds right-aligned in five columns. */
export function dmesgStamp(seconds: number): string {
  const micros = Math.max(0, Math.round(seconds * 1_000_000));
  const whole = Math.floor(micros / 1_000_000);
  const frac = String(micros % 1_000_000).padStart(6, '0');
  return `[${String(whole).padStart(5)}.${frac}]`;
}

/** procps `uptime`: ` 13:17:02 up 12 days,  3:04,  1 user,  load average: 0.52, 0.58, 0.59` (UTC). */
export function uptimeLine(now: Date, upMs: number, loads: readonly [number, number, number]): string {
  const clock = now.toISOString().slice(11, 19);
  const totalMinutes = Math.floor(Math.max(0, upMs) / 60_000);
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  let up = days > 0 ? `${days} ${days === 1 ? 'day' : 'days'}, ` : '';
  up += hours > 0 ? `${String(hours).padStart(2)}:${String(minutes).padStart(2, '0')}, ` : `${minutes} min, `;
  const load = loads.map((l) => l.toFixed(2)).join(', ');
  return ` ${clock} up ${up} 1 user,  load average: ${load}`;
}

/** FNV-1a: a stable per-name number, so "random-looking" readings are the same on every run. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** An integer in [min, max] picked by `key`. */
export function stablePick(key: string, min: number, max: number): number {
  return min + (stableHash(key) % (max - min + 1));
}
