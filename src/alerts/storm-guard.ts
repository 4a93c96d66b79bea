import type { Clock } from '../core/clock.ts';

export const STORM_WINDOW_MS = 60_000;

export interface StormGuardOptions {
  /** New incident channels allowed in any sliding minute; 0 sends every new group to the storm. */
  readonly maxNewPerMinute: number;
  readonly clock: Clock;
}

export type StormDecision = 'new' | 'storm';

/**
 * Bounds how many new incident channels an alert storm opens. Call `admit` once per *new* alert
 * group: 'new' means open its own incident, 'storm' means join the storm incident (nothing is
 * dropped; the caller keeps the alerts). Pure and in-memory: the count is per process.
 *
 * The window slides: an admission at t stops counting at t + 60 s. Asking again for a group admitted
 * inside the window answers 'new' without using another slot, so a resend racing its first delivery
 * cannot eat the budget.
 */
export class StormGuard {
  private readonly max: number;
  private readonly clock: Clock;
  /** Admissions in time order. */
  private admitted: { key: string; at: number }[] = [];

  constructor(options: StormGuardOptions) {
    if (!Number.isInteger(options.maxNewPerMinute) || options.maxNewPerMinute < 0) {
      throw new RangeError(`maxNewPerMinute must be a whole number ≥ 0, got ${options.maxNewPerMinute}`);
    }
    this.max = options.maxNewPerMinute;
    this.clock = options.clock;
  }

  admit(groupKey: string): StormDecision {
    const now = this.prune();
    if (this.admitted.some((a) => a.key === groupKey)) return 'new';
    if (this.admitted.length >= this.max) return 'storm';
    this.admitted.push({ key: groupKey, at: now });
    return 'new';
  }

  /** True while the window is full: the next new group would go to the storm. */
  inStorm(): boolean {
    this.prune();
    return this.admitted.length >= this.max;
  }

  /** New groups the window still has room for. */
  remaining(): number {
    this.prune();
    return Math.max(0, this.max - this.admitted.length);
  }

  private prune(): number {
    const now = this.clock.now().getTime();
    const cutoff = now - STORM_WINDOW_MS;
    let drop = 0;
    while (drop < this.admitted.length && this.admitted[drop]!.at <= cutoff) drop++;
    if (drop > 0) this.admitted = this.admitted.slice(drop);
    return now;
  }
}
