import type { Action, ActionKind } from './action.ts';
import { isFinal, notPendingError } from './action.ts';
import { formatDuration } from './duration.ts';
import { BotError } from './errors.ts';
import type { Incident, RoleAssignment } from './incident.ts';
import { isMoreSevere, type Severity } from './severity.ts';

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

/** A severity change on the incident's timeline, as the approval rule reads it. */
export interface SeverityChange {
  readonly at: Date;
  /** Who changed it; null or a `bot:` id for the bot (an alert raising it). */
  readonly actorId: string | null;
  readonly from: Severity;
  readonly to: Severity;
}

/**
 * How long a person's own severity change counts against their approvals: moving the incident
 * across the two-person line and then approving alone is what the rule is there to stop.
 */
export const SEVERITY_CHANGE_WINDOW_MS = 10 * 60_000;

/** The more severe of the incident's severity now and when the action was requested. */
export function approvalSeverity(action: Action, incident: Incident): Severity {
  const atRequest = action.severity ?? incident.severity;
  return isMoreSevere(atRequest, incident.severity) ? atRequest : incident.severity;
}

/** Whether approving `action` needs someone other than its (human) requester. */
export function needsSecondPerson(action: Action, incident: Incident, policy: ApprovalPolicy): boolean {
  return (
    !isBotActorId(action.requestedBy) &&
    policy.twoPersonSeverities.includes(approvalSeverity(action, incident))
  );
}

function minutesAgo(now: Date, at: Date): string {
  const ms = now.getTime() - at.getTime();
  return ms < 60_000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/**
 * May `actor` approve `action` now? Throws a BotError for a refusal that changes nothing; returns
 * `expired` when the action's time is up, so the caller can record the expiry.
 *
 * The two-person rule (`twoPersonSeverities`) is applied for the more severe of the severity at
 * the request and at the approval, so lowering an incident to approve one's own request does not
 * get round it. A person who moved the incident across the line in the last ten minutes
 * (`severityChanges`, newest last) is held to it too: whoever lowered it out of a two-person
 * severity may not approve their own request alone, and whoever raised it into one may not be the
 * one human a bot's (runbook's) request needs.
 */
export function decideApproval(input: {
  action: Action;
  incident: Incident;
  actor: Actor;
  policy: ApprovalPolicy;
  now: Date;
  severityChanges?: readonly SeverityChange[];
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
  const twoPerson = (s: Severity) => policy.twoPersonSeverities.includes(s);
  const severity = approvalSeverity(action, incident);
  const own = (input.severityChanges ?? []).filter(
    (c) => c.actorId === actor.id && now.getTime() - c.at.getTime() <= SEVERITY_CHANGE_WINDOW_MS,
  );
  const ask = { hint: 'Ask another responder to approve.' };
  if (!isBotActorId(action.requestedBy)) {
    if (actor.id !== action.requestedBy) return { ok: true };
    if (twoPerson(severity)) {
      const when =
        action.severity && action.severity !== incident.severity
          ? ` (it was requested at ${action.severity}; the more severe level counts)`
          : '';
      throw new BotError(
        'bot.action.same_person',
        `${severity} needs a second person: the one who requested this ${action.kind} cannot approve it${when}.`,
        ask,
      );
    }
    const lowered = own.findLast((c) => twoPerson(c.from) && !twoPerson(c.to));
    if (lowered) {
      throw new BotError(
        'bot.action.same_person',
        `You lowered ${incidentLabel(incident)} from ${lowered.from} to ${lowered.to} ${minutesAgo(now, lowered.at)}, so a second person must approve your own ${action.kind} for ${formatDuration(SEVERITY_CHANGE_WINDOW_MS)} after.`,
        ask,
      );
    }
    return { ok: true };
  }
  // A bot's request needs one human; at a two-person severity not the one who just raised it there.
  if (twoPerson(severity)) {
    const raised = own.findLast((c) => !twoPerson(c.from) && twoPerson(c.to));
    if (raised) {
      throw new BotError(
        'bot.action.same_person',
        `You raised ${incidentLabel(incident)} from ${raised.from} to ${raised.to} ${minutesAgo(now, raised.at)}, so at ${severity} someone else must approve this ${action.kind} for ${formatDuration(SEVERITY_CHANGE_WINDOW_MS)} after.`,
        ask,
      );
    }
  }
  return { ok: true };
}

function incidentLabel(incident: Incident): string {
  return `INC-${incident.number}`;
}

/** The requester may withdraw their own request; approvers may cancel anyone's. */
export function assertMayCancel(action: Action, actor: Actor, policy: ApprovalPolicy): void {
  if (isFinal(action.status) || action.status !== 'requested') throw notPendingError(action);
  if (actor.id === action.requestedBy || matchesList(actor, approversFor(policy, action.kind))) return;
  throw new BotError('bot.action.forbidden', `${actor.name} may not cancel this ${action.kind}.`, {
    hint: 'The requester or an approver can cancel it.',
  });
}

/**
 * Whether the record makes `actor` a member of the incident: its declarer, a holder of one of its
 * roles, or one of the configured responders (an id or an `@group` the actor is in). A private
 * incident answers from outside its channel only to members (the chat platform may know more:
 * someone invited to the channel by hand).
 */
export function isRecordMember(
  incident: Incident,
  roles: readonly RoleAssignment[],
  actor: Actor,
  responders: readonly string[],
): boolean {
  if (isBotActorId(actor.id)) return false;
  if (actor.id === incident.createdBy) return true;
  if (roles.some((r) => r.incidentId === incident.id && r.userId === actor.id)) return true;
  return responders.length > 0 && matchesList(actor, responders);
}
