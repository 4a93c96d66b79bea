import { describe, expect, it } from 'vitest';
import { durations } from '../../src/core/incident.ts';
import { makeIncident, T0 } from './fixtures.ts';

const at = (ms: number) => new Date(T0.getTime() + ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('durations', () => {
  it('is all null for a fresh incident', () => {
    expect(durations(makeIncident())).toEqual({ toAcknowledge: null, toMitigate: null, toResolve: null });
  });

  it('measures each milestone from declaration', () => {
    const incident = makeIncident({
      acknowledgedAt: at(3 * MIN),
      mitigatedAt: at(47 * MIN + 5_000),
      resolvedAt: at(2 * HOUR),
      closedAt: at(3 * DAY),
    });
    expect(durations(incident)).toEqual({
      toAcknowledge: 3 * MIN,
      toMitigate: 47 * MIN + 5_000,
      toResolve: 2 * HOUR,
    });
  });

  it('leaves unreached milestones null (false alarm resolved without mitigation)', () => {
    const incident = makeIncident({ acknowledgedAt: at(MIN), resolvedAt: at(4 * MIN) });
    expect(durations(incident)).toEqual({ toAcknowledge: MIN, toMitigate: null, toResolve: 4 * MIN });
  });

  it('a milestone at the declaration instant is 0, not null', () => {
    expect(durations(makeIncident({ acknowledgedAt: at(0) })).toAcknowledge).toBe(0);
  });

  it('is independent of updatedAt', () => {
    const incident = makeIncident({ updatedAt: at(DAY), mitigatedAt: at(10 * MIN) });
    expect(durations(incident).toMitigate).toBe(10 * MIN);
  });
});
