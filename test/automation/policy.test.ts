import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUTOMATION_MODES,
  type AutomationSituation,
  budgetNodes,
  decide,
} from '../../src/automation/policy.ts';

const T = new Date('2026-12-08T03:00:00Z');
const min = (m: number) => new Date(T.getTime() + m * 60_000);

function situation(over: Partial<AutomationSituation> = {}): AutomationSituation {
  return {
    mode: 'auto',
    rule: {
      name: 'drain-fallen-gpu',
      actions: ['drain'],
      graceMs: 2 * 60_000,
      maxAttempts: 3,
      backoff: 'exponential',
      backoffBaseMs: 60_000,
    },
    budget: { maxNodesPercent: 20, windowMs: 10 * 60_000, maxPerRack: 1 },
    now: T,
    breakerTripped: false,
    node: { name: 'gpu-node-5', rack: 'r2', optedOut: false, needsRma: false, humanMitigationOpen: false },
    finding: { firstSeenAt: min(-5), stillHolds: true },
    attempts: [],
    fleet: { total: 8, removed: [] },
    ...over,
  };
}

describe('the auto-heal policy', () => {
  it('runs a rule past its grace period in auto mode, suggests or shadows in the stricter modes', () => {
    expect(decide(situation())).toEqual({ kind: 'run', actions: ['drain'], why: 'rule drain-fallen-gpu' });
    expect(decide(situation({ mode: 'suggest' })).kind).toBe('suggest');
    expect(decide(situation({ mode: 'shadow' })).kind).toBe('shadow');
    // A rule may be stricter than the global mode, never looser.
    const rule = situation().rule;
    expect(decide(situation({ rule: { ...rule, mode: 'suggest' } })).kind).toBe('suggest');
    expect(decide(situation({ mode: 'shadow', rule: { ...rule, mode: 'auto' } })).kind).toBe('shadow');
    expect(decide(situation({ mode: 'off', rule: { ...rule, mode: 'auto' } }))).toEqual({
      kind: 'none',
      why: 'automation is off',
    });
  });

  it('waits out the grace period from the first sighting, and drops a finding that cleared', () => {
    expect(decide(situation({ finding: { firstSeenAt: min(-1), stillHolds: true } }))).toEqual({
      kind: 'wait',
      until: min(1),
      why: 'grace period of rule drain-fallen-gpu',
    });
    expect(decide(situation({ finding: { firstSeenAt: min(-5), stillHolds: false } }))).toEqual({
      kind: 'none',
      why: 'the finding no longer holds',
    });
  });

  it('leaves alone a node opted out, due an RMA, or with a person’s mitigation open, and all of them once tripped', () => {
    const node = situation().node;
    expect(decide(situation({ node: { ...node, optedOut: true } })).kind).toBe('none');
    expect(decide(situation({ node: { ...node, needsRma: true } })).why).toBe(
      'gpu-node-5 needs an RMA: a person decides',
    );
    expect(decide(situation({ node: { ...node, humanMitigationOpen: true } })).kind).toBe('none');
    expect(decide(situation({ breakerTripped: true })).why).toBe(
      'the breaker is tripped: a person resumes automation',
    );
  });

  it('backs off 1, 2, 4 minutes between attempts, stops after maxAttempts and pages, never retries an unknown outcome', () => {
    const failed = (m: number) => ({ at: min(m), outcome: 'failed' as const });
    expect(decide(situation({ attempts: [failed(-0.5)] }))).toMatchObject({ kind: 'wait', until: min(0.5) });
    expect(decide(situation({ attempts: [failed(-10), failed(-1)] }))).toMatchObject({
      kind: 'wait',
      until: min(1),
    });
    expect(decide(situation({ attempts: [failed(-10), failed(-2)] })).kind).toBe('run');
    expect(decide(situation({ attempts: [failed(-30), failed(-20), failed(-10)] }))).toEqual({
      kind: 'none',
      why: 'drain-fallen-gpu failed 3 times on gpu-node-5: stopped',
      page: true,
    });
    expect(decide(situation({ attempts: [{ at: min(-30), outcome: 'unknown' }] }))).toMatchObject({
      kind: 'none',
      page: true,
    });
  });

  it('5 of 8 nodes failing at once with a 20% budget: exactly one automatic drain, then the breaker trips', () => {
    expect(budgetNodes(situation().budget, 8)).toBe(1);
    const removed: { node: string; rack?: string; at: Date }[] = [];
    let tripped = false;
    const outcomes: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const d = decide(
        situation({
          breakerTripped: tripped,
          node: {
            name: `gpu-node-${n}`,
            rack: `r${n}`,
            optedOut: false,
            needsRma: false,
            humanMitigationOpen: false,
          },
          fleet: { total: 8, removed },
        }),
      );
      outcomes.push(d.kind);
      if (d.kind === 'run') removed.push({ node: `gpu-node-${n}`, rack: `r${n}`, at: T });
      if (d.kind === 'trip') tripped = true;
    }
    expect(outcomes).toEqual(['run', 'trip', 'none', 'none', 'none']);
    // Shadow mode says the trip would have happened, and runs nothing.
    const shadow = decide(
      situation({
        mode: 'shadow',
        node: { ...situation().node, name: 'gpu-node-6' },
        fleet: { total: 8, removed },
      }),
    );
    expect(shadow).toEqual({
      kind: 'shadow',
      actions: [],
      why: 'would trip: 2 nodes out within the window, over the budget of 1 (20% of 8)',
    });
  });

  it('counts people’s cordons too, only within the window, and at most maxPerRack per rack', () => {
    const budget = { maxNodesPercent: 50, windowMs: 10 * 60_000, maxPerRack: 1 };
    const removed = [{ node: 'gpu-node-6', rack: 'r2', at: min(-3) }];
    expect(decide(situation({ budget, fleet: { total: 8, removed } }))).toEqual({
      kind: 'trip',
      why: '2 nodes of rack r2 out within the window, over 1 per rack',
    });
    // Past the window it no longer counts; a restart takes no node out and is not budgeted.
    expect(
      decide(situation({ budget, fleet: { total: 8, removed: [{ ...removed[0]!, at: min(-11) }] } })).kind,
    ).toBe('run');
    const restart = { ...situation().rule, name: 'restart-crash-loop', actions: ['restart' as const] };
    expect(decide(situation({ budget, rule: restart, fleet: { total: 8, removed } })).kind).toBe('run');
  });

  it('never acts (run or suggest) where any guard says no, whatever else holds (fuzzed, fixed seed)', () => {
    fc.assert(
      fc.property(
        fc.record({
          mode: fc.constantFrom(...AUTOMATION_MODES),
          optedOut: fc.boolean(),
          needsRma: fc.boolean(),
          human: fc.boolean(),
          tripped: fc.boolean(),
          holds: fc.boolean(),
          seenAgo: fc.integer({ min: 0, max: 10 }),
          attempts: fc.array(
            fc.record({
              ago: fc.integer({ min: 0, max: 60 }),
              outcome: fc.constantFrom('succeeded', 'failed', 'unknown'),
            }),
            { maxLength: 4 },
          ),
          removed: fc.array(
            fc.record({ n: fc.integer({ min: 1, max: 8 }), ago: fc.integer({ min: 0, max: 20 }) }),
            { maxLength: 6 },
          ),
        }),
        (x) => {
          const attempts = x.attempts
            .map((a) => ({ at: min(-a.ago), outcome: a.outcome as 'succeeded' | 'failed' | 'unknown' }))
            .sort((a, b) => a.at.getTime() - b.at.getTime());
          const s = situation({
            mode: x.mode,
            breakerTripped: x.tripped,
            node: {
              name: 'gpu-node-5',
              rack: 'r2',
              optedOut: x.optedOut,
              needsRma: x.needsRma,
              humanMitigationOpen: x.human,
            },
            finding: { firstSeenAt: min(-x.seenAgo), stillHolds: x.holds },
            attempts,
            fleet: {
              total: 8,
              removed: x.removed.map((r) => ({
                node: `gpu-node-${r.n}`,
                rack: `r${r.n % 3}`,
                at: min(-r.ago),
              })),
            },
          });
          const d = decide(s);
          const blocked =
            x.mode === 'off' ||
            x.optedOut ||
            x.needsRma ||
            x.human ||
            x.tripped ||
            !x.holds ||
            x.seenAgo < 2 ||
            attempts.at(-1)?.outcome === 'unknown' ||
            attempts.filter((a) => a.outcome !== 'succeeded').length >= 3;
          if (blocked) expect(['none', 'wait', 'shadow']).toContain(d.kind);
          if (d.kind === 'run') expect(x.mode).toBe('auto');
          if (d.kind === 'suggest') expect(x.mode).toBe('suggest');
          if (x.mode === 'shadow') expect(['none', 'wait', 'shadow']).toContain(d.kind);
        },
      ),
      { seed: 17, numRuns: 500 },
    );
  });
});
