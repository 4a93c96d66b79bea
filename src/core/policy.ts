import type { Action, ActionKind } from './action.ts';
import { isFinal, notPendingError } from './action.ts';
import { BotError } from './errors.ts';
import type { Incident } from './incident.ts';
import type { Severity } from './severity.ts';

/** Who is acting: the person who typed or clicked, never the person who asked for the action. */
export interface Actor {
  readonly id: string;
  readonly name: string;
  /** Platform groups the person belongs to (Slack user groups, Discord roles, sandbox teams). */
  readonly groups?: readonly string[];
  /** IANA zone for showing times, when the platform tells us. */
  readonly timeZone?: string;
  /**
   * The bot itself, acting on an alert or a runbook (id `bot:…`). It may request a mitigation,
   * never approve one: approval always comes from a person clicking. It is never invited or mentioned.
   */
  readonly bot?: boolean;
}

/** Ids of the bot's own actors start with this; no chat platform's user ids contain a colon. */
export const BOT_ACTOR_PREFIX = 'bot:';

export function isBotActorId(id: string): boolean {
  return id.startsWith(BOT_ACTOR_PREFIX);
}

export interface ApprovalPolicy {
  /** User ids or `@group` names that may approve mitigations; empty means anyone may. */
  readonly approvers: readonly string[];
  /** User ids or `@group` names that may request mitigations; empty means anyone may. */
  readonly requesters: readonly string[];
  /** Severities where the approver must be someone other than the requester. */
  readonly twoPersonSeverities: readonly Severity[];
  /** How long an unapproved action stays valid. */
  readonly expiryMinutes: number;
  /** Per mitigation, lists that replace the two above (e.g. only @hw-team may approve a drain). */
  readonly actions?: Partial<
    Record<ActionKind, { readonly approvers?: readonly string[]; readonly requesters?: readonly string[] }>
  >;
}

/** Who may approve this kind of action: its own list when configured, else the general one. */
export function approversFor(policy: ApprovalPolicy, kind: ActionKind): readonly string[] {
  return policy.actions?.[kind]?.approvers ?? policy.approvers;
}

export function requestersFor(policy: ApprovalPolicy, kind: ActionKind): readonly string[] {
  return policy.actions?.[kind]?.requesters ?? policy.requesters;
}

export const DEFAULT_POLICY: ApprovalPolicy = {
  approvers: [],
  requesters: [],
  twoPersonSeverities: ['SEV1', 'SEV2'],
  expiryMinutes: 10,
};

export function matchesList(actor: Actor, list: readonly string[]): boolean {
  if (list.length === 0) return true;
  const groups = new Set((actor.groups ?? []).map((g) => g.toLowerCase()));
  return list.some((entry) =>
    entry.startsWith('@') ? groups.has(entry.slice(1).toLowerCase()) : entry === actor.id,
  );
}

export function assertMayRequest(actor: Actor, policy: ApprovalPolicy, kind: ActionKind): void {
  const list = requestersFor(policy, kind);
  // A runbook's recommendation is requested by the bot; the approver list still guards it.
  if (actor.bot && isBotActorId(actor.id)) return;
  if (matchesList(actor, list)) return;
  throw new BotError('bot.action.forbidden', `${actor.name} may not request a ${kind}.`, {
    hint: `Ask someone who may: ${list.join(', ')}.`,
  });
}

export function expiresAt(requestedAt: Date, policy: ApprovalPolicy): Date {
  return new Date(requestedAt.getTime() + policy.expiryMinutes * 60_000);
}

export type ApprovalDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly expired: true; readonly error: BotError };

/**
 * May `actor` approve `action` now? Throws a BotError for a refusal that changes nothing; returns
 * `expired` when the action's time is up, so the caller can record the expiry.
 */
export function decideApproval(input: {
  action: Action;
  incident: Incident;
  actor: Actor;
  policy: ApprovalPolicy;
  now: Date;
}): ApprovalDecision {
  const { action, incident, actor, policy, now } = input;
  if (action.status !== 'requested') throw notPendingError(action);
  if (now.getTime() >= action.expiresAt.getTime()) {
    return {
      ok: false,
      expired: true,
      error: new BotError(
        'bot.action.expired',
        `This ${action.kind} of ${action.target} expired without approval.`,
        { hint: 'Request it again if it is still needed; the preview may have changed.' },
      ),
    };
  }
  const approvers = approversFor(policy, action.kind);
  if (!matchesList(actor, approvers)) {
    throw new BotError('bot.action.forbidden', `${actor.name} may not approve a ${action.kind}.`, {
      hint: `Approvers: ${approvers.join(', ')}.`,
    });
  }
  if (policy.twoPersonSeverities.includes(incident.severity) && actor.id === action.requestedBy) {
    throw new BotError(
      'bot.action.same_person',
      `${incident.severity} needs a second person: the one who requested this ${action.kind} cannot approve it.`,
      { hint: 'Ask another responder to approve.' },
    );
  }
  return { ok: true };
}

/** The requester may withdraw their own request; approvers may cancel anyone's. */
export function assertMayCancel(action: Action, actor: Actor, policy: ApprovalPolicy): void {
  if (isFinal(action.status) || action.status !== 'requested') throw notPendingError(action);
  if (actor.id === action.requestedBy || matchesList(actor, approversFor(policy, action.kind))) return;
  throw new BotError('bot.action.forbidden', `${actor.name} may not cancel this ${action.kind}.`, {
    hint: 'The requester or an approver can cancel it.',
  });
}
