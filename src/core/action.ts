import { BotError } from './errors.ts';
import type { Severity } from './severity.ts';

/** Mitigations that change a node or workload. Each goes through preview → approval → one run. */
export const ACTION_KINDS = ['cordon', 'uncordon', 'drain', 'restart', 'stop'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const ACTION_STATUSES = [
  'requested',
  'approved',
  'cancelled',
  'expired',
  'running',
  'succeeded',
  'failed',
  /** Found approved or running after a crash: it may or may not have happened. */
  'unknown',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface ActionResult {
  readonly ok: boolean;
  readonly summary: string;
  readonly output: string;
  /** It ran, with something a person should look at (a drain that stopped what it meant to move). */
  readonly warning?: string;
  /** It ran, and the node is still finishing it (Slurm DRAINING while jobs run): what it waits for. */
  readonly settling?: string;
}

export interface Action {
  /** Opaque id; a button carries this and nothing else. */
  readonly id: string;
  readonly incidentId: string;
  readonly kind: ActionKind;
  /** A node name or workload id, validated before it was stored. */
  readonly target: string;
  readonly params: Record<string, unknown>;
  /** What the dry run said would be affected. */
  readonly preview: string;
  readonly status: ActionStatus;
  readonly requestedBy: string;
  readonly requestedByName: string;
  readonly requestedAt: Date;
  readonly expiresAt: Date;
  readonly decidedBy: string | null;
  readonly decidedByName: string | null;
  readonly decidedAt: Date | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly result: ActionResult | null;
  /** The chat message holding the approve/cancel buttons, updated as the action moves. */
  readonly messageId: string | null;
  /**
   * The process that approved and runs it (its lease owner: `local` on SQLite, REPLICA_ID, or a
   * name per start); null until approved. Recovery after a restart uses it.
   */
  readonly runner: string | null;
  /**
   * The incident's severity when it was requested; the two-person rule looks at the more severe of
   * this and the severity at approval. Null for actions stored before it was recorded.
   */
  readonly severity: Severity | null;
}

const TRANSITIONS: Record<ActionStatus, readonly ActionStatus[]> = {
  requested: ['approved', 'cancelled', 'expired'],
  // A process that stopped between approving and starting leaves it approved: recovery says unknown.
  approved: ['running', 'unknown'],
  cancelled: [],
  expired: [],
  running: ['succeeded', 'failed', 'unknown'],
  succeeded: [],
  failed: [],
  unknown: [],
};

export function canMoveAction(from: ActionStatus, to: ActionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(status: ActionStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** States from which `to` may be reached: the `from` set of a compare-and-set in the store. */
export function predecessors(to: ActionStatus): ActionStatus[] {
  return ACTION_STATUSES.filter((s) => TRANSITIONS[s].includes(to));
}

export function isDestructive(kind: ActionKind): boolean {
  return kind !== 'uncordon';
}

export function describeActionState(action: Action): string {
  switch (action.status) {
    case 'requested':
      return 'waiting for approval';
    case 'approved':
      return `approved by ${action.decidedByName ?? action.decidedBy}`;
    case 'cancelled':
      return `cancelled by ${action.decidedByName ?? action.decidedBy}`;
    case 'expired':
      return 'expired without approval';
    case 'running':
      return 'running';
    case 'succeeded':
      return action.result?.warning ? 'done, with a warning' : 'succeeded';
    case 'failed':
      return 'failed';
    case 'unknown':
      return 'outcome unknown (the bot stopped while it was under way)';
  }
}

/**
 * A click on an Approve or Cancel that someone else answered first (or that expired), saying who
 * and when: "Bob approved this drain of gpu-node-5 at 07:36; it succeeded." `time` renders the
 * instant for the channel (default: UTC).
 */
export function notPendingError(
  action: Action,
  time: (at: Date) => string = (at) => `${at.toISOString().slice(11, 16)} UTC`,
): BotError {
  const what = `${action.kind} of ${action.target}`;
  const who = action.decidedByName ?? action.decidedBy;
  const at = action.decidedAt ? ` at ${time(action.decidedAt)}` : '';
  const message = (() => {
    switch (action.status) {
      case 'cancelled':
        return `${who} cancelled this ${what}${at}.`;
      case 'expired':
        return `This ${what} expired at ${time(action.expiresAt)} without approval.`;
      case 'approved':
      case 'running':
        return `${who} approved this ${what}${at}; it is running.`;
      case 'succeeded':
        return `${who} approved this ${what}${at}; it ${action.result?.warning ? 'finished with a warning' : 'succeeded'}.`;
      case 'failed':
        return `${who} approved this ${what}${at}; it failed.`;
      case 'unknown':
        return `${who} approved this ${what}${at}; its outcome is unknown (the bot stopped while it was under way).`;
      default:
        return `This ${what} is no longer waiting for approval: it is ${describeActionState(action)}.`;
    }
  })();
  return new BotError('bot.action.not_pending', message, {
    hint: 'Nothing was done for this click. The message shows where things stand now.',
  });
}
