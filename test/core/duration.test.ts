import { describe, expect, it } from 'vitest';
import { formatDuration, formatElapsed } from '../../src/core/duration.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

// The one duration format: the card, status, reminders, approvals, the post-mortem, node facts.
describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [400, '0 s'],
    [1_000, '1 s'],
    [45_000, '45 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [90_000, '1 min'],
    [119_999, '1 min'],
    [12 * MIN, '12 min'],
    [59 * MIN + 59_999, '59 min'],
    [HOUR, '1 h'],
    [HOUR + 5 * MIN, '1 h 5 min'],
    [90 * MIN, '1 h 30 min'],
    [2 * HOUR, '2 h'],
    [23 * HOUR + 59 * MIN + 59_000, '23 h 59 min'],
    [DAY, '1 d'],
    [DAY + HOUR + MIN, '1 d 1 h'],
    [3 * DAY + 4 * HOUR + 30 * MIN, '3 d 4 h'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([-1, -5_000, -2 * MIN, -DAY])('clamps a negative duration (%i ms, clock skew) to 0 s', (ms) => {
    expect(formatDuration(ms)).toBe('0 s');
  });

  // Elapsed time is floored: rounding showed "60 s" for 59.5 s, and an incident open 29 min 40 s
  // as open for 30 min.
  it.each([
    [59_500, '59 s'],
    [29 * MIN + 40_000, '29 min'],
    [HOUR - 1, '59 min'],
  ])('never rounds up (%i ms → %s)', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatElapsed', () => {
  it('keeps milliseconds and tenths of a second below a minute, then reads as formatDuration', () => {
    expect(formatElapsed(3.4)).toBe('3 ms');
    expect(formatElapsed(4200)).toBe('4.2 s');
    expect(formatElapsed(-5)).toBe('0 ms');
    expect(formatElapsed(90_000)).toBe(formatDuration(90_000));
  });
});
