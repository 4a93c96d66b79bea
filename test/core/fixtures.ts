import type { Action, ActionStatus } from '../../src/core/action.ts';
import type { BotError } from '../../src/core/errors.ts';
import { isBotError } from '../../src/core/errors.ts';
import type { Incident } from '../../src/core/incident.ts';

export const T0 = new Date('2026-01-01T00:00:00.000Z');

export function makeIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'inc_1',
    number: 42,
    title: 'GPU nodes failing',
    description: '',
    severity: 'SEV2',
    status: 'investigating',
    private: false,
    platform: 'sandbox',
    channelId: null,
    channelName: null,
    cardMessageId: null,
    createdBy: 'U_ALICE',
    createdAt: T0,
    updatedAt: T0,
    acknowledgedAt: null,
    mitigatedAt: null,
    resolvedAt: null,
    closedAt: null,
    version: 1,
    ...overrides,
  };
}

export function makeAction(overrides: Partial<Action> = {}): Action {
  return {
    id: 'act_1',
    incidentId: 'inc_1',
    kind: 'drain',
    target: 'gpu-01',
    params: {},
    preview: 'drain gpu-01: 3 pods evicted',
    status: 'requested' as ActionStatus,
    requestedBy: 'U_ALICE',
    requestedByName: 'Alice',
    requestedAt: T0,
    expiresAt: new Date(T0.getTime() + 10 * 60_000),
    decidedBy: null,
    decidedByName: null,
    decidedAt: null,
    startedAt: null,
    finishedAt: null,
    result: null,
    messageId: null,
    runner: null,
    severity: null,
    ...overrides,
  };
}

/** Runs `fn`, asserts it throws a BotError, and returns it for exact assertions. */
export function catchBotError(fn: () => unknown): BotError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) throw new Error('expected a BotError, nothing was thrown');
  if (!isBotError(thrown)) throw new Error(`expected a BotError, got ${String(thrown)}`);
  return thrown;
}
