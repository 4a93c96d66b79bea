import { describe, expect, it } from 'vitest';
import type { IncidentStatus } from '../../src/core/status.ts';
import { assertTransition, canTransition, isOpen, parseStatus, STATUSES } from '../../src/core/status.ts';
import { catchBotError } from './fixtures.ts';

/** The expected machine, written out independently of the implementation. */
const ALLOWED: Record<IncidentStatus, IncidentStatus[]> = {
  declared: ['investigating', 'mitigated', 'resolved'],
  investigating: ['mitigated', 'resolved'],
  mitigated: ['investigating', 'resolved'],
  resolved: ['investigating', 'closed'],
  closed: [],
};

const ALL_PAIRS: [IncidentStatus, IncidentStatus, boolean][] = STATUSES.flatMap((from) =>
  STATUSES.map((to): [IncidentStatus, IncidentStatus, boolean] => [from, to, ALLOWED[from].includes(to)]),
);

describe('canTransition', () => {
  it.each(ALL_PAIRS)('%s → %s allowed: %s', (from, to, expected) => {
    expect(canTransition(from, to)).toBe(expected);
  });
});

describe('assertTransition', () => {
  const allowed = ALL_PAIRS.filter(([, , ok]) => ok);
  const refused = ALL_PAIRS.filter(([, , ok]) => !ok);

  it.each(allowed)('lets %s → %s through', (from, to) => {
    expect(assertTransition(from, to)).toBeUndefined();
  });

  it.each(refused)('refuses %s → %s with bot.incident.illegal_transition', (from, to) => {
    const err = catchBotError(() => assertTransition(from, to));
    expect(err.code).toBe('bot.incident.illegal_transition');
    expect(err.message).toBe(
      from === to ? `The incident is already ${to}.` : `An incident cannot go from ${from} to ${to}.`,
    );
    expect(err.hint).toBe(
      from === 'closed'
        ? 'A closed incident cannot change; declare a new one.'
        : `From ${from} it can move to: ${ALLOWED[from].join(', ')}.`,
    );
  });

  it.each([
    ['declared', 'From declared it can move to: investigating, mitigated, resolved.'],
    ['investigating', 'From investigating it can move to: mitigated, resolved.'],
    ['mitigated', 'From mitigated it can move to: investigating, resolved.'],
    ['resolved', 'From resolved it can move to: investigating, closed.'],
  ] as const)('hint from %s lists the allowed next states exactly', (from, hint) => {
    expect(catchBotError(() => assertTransition(from, 'declared')).hint).toBe(hint);
  });

  it('nothing returns to declared', () => {
    for (const from of STATUSES) expect(canTransition(from, 'declared')).toBe(false);
  });

  it('closed is final: every move out of closed is refused', () => {
    for (const to of STATUSES) {
      expect(canTransition('closed', to)).toBe(false);
      const err = catchBotError(() => assertTransition('closed', to));
      expect(err.code).toBe('bot.incident.illegal_transition');
      expect(err.hint).toBe('A closed incident cannot change; declare a new one.');
    }
  });

  it('only resolved leads to closed', () => {
    expect(STATUSES.filter((from) => canTransition(from, 'closed'))).toEqual(['resolved']);
  });

  it('every status except closed is reachable from declared', () => {
    const seen = new Set<IncidentStatus>(['declared']);
    const queue: IncidentStatus[] = ['declared'];
    while (queue.length > 0) {
      const s = queue.shift()!;
      for (const to of STATUSES) {
        if (canTransition(s, to) && !seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    expect([...seen].sort()).toEqual([...STATUSES].sort());
  });
});

describe('parseStatus', () => {
  it.each(STATUSES.map((s) => [s] as const))('accepts %s', (s) => {
    expect(parseStatus(s)).toBe(s);
    expect(parseStatus(s.toUpperCase())).toBe(s);
    expect(parseStatus(`  ${s}\n`)).toBe(s);
  });

  it.each(['', 'open', 'resolve', 'ack', 'mitigate', 'declared!', 'in vestigating'])(
    'refuses %j with bot.status.unknown',
    (input) => {
      const err = catchBotError(() => parseStatus(input));
      expect(err.code).toBe('bot.status.unknown');
      expect(err.message).toBe(`Unknown status "${input}".`);
      expect(err.hint).toBe('Use one of declared, investigating, mitigated, resolved, closed.');
    },
  );
});

describe('isOpen', () => {
  it.each([
    ['declared', true],
    ['investigating', true],
    ['mitigated', true],
    ['resolved', false],
    ['closed', false],
  ] as const)('%s open: %s', (s, open) => {
    expect(isOpen(s)).toBe(open);
  });
});
