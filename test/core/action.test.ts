import { describe, expect, it } from 'vitest';
import type { ActionStatus } from '../../src/core/action.ts';
import {
  ACTION_STATUSES,
  canMoveAction,
  describeActionState,
  isDestructive,
  isFinal,
  notPendingError,
  predecessors,
} from '../../src/core/action.ts';
import { makeAction } from './fixtures.ts';

/** requested → (approved | cancelled | expired) → running → (succeeded | failed | unknown); approved → unknown after a crash. */
const ALLOWED: Record<ActionStatus, ActionStatus[]> = {
  requested: ['approved', 'cancelled', 'expired'],
  approved: ['running', 'unknown'],
  cancelled: [],
  expired: [],
  running: ['succeeded', 'failed', 'unknown'],
  succeeded: [],
  failed: [],
  unknown: [],
};

const ALL_PAIRS = ACTION_STATUSES.flatMap((from) =>
  ACTION_STATUSES.map((to): [ActionStatus, ActionStatus, boolean] => [from, to, ALLOWED[from].includes(to)]),
);

describe('canMoveAction', () => {
  it.each(ALL_PAIRS)('%s → %s allowed: %s', (from, to, expected) => {
    expect(canMoveAction(from, to)).toBe(expected);
  });

  it('an approval cannot be skipped: requested never goes straight to running', () => {
    expect(canMoveAction('requested', 'running')).toBe(false);
  });

  it('nothing goes back to requested and no status moves to itself', () => {
    for (const s of ACTION_STATUSES) {
      expect(canMoveAction(s, 'requested')).toBe(false);
      expect(canMoveAction(s, s)).toBe(false);
    }
  });
});

describe('isFinal', () => {
  it.each([
    ['requested', false],
    ['approved', false],
    ['running', false],
    ['cancelled', true],
    ['expired', true],
    ['succeeded', true],
    ['failed', true],
    ['unknown', true],
  ] as [ActionStatus, boolean][])('%s final: %s', (s, final) => {
    expect(isFinal(s)).toBe(final);
  });
});

describe('predecessors', () => {
  it.each([
    ['requested', []],
    ['approved', ['requested']],
    ['cancelled', ['requested']],
    ['expired', ['requested']],
    ['running', ['approved']],
    ['succeeded', ['running']],
    ['failed', ['running']],
    ['unknown', ['approved', 'running']],
  ] as [ActionStatus, ActionStatus[]][])('predecessors(%s) = %j', (to, from) => {
    expect(predecessors(to)).toEqual(from);
  });

  it('agrees with canMoveAction for every pair', () => {
    for (const [from, to, ok] of ALL_PAIRS) expect(predecessors(to).includes(from)).toBe(ok);
  });

  it('returns a fresh array each time', () => {
    const a = predecessors('approved');
    a.push('failed');
    expect(predecessors('approved')).toEqual(['requested']);
  });
});

describe('isDestructive', () => {
  it.each([
    ['cordon', true],
    ['uncordon', false],
    ['drain', true],
    ['restart', true],
    ['stop', true],
  ] as const)('%s destructive: %s', (kind, destructive) => {
    expect(isDestructive(kind)).toBe(destructive);
  });
});

describe('describeActionState', () => {
  it.each([
    ['requested', 'waiting for approval'],
    ['approved', 'approved by Bob'],
    ['cancelled', 'cancelled by Bob'],
    ['expired', 'expired without approval'],
    ['running', 'running'],
    ['succeeded', 'succeeded'],
    ['failed', 'failed'],
    ['unknown', 'outcome unknown (the bot stopped while it was under way)'],
  ] as [ActionStatus, string][])('%s → %j', (status, text) => {
    expect(describeActionState(makeAction({ status, decidedBy: 'U_BOB', decidedByName: 'Bob' }))).toBe(text);
  });

  it('falls back to the decider id when there is no name', () => {
    expect(
      describeActionState(makeAction({ status: 'approved', decidedBy: 'U_BOB', decidedByName: null })),
    ).toBe('approved by U_BOB');
    expect(
      describeActionState(makeAction({ status: 'cancelled', decidedBy: 'U_BOB', decidedByName: null })),
    ).toBe('cancelled by U_BOB');
  });
});

describe('notPendingError', () => {
  it('names the action, its target and its state', () => {
    const err = notPendingError(
      makeAction({
        status: 'approved',
        decidedBy: 'U_BOB',
        decidedByName: 'Bob',
        decidedAt: new Date('2026-11-22T07:36:00Z'),
      }),
    );
    expect(err.code).toBe('bot.action.not_pending');
    // Who answered first, and when: what a person with a stale dialog needs to know.
    expect(err.message).toBe('Bob approved this drain of gpu-01 at 07:36 UTC; it is running.');
    expect(err.hint).toBe('Nothing was done for this click. The message shows where things stand now.');
    const cancelled = makeAction({
      status: 'cancelled',
      decidedByName: 'Alice',
      decidedAt: new Date('2026-11-22T07:40:00Z'),
    });
    expect(notPendingError(cancelled, () => '07:40').message).toBe(
      'Alice cancelled this drain of gpu-01 at 07:40.',
    );
  });

  it('for an expired restart', () => {
    const action = makeAction({ status: 'expired', kind: 'restart', target: 'node-9' });
    const err = notPendingError(action, (at) => (at === action.expiresAt ? '07:50' : 'wrong instant'));
    expect(err.message).toBe('This restart of node-9 expired at 07:50 without approval.');
  });
});
