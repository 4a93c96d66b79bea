import { beforeEach, describe, expect, it } from 'vitest';
import type { ActionStatus } from '../../src/core/action.ts';
import { ACTION_STATUSES } from '../../src/core/action.ts';
import { ManualClock } from '../../src/core/clock.ts';
import type { Actor, ApprovalPolicy, SeverityChange } from '../../src/core/policy.ts';
import {
  assertMayCancel,
  assertMayRequest,
  DEFAULT_POLICY,
  decideApproval,
  expiresAt,
  matchesList,
} from '../../src/core/policy.ts';
import type { Severity } from '../../src/core/severity.ts';
import { catchBotError, makeAction, makeIncident, T0 } from './fixtures.ts';

const alice: Actor = { id: 'U_ALICE', name: 'Alice', groups: ['SRE'] };
const bob: Actor = { id: 'U_BOB', name: 'Bob', groups: ['sre', 'gpu-oncall'] };
const carol: Actor = { id: 'U_CAROL', name: 'Carol' };

function policy(overrides: Partial<ApprovalPolicy> = {}): ApprovalPolicy {
  return { ...DEFAULT_POLICY, ...overrides };
}

describe('matchesList', () => {
  it('an empty list matches anyone', () => {
    expect(matchesList(carol, [])).toBe(true);
  });

  it('matches by exact user id', () => {
    expect(matchesList(alice, ['U_ALICE'])).toBe(true);
    expect(matchesList(alice, ['U_BOB', 'U_ALICE'])).toBe(true);
    expect(matchesList(alice, ['U_BOB'])).toBe(false);
    expect(matchesList(alice, ['u_alice'])).toBe(false);
    expect(matchesList(alice, ['Alice'])).toBe(false);
  });

  it('matches @group case-insensitively on both sides', () => {
    expect(matchesList(alice, ['@sre'])).toBe(true);
    expect(matchesList(alice, ['@SRE'])).toBe(true);
    expect(matchesList(bob, ['@Sre'])).toBe(true);
    expect(matchesList(bob, ['@GPU-ONCALL'])).toBe(true);
    expect(matchesList(alice, ['@gpu-oncall'])).toBe(false);
  });

  it('an actor without groups matches no @group', () => {
    expect(matchesList(carol, ['@sre'])).toBe(false);
    expect(matchesList({ ...carol, groups: [] }, ['@sre'])).toBe(false);
  });

  it('a group name is not a user id and a user id is not a group', () => {
    expect(matchesList(alice, ['SRE'])).toBe(false);
    expect(matchesList({ id: 'sre', name: 'x' }, ['@sre'])).toBe(false);
    expect(matchesList({ id: '@sre', name: 'x' }, ['@sre'])).toBe(false);
  });

  it('mixes ids and groups', () => {
    const list = ['U_CAROL', '@gpu-oncall'];
    expect(matchesList(carol, list)).toBe(true);
    expect(matchesList(bob, list)).toBe(true);
    expect(matchesList(alice, list)).toBe(false);
  });
});

describe('assertMayRequest', () => {
  it('anyone may request under the default policy', () => {
    expect(assertMayRequest(carol, DEFAULT_POLICY, 'drain')).toBeUndefined();
  });

  it('listed requesters (by id or group) may request', () => {
    const p = policy({ requesters: ['U_CAROL', '@sre'] });
    expect(assertMayRequest(carol, p, 'drain')).toBeUndefined();
    expect(assertMayRequest(alice, p, 'drain')).toBeUndefined();
    expect(assertMayRequest(bob, p, 'drain')).toBeUndefined();
  });

  it('others are refused with bot.action.forbidden', () => {
    const p = policy({ requesters: ['U_BOB', '@gpu-oncall'] });
    const err = catchBotError(() => assertMayRequest(carol, p, 'drain'));
    expect(err.code).toBe('bot.action.forbidden');
    expect(err.message).toBe('Carol may not request a drain.');
    expect(err.hint).toBe('Ask someone who may: U_BOB, @gpu-oncall.');
  });
});

describe('per-action lists', () => {
  it('replace the general lists for that kind only', () => {
    const p = policy({
      approvers: ['@sre'],
      actions: { drain: { approvers: ['U_BOB'], requesters: ['@sre'] } },
    });
    expect(catchBotError(() => assertMayRequest(carol, p, 'drain')).code).toBe('bot.action.forbidden');
    expect(assertMayRequest(carol, p, 'cordon')).toBeUndefined();
  });
});

describe('expiresAt', () => {
  it('adds expiryMinutes to the request time', () => {
    expect(expiresAt(T0, DEFAULT_POLICY).toISOString()).toBe('2026-01-01T00:10:00.000Z');
    expect(expiresAt(T0, policy({ expiryMinutes: 90 })).toISOString()).toBe('2026-01-01T01:30:00.000Z');
    expect(expiresAt(T0, policy({ expiryMinutes: 0.5 })).toISOString()).toBe('2026-01-01T00:00:30.000Z');
  });

  it('does not mutate its input', () => {
    const at = new Date(T0);
    expiresAt(at, DEFAULT_POLICY);
    expect(at.getTime()).toBe(T0.getTime());
  });
});

describe('decideApproval', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock(T0);
  });

  function requestedAction(overrides = {}) {
    const requestedAt = clock.now();
    return makeAction({ requestedAt, expiresAt: expiresAt(requestedAt, DEFAULT_POLICY), ...overrides });
  }

  it('approves when another person clicks in time', () => {
    const action = requestedAction();
    clock.advance(5 * 60_000);
    const decision = decideApproval({
      action,
      incident: makeIncident({ severity: 'SEV1' }),
      actor: bob,
      policy: DEFAULT_POLICY,
      now: clock.now(),
    });
    expect(decision).toEqual({ ok: true });
  });

  it.each(['SEV1', 'SEV2'] as Severity[])(
    '%s: the requester may not approve their own action',
    (severity) => {
      const action = requestedAction();
      const err = catchBotError(() =>
        decideApproval({
          action,
          incident: makeIncident({ severity }),
          actor: alice,
          policy: DEFAULT_POLICY,
          now: clock.now(),
        }),
      );
      expect(err.code).toBe('bot.action.same_person');
      expect(err.message).toBe(
        `${severity} needs a second person: the one who requested this drain cannot approve it.`,
      );
      expect(err.hint).toBe('Ask another responder to approve.');
    },
  );

  it.each(['SEV3', 'SEV4'] as Severity[])('%s: the requester may approve their own action', (severity) => {
    const action = requestedAction();
    const decision = decideApproval({
      action,
      incident: makeIncident({ severity }),
      actor: alice,
      policy: DEFAULT_POLICY,
      now: clock.now(),
    });
    expect(decision).toEqual({ ok: true });
  });

  it('honours a custom twoPersonSeverities', () => {
    const p = policy({ twoPersonSeverities: ['SEV4'] });
    const action = requestedAction();
    expect(
      decideApproval({
        action,
        incident: makeIncident({ severity: 'SEV1' }),
        actor: alice,
        policy: p,
        now: clock.now(),
      }),
    ).toEqual({ ok: true });
    const err = catchBotError(() =>
      decideApproval({
        action,
        incident: makeIncident({ severity: 'SEV4' }),
        actor: alice,
        policy: p,
        now: clock.now(),
      }),
    );
    expect(err.code).toBe('bot.action.same_person');
  });

  it('same person is judged by id, not by name', () => {
    const action = requestedAction();
    const impostor: Actor = { id: 'U_OTHER', name: 'Alice' };
    expect(
      decideApproval({
        action,
        incident: makeIncident({ severity: 'SEV1' }),
        actor: impostor,
        policy: DEFAULT_POLICY,
        now: clock.now(),
      }),
    ).toEqual({ ok: true });
  });

  describe('severity moved around the approval', () => {
    const decide = (over: {
      action: ReturnType<typeof requestedAction>;
      severity: Severity;
      actor: Actor;
      changes?: SeverityChange[];
    }) =>
      decideApproval({
        action: over.action,
        incident: makeIncident({ severity: over.severity, number: 7 }),
        actor: over.actor,
        policy: DEFAULT_POLICY,
        now: clock.now(),
        severityChanges: over.changes ?? [],
      });
    const change = (actor: Actor, from: Severity, to: Severity, minutesAgo: number): SeverityChange => ({
      at: new Date(clock.now().getTime() - minutesAgo * 60_000),
      actorId: actor.id,
      from,
      to,
    });

    it('applies the rule for the severity at the request when the incident was lowered since', () => {
      const action = requestedAction({ severity: 'SEV1' });
      const err = catchBotError(() => decide({ action, severity: 'SEV3', actor: alice }));
      expect(err.code).toBe('bot.action.same_person');
      expect(err.message).toBe(
        'SEV1 needs a second person: the one who requested this drain cannot approve it (it was requested at SEV1; the more severe level counts).',
      );
      expect(decide({ action, severity: 'SEV3', actor: bob })).toEqual({ ok: true });
    });

    it('applies the rule for the severity at approval when the incident was raised since', () => {
      const action = requestedAction({ severity: 'SEV3' });
      expect(catchBotError(() => decide({ action, severity: 'SEV2', actor: alice })).code).toBe(
        'bot.action.same_person',
      );
    });

    it('an action stored without its request severity is judged by the severity now', () => {
      const action = requestedAction({ severity: null });
      expect(decide({ action, severity: 'SEV3', actor: alice })).toEqual({ ok: true });
      expect(catchBotError(() => decide({ action, severity: 'SEV2', actor: alice })).code).toBe(
        'bot.action.same_person',
      );
    });

    it('whoever lowered the incident out of a two-person severity may not approve their own request for ten minutes', () => {
      const action = requestedAction({ severity: 'SEV3' });
      const err = catchBotError(() =>
        decide({ action, severity: 'SEV3', actor: alice, changes: [change(alice, 'SEV1', 'SEV3', 3)] }),
      );
      expect(err.code).toBe('bot.action.same_person');
      expect(err.message).toBe(
        'You lowered INC-7 from SEV1 to SEV3 3 min ago, so a second person must approve your own drain for 10 min after.',
      );
      // Someone else lowering it, a change within the two-person range, or an old change: no hold.
      expect(
        decide({ action, severity: 'SEV3', actor: alice, changes: [change(bob, 'SEV1', 'SEV3', 3)] }),
      ).toEqual({ ok: true });
      expect(
        decide({ action, severity: 'SEV3', actor: alice, changes: [change(alice, 'SEV3', 'SEV4', 3)] }),
      ).toEqual({ ok: true });
      expect(
        decide({ action, severity: 'SEV3', actor: alice, changes: [change(alice, 'SEV1', 'SEV3', 11)] }),
      ).toEqual({ ok: true });
      expect(
        decide({ action, severity: 'SEV3', actor: bob, changes: [change(alice, 'SEV1', 'SEV3', 3)] }),
      ).toEqual({ ok: true });
    });

    describe('a request the bot made', () => {
      const byBot = () =>
        requestedAction({ requestedBy: 'bot:alerts', requestedByName: 'Alertmanager', severity: 'SEV3' });

      it('needs one human at any severity', () => {
        expect(decide({ action: byBot(), severity: 'SEV1', actor: alice })).toEqual({ ok: true });
      });

      it('at a two-person severity, not the one who raised it there in the last ten minutes', () => {
        const raised = [change(alice, 'SEV3', 'SEV1', 2)];
        const err = catchBotError(() =>
          decide({ action: byBot(), severity: 'SEV1', actor: alice, changes: raised }),
        );
        expect(err.code).toBe('bot.action.same_person');
        expect(err.message).toBe(
          'You raised INC-7 from SEV3 to SEV1 2 min ago, so at SEV1 someone else must approve this drain for 10 min after.',
        );
        expect(err.hint).toBe('Ask another responder to approve.');
        expect(decide({ action: byBot(), severity: 'SEV1', actor: bob, changes: raised })).toEqual({
          ok: true,
        });
        // Raised within the two-person range (SEV2 → SEV1), or more than ten minutes ago: no hold.
        expect(
          decide({
            action: byBot(),
            severity: 'SEV1',
            actor: alice,
            changes: [change(alice, 'SEV2', 'SEV1', 2)],
          }),
        ).toEqual({ ok: true });
        expect(
          decide({
            action: byBot(),
            severity: 'SEV1',
            actor: alice,
            changes: [change(alice, 'SEV3', 'SEV1', 10.5)],
          }),
        ).toEqual({ ok: true });
      });

      it('a raise the bot itself made (an alert) holds nobody', () => {
        const raised: SeverityChange[] = [{ ...change(alice, 'SEV3', 'SEV1', 1), actorId: 'bot:alerts' }];
        expect(decide({ action: byBot(), severity: 'SEV1', actor: alice, changes: raised })).toEqual({
          ok: true,
        });
      });
    });
  });

  describe('approver lists', () => {
    it('by user id', () => {
      const p = policy({ approvers: ['U_BOB'] });
      const action = requestedAction();
      const incident = makeIncident({ severity: 'SEV2' });
      expect(decideApproval({ action, incident, actor: bob, policy: p, now: clock.now() })).toEqual({
        ok: true,
      });
      const err = catchBotError(() =>
        decideApproval({ action, incident, actor: carol, policy: p, now: clock.now() }),
      );
      expect(err.code).toBe('bot.action.forbidden');
      expect(err.message).toBe('Carol may not approve a drain.');
      expect(err.hint).toBe('Approvers: U_BOB.');
    });

    it('by @group, case-insensitively', () => {
      const p = policy({ approvers: ['@GPU-Oncall', 'U_ZED'] });
      const action = requestedAction();
      const incident = makeIncident({ severity: 'SEV3' });
      expect(decideApproval({ action, incident, actor: bob, policy: p, now: clock.now() })).toEqual({
        ok: true,
      });
      const upper: Actor = { id: 'U_DAN', name: 'Dan', groups: ['GPU-ONCALL'] };
      expect(decideApproval({ action, incident, actor: upper, policy: p, now: clock.now() })).toEqual({
        ok: true,
      });
      const err = catchBotError(() =>
        decideApproval({ action, incident, actor: alice, policy: p, now: clock.now() }),
      );
      expect(err.code).toBe('bot.action.forbidden');
      expect(err.hint).toBe('Approvers: @GPU-Oncall, U_ZED.');
    });

    it('a requester who is not an approver is refused as forbidden before the same-person rule', () => {
      const p = policy({ approvers: ['U_BOB'] });
      const err = catchBotError(() =>
        decideApproval({
          action: requestedAction(),
          incident: makeIncident({ severity: 'SEV1' }),
          actor: alice,
          policy: p,
          now: clock.now(),
        }),
      );
      expect(err.code).toBe('bot.action.forbidden');
    });

    it('an approver who requested is still refused for SEV1', () => {
      const p = policy({ approvers: ['@sre'] });
      const err = catchBotError(() =>
        decideApproval({
          action: requestedAction(),
          incident: makeIncident({ severity: 'SEV1' }),
          actor: alice,
          policy: p,
          now: clock.now(),
        }),
      );
      expect(err.code).toBe('bot.action.same_person');
    });
  });

  describe('expiry', () => {
    it('one millisecond before expiresAt is still in time', () => {
      const action = requestedAction();
      clock.set(new Date(action.expiresAt.getTime() - 1));
      expect(
        decideApproval({
          action,
          incident: makeIncident(),
          actor: bob,
          policy: DEFAULT_POLICY,
          now: clock.now(),
        }),
      ).toEqual({ ok: true });
    });

    it('exactly at expiresAt it has expired', () => {
      const action = requestedAction();
      clock.advance(10 * 60_000);
      expect(clock.now().getTime()).toBe(action.expiresAt.getTime());
      const decision = decideApproval({
        action,
        incident: makeIncident(),
        actor: bob,
        policy: DEFAULT_POLICY,
        now: clock.now(),
      });
      expect(decision.ok).toBe(false);
      if (decision.ok) throw new Error('unreachable');
      expect(decision.expired).toBe(true);
      expect(decision.error.code).toBe('bot.action.expired');
      expect(decision.error.message).toBe('This drain of gpu-01 expired without approval.');
      expect(decision.error.hint).toBe(
        'Request it again if it is still needed; the preview may have changed.',
      );
    });

    it('after expiresAt it has expired', () => {
      const action = requestedAction();
      clock.advance(60 * 60_000);
      const decision = decideApproval({
        action,
        incident: makeIncident(),
        actor: bob,
        policy: DEFAULT_POLICY,
        now: clock.now(),
      });
      expect(decision).toMatchObject({ ok: false, expired: true });
    });

    it('expiry is reported even to someone who may not approve, or to the requester', () => {
      const action = requestedAction();
      clock.advance(10 * 60_000);
      const p = policy({ approvers: ['U_ZED'] });
      for (const actor of [carol, alice]) {
        expect(
          decideApproval({
            action,
            incident: makeIncident({ severity: 'SEV1' }),
            actor,
            policy: p,
            now: clock.now(),
          }),
        ).toMatchObject({ ok: false, expired: true });
      }
    });
  });

  describe('non-pending actions', () => {
    const notPending = ACTION_STATUSES.filter((s) => s !== 'requested');
    it.each(notPending)('%s is refused with bot.action.not_pending', (status) => {
      const action = requestedAction({ status, decidedBy: 'U_BOB', decidedByName: 'Bob' });
      const err = catchBotError(() =>
        decideApproval({
          action,
          incident: makeIncident(),
          actor: bob,
          policy: DEFAULT_POLICY,
          now: clock.now(),
        }),
      );
      expect(err.code).toBe('bot.action.not_pending');
      expect(err.message).toMatch(
        /^(Bob (approved|cancelled) this drain of gpu-01|This drain of gpu-01 expired at )/,
      );
    });

    it('a double click on an approved action says who approved it', () => {
      const action = requestedAction({ status: 'approved', decidedBy: 'U_BOB', decidedByName: 'Bob' });
      const err = catchBotError(() =>
        decideApproval({
          action,
          incident: makeIncident(),
          actor: bob,
          policy: DEFAULT_POLICY,
          now: clock.now(),
        }),
      );
      expect(err.message).toMatch(/^Bob approved this drain of gpu-01( at \d\d:\d\d UTC)?; it is running\.$/);
    });

    it('not_pending wins over expiry', () => {
      const action = requestedAction({ status: 'cancelled', decidedBy: 'U_ALICE', decidedByName: 'Alice' });
      clock.advance(60 * 60_000);
      const err = catchBotError(() =>
        decideApproval({
          action,
          incident: makeIncident(),
          actor: bob,
          policy: DEFAULT_POLICY,
          now: clock.now(),
        }),
      );
      expect(err.code).toBe('bot.action.not_pending');
    });
  });
});

describe('assertMayCancel', () => {
  const approverPolicy = policy({ approvers: ['@gpu-oncall'] });

  it('the requester may withdraw their own request', () => {
    expect(assertMayCancel(makeAction(), alice, approverPolicy)).toBeUndefined();
  });

  it('an approver may cancel anyone’s request', () => {
    expect(assertMayCancel(makeAction(), bob, approverPolicy)).toBeUndefined();
  });

  it('anyone else is refused with bot.action.forbidden', () => {
    const err = catchBotError(() => assertMayCancel(makeAction(), carol, approverPolicy));
    expect(err.code).toBe('bot.action.forbidden');
    expect(err.message).toBe('Carol may not cancel this drain.');
    expect(err.hint).toBe('The requester or an approver can cancel it.');
  });

  it('with no approvers listed, anyone may cancel', () => {
    expect(assertMayCancel(makeAction(), carol, DEFAULT_POLICY)).toBeUndefined();
  });

  it.each(ACTION_STATUSES.filter((s) => s !== 'requested') as ActionStatus[])(
    'a %s action cannot be cancelled, even by its requester',
    (status) => {
      for (const actor of [alice, bob, carol]) {
        const err = catchBotError(() => assertMayCancel(makeAction({ status }), actor, approverPolicy));
        expect(err.code).toBe('bot.action.not_pending');
      }
    },
  );
});
