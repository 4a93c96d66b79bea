import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/core/clock.ts';

describe('ManualClock', () => {
  it('starts at 2026-01-01T00:00:00Z by default', () => {
    expect(new ManualClock().now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('accepts a start as string or Date', () => {
    expect(new ManualClock('2025-06-30T12:34:56.789Z').now().toISOString()).toBe('2025-06-30T12:34:56.789Z');
    expect(new ManualClock(new Date(1_000)).now().getTime()).toBe(1_000);
  });

  it('advances by milliseconds, also backwards', () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    clock.advance(90_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:01:30.000Z');
    clock.advance(-30_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:01:00.000Z');
  });

  it('sets an absolute time', () => {
    const clock = new ManualClock();
    clock.set('2027-02-03T04:05:06.000Z');
    expect(clock.now().toISOString()).toBe('2027-02-03T04:05:06.000Z');
    clock.set(new Date(0));
    expect(clock.now().getTime()).toBe(0);
  });

  it('returns a fresh Date each time, so callers cannot move the clock', () => {
    const clock = new ManualClock();
    const a = clock.now();
    a.setTime(0);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.now()).not.toBe(clock.now());
  });

  it('does not move on its own', () => {
    const clock = new ManualClock();
    expect(clock.now().getTime()).toBe(clock.now().getTime());
  });
});

describe('systemClock', () => {
  it('returns the current time', () => {
    const before = Date.now();
    const t = systemClock.now().getTime();
    const after = Date.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
  });
});
