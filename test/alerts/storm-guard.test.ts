import { describe, expect, it } from 'vitest';
import { StormGuard } from '../../src/alerts/index.ts';
import { ManualClock } from '../../src/core/clock.ts';

describe('StormGuard', () => {
  it('admits N new groups a minute, then storms until the window slides', () => {
    const clock = new ManualClock('2026-03-14T00:00:00Z');
    const guard = new StormGuard({ maxNewPerMinute: 3, clock });
    expect(guard.admit('g1')).toBe('new');
    clock.advance(10_000);
    expect(guard.admit('g2')).toBe('new');
    clock.advance(10_000);
    expect(guard.admit('g3')).toBe('new');
    expect(guard.inStorm()).toBe(true);
    expect(guard.admit('g4')).toBe('storm');
    expect(guard.admit('g5')).toBe('storm');
    // g1 was admitted at t=0; it stops counting at exactly t=60 s.
    clock.set('2026-03-14T00:00:59.999Z');
    expect(guard.admit('g6')).toBe('storm');
    clock.set('2026-03-14T00:01:00.000Z');
    expect(guard.remaining()).toBe(1);
    expect(guard.admit('g6')).toBe('new');
    expect(guard.admit('g7')).toBe('storm');
    clock.set('2026-03-14T00:01:20.000Z');
    expect(guard.remaining()).toBe(2);
    expect(guard.inStorm()).toBe(false);
  });

  it('answers new again for a group already admitted in the window, without using a slot', () => {
    const clock = new ManualClock();
    const guard = new StormGuard({ maxNewPerMinute: 2, clock });
    expect(guard.admit('g1')).toBe('new');
    expect(guard.admit('g1')).toBe('new');
    expect(guard.remaining()).toBe(1);
    expect(guard.admit('g2')).toBe('new');
    expect(guard.admit('g1')).toBe('new');
    expect(guard.admit('g3')).toBe('storm');
  });

  it('never admits more than N in any 60 s window (a minute of steady arrivals)', () => {
    const clock = new ManualClock();
    const guard = new StormGuard({ maxNewPerMinute: 5, clock });
    const admittedAt: number[] = [];
    for (let i = 0; i < 600; i++) {
      if (guard.admit(`g${i}`) === 'new') admittedAt.push(clock.now().getTime());
      clock.advance(1_000);
    }
    for (const t of admittedAt) {
      expect(admittedAt.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(5);
    }
    expect(admittedAt).toHaveLength(50);
  });

  it('sends everything to the storm with 0, and refuses a nonsense limit', () => {
    const guard = new StormGuard({ maxNewPerMinute: 0, clock: new ManualClock() });
    expect(guard.admit('g')).toBe('storm');
    expect(() => new StormGuard({ maxNewPerMinute: -1, clock: new ManualClock() })).toThrow(RangeError);
    expect(() => new StormGuard({ maxNewPerMinute: 1.5, clock: new ManualClock() })).toThrow(RangeError);
  });
});
