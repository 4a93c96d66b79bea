import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  type Action,
  type ActionKind,
  type Actor,
  type ApprovalPolicy,
  assertMayCancel,
  assertMayRequest,
  BotError,
  type Clock,
  decideApproval,
  expiresAt,
  type Incident,
  isBotError,
  isSeverity,
  needsSecondPerson,
  notPendingError,
  type Redactor,
  redact,
  SEVERITY_CHANGE_WINDOW_MS,
  type SeverityChange,
  type TimelineEntry,
} from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import type { Send, UnitOfWork } from '../delivery/unit-of-work.ts';
import { actionsFinished } from '../metrics.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { Store } from '../store/port.ts';
import { ActionRuns, actionDrafts, type DrainWatcher } from './action-runs.ts';
import { incidentRef } from './format.ts';
import type { IncidentListener } from './listener.ts';
import { MITIGATIONS } from './mitigations.ts';

export type { NodeActionKind, WorkloadActionKind } from './mitigations.ts';

export interface EscalationPolicy {
  /** People or groups paged (mentioned) after `afterFailures` failed mitigations on one incident. */
  readonly onCall: readonly string[];
  readonly afterFailures: number;
}

export interface ActionServiceDeps {
  readonly nodes: NodeRegistry;
  readonly uow: UnitOfWork;
  readonly directory: ChatDirectory;
  /** Told of approvals in their transaction (the reminders' "approved, no update since" nudge). */
  readonly listener?: IncidentListener;
  /**
   * This process on the actions it runs (its lease owner: `local` on SQLite, REPLICA_ID, or a
   * name per start); `stable` when that name survives a restart, so what it ran before a crash
   * is known to be its own.
   */
  readonly runner: { readonly name: string; readonly stable: boolean };
  /** The bot's redactor (with the configured secrets); alone, the built-in rules. */
  readonly redact?: Redactor;
  /** Told of drains still finishing (Slurm DRAINING), in their transaction, to say when they are done. */
  readonly drainWatch?: DrainWatcher;
}

const PREVIEW_TIMEOUT_MS = 30_000;

/**
 * Preview → approve → run once. An approval is a compare-and-set on the stored action, so a
 * double click or a redelivered click runs nothing twice; a per-node lock keeps two mitigations
 * of one node from overlapping. Every move is committed with its chat calls (the request
 * message, redrawn from the record; the result) through the unit of work.
 */
export class ActionService {
  private readonly nodes: NodeRegistry;
  private readonly uow: UnitOfWork;
  private readonly directory: ChatDirectory;
  private readonly listener: IncidentListener | undefined;
  private readonly runner: ActionServiceDeps['runner'];
  /** The bot's redactor: triage shows what nodes printed through it too, so both redact alike. */
  readonly redactor: Redactor;
  private readonly runs: ActionRuns;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly logger: Logger,
    deps: ActionServiceDeps,
    private readonly policy: ApprovalPolicy,
    readonly escalation: EscalationPolicy = { onCall: [], afterFailures: 2 },
  ) {
    this.nodes = deps.nodes;
    this.uow = deps.uow;
    this.directory = deps.directory;
    this.listener = deps.listener;
    this.runner = deps.runner;
    this.redactor = deps.redact ?? redact;
    this.runs = new ActionRuns(store, clock, logger, {
      nodes: this.nodes,
      uow: this.uow,
      directory: this.directory,
      runner: this.runner,
      redact: this.redactor,
      escalation,
      ...(deps.drainWatch ? { drainWatch: deps.drainWatch } : {}),
    });
  }

  /**
   * After a crash: actions a stopped process left approved or running become `unknown`, asking a
   * person to check the node (ActionRuns.recoverInterrupted). Returns how many.
   */
  recoverInterrupted(olderThanMs: number): Promise<number> {
    return this.runs.recoverInterrupted(olderThanMs);
  }

  /**
   * Marks every action past its expiry as expired and updates its message (its buttons go away
   * even if nobody clicks); returns how many. The app's Sweeper runs it every 15 s.
   */
  async expireDue(): Promise<number> {
    let count = 0;
    for (const action of await this.store.listExpiredActions(this.clock.now())) {
      const incident = await this.store.getIncident(action.incidentId);
      if (!incident) continue;
      const moved = await this.finishWithoutRun(
        action,
        incident,
        'expired',
        null,
        'action_expired',
        `${action.kind} of ${action.target} expired without approval`,
      );
      if (moved) count++;
    }
    return count;
  }

  /** Whether approving this action needs someone other than its requester (see decideApproval). */
  needsSecondPerson(action: Action, incident: Incident): boolean {
    return needsSecondPerson(action, incident, this.policy);
  }

  async request(incident: Incident, kind: ActionKind, target: string, actor: Actor): Promise<Action> {
    assertMayRequest(actor, this.policy, kind);
    if (incident.status === 'closed') {
      throw new BotError(
        'bot.incident.closed',
        `${incidentRef(incident)} is closed; mitigations need an open incident.`,
      );
    }
    const resolved = await MITIGATIONS[kind].resolve(this.nodes, target, {
      signal: AbortSignal.timeout(PREVIEW_TIMEOUT_MS),
    });
    const now = this.clock.now();
    const { value: action } = await this.uow.commit(async (tx, send) => {
      // The severity it is requested at, read where the request is written: the two-person rule
      // weighs it at approval (lowering the incident afterwards does not lift the rule).
      const current = (await tx.getIncident(incident.id)) ?? incident;
      // One open request per mitigation and target: a second would only be a second button to click.
      const open = (await tx.listActions(incident.id)).find(
        (a) => a.kind === kind && a.target === resolved.target && OPEN.has(a.status),
      );
      if (open) {
        throw new BotError(
          'bot.action.already_open',
          `A ${kind} of ${resolved.target} is already ${open.status === 'requested' ? 'waiting for approval' : open.status} (requested by ${open.requestedByName}).`,
          { hint: 'Approve or cancel that one in the channel; its message has the buttons.' },
        );
      }
      const created = await tx.createAction({
        id: randomUUID(),
        incidentId: incident.id,
        kind,
        target: resolved.target,
        params: { adapter: resolved.adapter.name, node: resolved.node },
        preview: resolved.preview,
        requestedBy: actor.id,
        requestedByName: actor.name,
        requestedAt: now,
        expiresAt: expiresAt(now, this.policy),
        severity: current.severity,
      });
      await tx.appendTimeline({
        incidentId: incident.id,
        kind: 'action_requested',
        at: now,
        actorId: actor.id,
        actorName: actor.name,
        text: `Requested ${kind} of ${resolved.target}`,
        data: { actionId: created.id, kind, target: resolved.target },
      });
      send(actionDrafts(incident, created, [], true));
      return created;
    });
    return (await this.store.getAction(action.id)) ?? action;
  }

  async approve(actionId: string, actor: Actor): Promise<Action> {
    return this.explainingStaleClicks(actionId, () => this.approveOnce(actionId, actor));
  }

  /**
   * A click someone else answered first (or one after the expiry) is refused with who did what
   * and when, in the channel's time: "Bob approved this drain of gpu-node-5 at 07:36".
   */
  private async explainingStaleClicks<T>(actionId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (!isBotError(err) || err.code !== 'bot.action.not_pending') throw err;
      const action = await this.store.getAction(actionId);
      const incident = action && (await this.store.getIncident(action.incidentId));
      if (!action || !incident) throw err;
      let chat: ReturnType<ChatDirectory['chatFor']> | undefined;
      try {
        chat = this.directory.chatFor(incident);
      } catch {
        throw notPendingError(action);
      }
      throw notPendingError(action, (at) => this.directory.channelTime(chat, at, false));
    }
  }

  private async approveOnce(actionId: string, actor: Actor): Promise<Action> {
    const loaded = await this.load(actionId);
    const now = this.clock.now();
    // Decided inside the transaction that approves: the severity and its recent changes it weighs
    // cannot move between the decision and the write.
    const { value: outcome } = await this.uow.commit(async (tx, send) => {
      const action = (await tx.getAction(actionId)) ?? loaded.action;
      const incident = (await tx.getIncident(action.incidentId)) ?? loaded.incident;
      const severityChanges = (
        await tx.listTimelineOfKind(
          incident.id,
          'severity',
          new Date(now.getTime() - SEVERITY_CHANGE_WINDOW_MS),
        )
      ).flatMap(toSeverityChange);
      const decision = decideApproval({ action, incident, actor, policy: this.policy, now, severityChanges });
      if (!decision.ok) return { expired: decision.error };
      const moved = await tx.transitionAction(action.id, ['requested'], 'approved', {
        decidedBy: actor.id,
        decidedByName: actor.name,
        decidedAt: now,
        runner: this.runner.name,
      });
      if (!moved) return undefined;
      await tx.appendTimeline({
        incidentId: incident.id,
        kind: 'action_approved',
        at: now,
        actorId: actor.id,
        actorName: actor.name,
        text: `Approved ${action.kind} of ${action.target} (requested by ${action.requestedByName})`,
        data: { actionId: action.id },
      });
      await this.listener?.actionApproved(tx, incident, moved);
      send(actionDrafts(incident, moved));
      return { approved: moved, incident };
    });
    if (outcome && 'expired' in outcome) {
      const { action, incident } = loaded;
      await this.finishWithoutRun(
        action,
        incident,
        'expired',
        null,
        'action_expired',
        `${action.kind} of ${action.target} expired unapproved`,
      );
      throw outcome.expired;
    }
    if (!outcome) throw notPendingError((await this.store.getAction(actionId)) ?? loaded.action);
    return this.runs.run(outcome.approved, outcome.incident);
  }

  async cancel(actionId: string, actor: Actor): Promise<Action> {
    return this.explainingStaleClicks(actionId, () => this.cancelOnce(actionId, actor));
  }

  private async cancelOnce(actionId: string, actor: Actor): Promise<Action> {
    const { action, incident } = await this.load(actionId);
    assertMayCancel(action, actor, this.policy);
    const cancelled = await this.finishWithoutRun(
      action,
      incident,
      'cancelled',
      actor,
      'action_cancelled',
      `Cancelled ${action.kind} of ${action.target}`,
    );
    if (!cancelled) throw notPendingError((await this.store.getAction(action.id)) ?? action);
    return cancelled;
  }

  /** The incident's mitigation requests still waiting for approval, oldest first. */
  async waitingForApproval(incident: Incident): Promise<Action[]> {
    return (await this.store.listActions(incident.id)).filter((a) => a.status === 'requested');
  }

  /**
   * Cancels every request of the incident still waiting for approval, as part of resolving or
   * closing it: `actor` is who resolved, `why` goes on the timeline. One that moved meanwhile
   * (approved a moment before) is left as it is. Returns the ones cancelled.
   */
  async cancelWaiting(incident: Incident, actor: Actor, why: string): Promise<Action[]> {
    const cancelled: Action[] = [];
    for (const action of await this.waitingForApproval(incident)) {
      const moved = await this.finishWithoutRun(
        action,
        incident,
        'cancelled',
        actor,
        'action_cancelled',
        `Cancelled ${action.kind} of ${action.target}: ${why}`,
      );
      if (moved) cancelled.push(moved);
    }
    return cancelled;
  }

  private async finishWithoutRun(
    action: Action,
    incident: Incident,
    to: 'cancelled' | 'expired',
    actor: Actor | null,
    kind: 'action_cancelled' | 'action_expired',
    text: string,
  ): Promise<Action | undefined> {
    const now = this.clock.now();
    const { value: moved } = await this.uow.commit(async (tx, send: Send) => {
      const done = await tx.transitionAction(action.id, ['requested'], to, {
        ...(actor ? { decidedBy: actor.id, decidedByName: actor.name } : {}),
        decidedAt: now,
      });
      if (!done) return undefined;
      await tx.appendTimeline({
        incidentId: incident.id,
        kind,
        at: now,
        actorId: actor?.id ?? null,
        actorName: actor?.name ?? 'incident-bot',
        text,
        data: { actionId: action.id },
      });
      send(actionDrafts(incident, done));
      return done;
    });
    if (moved) actionsFinished.inc({ kind: moved.kind, status: to });
    return moved;
  }

  private async load(actionId: string): Promise<{ action: Action; incident: Incident }> {
    const action = await this.store.getAction(actionId);
    if (!action) throw new BotError('bot.action.not_found', 'That mitigation request no longer exists.');
    const incident = await this.store.getIncident(action.incidentId);
    if (!incident)
      throw new BotError('bot.incident.not_found', 'The incident of that mitigation no longer exists.');
    return { action, incident };
  }
}

const OPEN: ReadonlySet<Action['status']> = new Set(['requested', 'approved', 'running']);

/** A severity entry of the timeline as the approval rule reads it (entries without both ends skipped). */
function toSeverityChange(entry: TimelineEntry): SeverityChange[] {
  const { from, to } = entry.data as { from?: unknown; to?: unknown };
  if (!isSeverity(from) || !isSeverity(to)) return [];
  return [{ at: entry.at, actorId: entry.actorId, from, to }];
}
