import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatMessage } from '../chat/message.ts';
import {
  type Action,
  type ActionKind,
  type ActionResult,
  type Actor,
  type ApprovalPolicy,
  approvalSeverity,
  assertMayCancel,
  assertMayRequest,
  BOT_LIMITS,
  BotError,
  type Clock,
  decideApproval,
  describeActionState,
  describeError,
  expiresAt,
  type Incident,
  isBotActorId,
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
import { actionsFinished } from '../metrics.ts';
import type { NodeAdapter, NodeCapability } from '../nodes/port.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { OutboxEntry, Store } from '../store/port.ts';
import { actionButtonId } from './buttons.ts';
import { incidentRef, truncate } from './format.ts';
import { type HandlerResult, notReady, type OutboxDraft, postOnce } from './outbox.ts';
import { type IncidentListener, type IncidentService, note } from './service.ts';

/** Mitigations of a whole node; the others (restart, stop) act on one workload. */
export type NodeActionKind = Extract<ActionKind, 'cordon' | 'uncordon' | 'drain'>;
export type WorkloadActionKind = Extract<ActionKind, 'restart' | 'stop'>;

const CAPABILITY: Record<ActionKind, NodeCapability> = {
  cordon: 'cordon',
  uncordon: 'uncordon',
  drain: 'drain',
  restart: 'restart',
  stop: 'stop',
};

function isNodeKind(kind: ActionKind): kind is NodeActionKind {
  return kind === 'cordon' || kind === 'uncordon' || kind === 'drain';
}

export interface EscalationPolicy {
  /** People or groups paged (mentioned) after `afterFailures` failed mitigations on one incident. */
  readonly onCall: readonly string[];
  readonly afterFailures: number;
}

/** A mitigation that hangs must not hold the node's lock forever. */
const RUN_TIMEOUT_MS = 120_000;
const MAX_OUTPUT = BOT_LIMITS.actionOutput;

/**
 * Preview → approve → run once. An approval is a compare-and-set on the stored action, so a
 * double click or a redelivered click runs nothing twice; a per-node lock keeps two mitigations
 * of one node from overlapping.
 */
export class ActionService {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly nodes: NodeRegistry,
    private readonly incidents: IncidentService,
    private readonly policy: ApprovalPolicy,
    private readonly escalation: EscalationPolicy = { onCall: [], afterFailures: 2 },
    /**
     * main.ts passes the bot's redactor (with the configured secrets); alone, the built-in rules.
     * Triage shows what nodes printed through it too, so both redact alike.
     */
    readonly redactor: Redactor = redact,
  ) {
    this.incidents.outbox.register('action', (e) => this.deliverMessage(e));
  }

  private sweep: NodeJS.Timeout | undefined;
  private listener: IncidentListener | undefined;

  /** Told of approvals in their transaction (the reminders' "approved, no update since" nudge). */
  setListener(listener: IncidentListener): void {
    this.listener = listener;
  }

  /** Expires unapproved actions on time, so their buttons go away even if nobody clicks. */
  startExpirySweep(intervalMs = 15_000): void {
    this.sweep = setInterval(() => {
      this.expireDue().catch((err) => this.logger.warn({ err }, 'the action expiry sweep failed'));
    }, intervalMs);
    this.sweep.unref();
  }

  stopExpirySweep(): void {
    if (this.sweep) clearInterval(this.sweep);
  }

  /**
   * After a crash: actions a stopped process left approved or running (for longer than
   * `olderThanMs`) may or may not have happened. Each becomes `unknown`, on the timeline and in
   * its channel, asking a person to check the node. With one process (SQLite) this runs at
   * start-up with 0; with several replicas the age keeps it off actions another replica is running,
   * except for those this replica's stable name (REPLICA_ID) ran before it restarted: no other
   * replica runs them, so they are reported at once.
   */
  async recoverInterrupted(olderThanMs: number): Promise<number> {
    const now = this.clock.now();
    const cutoff = now.getTime() - olderThanMs;
    let count = 0;
    // One query for the candidates, not one per incident: this runs at every start-up.
    for (const action of await this.store.listActionsByStatus(['approved', 'running'])) {
      const incident = await this.incidents.get(action.incidentId);
      if (!incident) continue;
      const since =
        action.status === 'running'
          ? action.startedAt
          : action.status === 'approved'
            ? action.decidedAt
            : null;
      const own = this.incidents.outbox.ownerIsStable && action.runner === this.incidents.outbox.owner;
      if (!since || (!own && since.getTime() > cutoff)) continue;
      const wasRunning = action.status === 'running';
      let queued: OutboxEntry[] = [];
      const summary = wasRunning
        ? `The bot stopped while the ${action.kind} of ${action.target} was running: it may or may not have completed.`
        : `The bot stopped after the ${action.kind} of ${action.target} was approved and before it started: it did not run.`;
      const moved = await this.store.transaction(async (tx) => {
        const done = await tx.transitionAction(action.id, [action.status], 'unknown', {
          finishedAt: now,
          result: { ok: false, summary, output: '' },
        });
        if (!done) return undefined;
        await tx.appendTimeline({
          incidentId: incident.id,
          kind: 'action_result',
          at: now,
          actorId: null,
          actorName: 'incident-bot',
          text: `${action.kind} of ${action.target}: outcome unknown. ${summary}`,
          data: { actionId: action.id, ok: false, recovered: true },
          key: true,
        });
        const check = isNodeKind(action.kind) ? `/node status ${action.target}` : `/workload list`;
        const text = `⚠️ ${summary} Check with \`${check}\` and request it again if it is still needed.`;
        queued = await this.write(tx, incident, done, [{ text, sections: [text] }]);
        return done;
      });
      if (!moved) continue;
      count++;
      actionsFinished.inc({ kind: moved.kind, status: 'unknown' });
      await this.incidents.outbox.deliver(queued);
    }
    return count;
  }

  /** Marks every action past its expiry as expired and updates its message; returns how many. */
  async expireDue(): Promise<number> {
    let count = 0;
    for (const action of await this.store.listExpiredActions(this.clock.now())) {
      const incident = await this.incidents.get(action.incidentId);
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
    const {
      preview,
      params,
      target: resolved,
    } = isNodeKind(kind) ? await this.nodePreview(kind, target) : await this.workloadPreview(kind, target);
    target = resolved;
    const now = this.clock.now();
    let queued: OutboxEntry[] = [];
    const action = await this.store.transaction(async (tx) => {
      // The severity it is requested at, read where the request is written: the two-person rule
      // weighs it at approval (lowering the incident afterwards does not lift the rule).
      const current = (await tx.getIncident(incident.id)) ?? incident;
      // One open request per mitigation and target: a second would only be a second button to click.
      const open = (await tx.listActions(incident.id)).find(
        (a) => a.kind === kind && a.target === target && OPEN.has(a.status),
      );
      if (open) {
        throw new BotError(
          'bot.action.already_open',
          `A ${kind} of ${target} is already ${open.status === 'requested' ? 'waiting for approval' : open.status} (requested by ${open.requestedByName}).`,
          { hint: 'Approve or cancel that one in the channel; its message has the buttons.' },
        );
      }
      const created = await tx.createAction({
        id: randomUUID(),
        incidentId: incident.id,
        kind,
        target,
        params,
        preview,
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
        text: `Requested ${kind} of ${target}`,
        data: { actionId: created.id, kind, target },
      });
      queued = await this.write(tx, incident, created, [], true);
      return created;
    });
    await this.incidents.outbox.deliver(queued);
    return (await this.store.getAction(action.id)) ?? action;
  }

  async approve(actionId: string, actor: Actor): Promise<Action> {
    const loaded = await this.load(actionId);
    const now = this.clock.now();
    let queued: OutboxEntry[] = [];
    // Decided inside the transaction that approves: the severity and its recent changes it weighs
    // cannot move between the decision and the write.
    const outcome = await this.store.transaction(async (tx) => {
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
        runner: this.incidents.outbox.owner,
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
      queued = await this.write(tx, incident, moved);
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
    await this.incidents.outbox.deliver(queued);
    return this.run(outcome.approved, outcome.incident);
  }

  async cancel(actionId: string, actor: Actor): Promise<Action> {
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

  private async run(approved: Action, incident: Incident): Promise<Action> {
    return this.withNodeLock(lockKey(approved), async () => {
      let queued: OutboxEntry[] = [];
      const started = await this.store.transaction(async (tx) => {
        const moved = await tx.transitionAction(approved.id, ['approved'], 'running', {
          startedAt: this.clock.now(),
          runner: this.incidents.outbox.owner,
        });
        if (moved) queued = await this.write(tx, incident, moved);
        return moved;
      });
      if (!started) throw notPendingError((await this.store.getAction(approved.id)) ?? approved);
      await this.incidents.outbox.deliver(queued);
      // Output is stored and posted: secrets a node printed must not be.
      const raw = await this.execute(started);
      const result = { ok: raw.ok, summary: this.redactor(raw.summary), output: this.redactor(raw.output) };
      const finishedAt = this.clock.now();
      const finished = await this.store.transaction(async (tx) => {
        const done = await tx.transitionAction(started.id, ['running'], result.ok ? 'succeeded' : 'failed', {
          finishedAt,
          result,
        });
        if (!done) {
          // Someone else settled it meanwhile (recovery marked it "outcome unknown"): the record
          // keeps one result, theirs, and the channel and timeline hear what the node answered.
          const settled = describeActionState((await tx.getAction(started.id)) ?? started);
          const text = `ℹ️ The ${started.kind} of ${started.target}, already recorded as ${settled}, finished after all: ${result.ok ? 'it succeeded' : 'it failed'}: ${result.summary}`;
          await tx.appendTimeline({
            incidentId: incident.id,
            kind: 'note',
            at: finishedAt,
            actorId: null,
            actorName: 'incident-bot',
            text,
            data: { actionId: started.id, ok: result.ok, late: true },
          });
          if (incident.channelId) {
            queued = await this.incidents.outbox.write(tx, [this.incidents.post(incident, note(text))]);
          }
          return undefined;
        }
        await tx.appendTimeline({
          incidentId: incident.id,
          kind: 'action_result',
          at: finishedAt,
          actorId: null,
          actorName: 'incident-bot',
          text: `${started.kind} of ${started.target} ${result.ok ? 'succeeded' : 'failed'}: ${result.summary}`,
          data: { actionId: started.id, ok: result.ok },
        });
        queued = await this.write(tx, incident, done, [
          {
            text: `${result.ok ? '✅' : '❌'} ${started.kind} of ${started.target}: ${result.summary}`,
            sections: [
              `${result.ok ? '✅' : '❌'} *${started.kind} of ${started.target}* ${result.ok ? 'succeeded' : 'failed'}: ${result.summary}`,
              ...(result.output ? [`\`\`\`\n${truncate(result.output, MAX_OUTPUT)}\n\`\`\``] : []),
            ],
          },
        ]);
        return done;
      });
      if (!finished) {
        this.logger.warn(
          { action: started.id },
          'a mitigation finished after another process had settled it',
        );
        await this.incidents.outbox.deliver(queued);
        return (await this.store.getAction(started.id)) ?? started;
      }
      const final = finished;
      actionsFinished.inc({ kind: final.kind, status: final.status });
      await this.incidents.outbox.deliver(queued);
      if (!result.ok) await this.escalateIfRepeated(incident);
      return final;
    });
  }

  /**
   * After `afterFailures` failed mitigations on one incident, people are paged with what was tried:
   * the bot stops being the only one working on it. Once per incident.
   */
  private async escalateIfRepeated(incident: Incident): Promise<void> {
    const actions = await this.store.listActions(incident.id);
    const failed = actions.filter((a) => a.status === 'failed');
    if (failed.length !== this.escalation.afterFailures) return;
    const chat = this.incidents.chatFor(incident);
    const who = this.escalation.onCall.map((id) => chat.mention(id)).join(' ') || 'the on-call engineer';
    const tried = failed
      .map((a) => `• ${a.kind} of ${a.target}: ${a.result?.summary ?? 'failed'}`)
      .join('\n');
    const text = `📟 Escalating ${incidentRef(incident)}: ${failed.length} mitigation attempts failed. ${who}, please take a look.`;
    const queued = await this.store.transaction(async (tx) => {
      await tx.appendTimeline({
        incidentId: incident.id,
        kind: 'escalation',
        at: this.clock.now(),
        actorId: null,
        actorName: 'incident-bot',
        text: `Escalated to ${this.escalation.onCall.join(', ') || 'on-call'} after ${failed.length} failed mitigations`,
        data: { actions: failed.map((a) => a.id) },
        key: true,
      });
      if (!incident.channelId) return [];
      return this.incidents.outbox.write(tx, [
        this.incidents.post(incident, {
          text,
          sections: [
            text,
            `*What was tried*\n${tried}`,
            'Next: check the node by hand (BMC, dmesg), or hand over to the hardware team.',
          ],
          // The page: the configured on-call are the people this message exists to notify.
          mentions: this.escalation.onCall,
        }),
      ]);
    });
    await this.incidents.outbox.deliver(queued);
  }

  /** Runs the adapter call. A node answering "no" is a failed result; only a bug escapes as a throw. */
  private async execute(action: Action): Promise<ActionResult> {
    const signal = AbortSignal.timeout(RUN_TIMEOUT_MS);
    try {
      if (isNodeKind(action.kind)) {
        const adapter = this.nodes.require(action.target, CAPABILITY[action.kind]);
        if (action.kind === 'cordon') return await adapter.cordon(action.target, { signal });
        if (action.kind === 'uncordon') return await adapter.uncordon(action.target, { signal });
        return await adapter.drain(action.target, { signal });
      }
      const adapter = this.nodes.adapters.find((a) => a.name === action.params.adapter);
      if (!adapter)
        return {
          ok: false,
          summary: `adapter ${String(action.params.adapter)} is no longer configured`,
          output: '',
        };
      return action.kind === 'restart'
        ? await adapter.restartWorkload(action.target, { signal })
        : await adapter.stopWorkload(action.target, { signal });
    } catch (err) {
      // The hint says what a person should do next (check the node first, say): keep it.
      const summary = describeError(err, { hint: 'inline' });
      if (!isBotError(err)) this.logger.error({ err, action: action.id }, 'mitigation threw');
      return { ok: false, summary, output: '' };
    }
  }

  private async nodePreview(kind: NodeActionKind, node: string) {
    const adapter = await this.nodes.resolve(node, CAPABILITY[kind]);
    return {
      preview: await this.preview(adapter, kind, node),
      params: { adapter: adapter.name, node },
      target: node,
    };
  }

  private async workloadPreview(kind: WorkloadActionKind, ref: string) {
    const { adapter, workload } = await this.nodes.findWorkload(ref, { signal: AbortSignal.timeout(30_000) });
    if (!adapter.capabilities.has(CAPABILITY[kind])) {
      throw new BotError('bot.node.unsupported', `Adapter ${adapter.name} cannot ${kind} workloads.`, {
        hint: `Configure a ${kind} command for it, or do it outside the bot.`,
      });
    }
    const state = `${workload.state}, ${workload.restartCount} restarts${workload.lastExitCode !== null ? `, last exit ${workload.lastExitCode}` : ''}`;
    const preview =
      kind === 'restart'
        ? `${workload.name} on ${workload.node} (${state}) will be restarted${workload.gpus > 0 ? `; its ${workload.gpus} GPU(s) are briefly idle` : ''}.`
        : `${workload.name} on ${workload.node} (${state}) will be stopped and stays stopped until someone starts it.`;
    return { preview, params: { adapter: adapter.name, node: workload.node }, target: workload.id };
  }

  private async preview(adapter: NodeAdapter, kind: NodeActionKind, node: string): Promise<string> {
    const signal = AbortSignal.timeout(30_000);
    if (kind === 'drain') {
      const plan = await adapter.planDrain(node, { signal });
      const lines = [
        plan.alreadyCordoned
          ? `${node} is already cordoned.`
          : `${node} will be cordoned (no new work scheduled).`,
        plan.evict.length
          ? `${plan.evict.length} workload(s) will be moved off: ${plan.evict.map((w) => `${w.name} (${w.gpus} GPU)`).join(', ')}`
          : 'No workloads need to move.',
      ];
      if (plan.skip.length) {
        lines.push(`Left in place: ${plan.skip.map((s) => `${s.workload.name} (${s.reason})`).join(', ')}`);
      }
      return lines.join('\n');
    }
    if (kind === 'cordon') {
      const workloads = await adapter.listWorkloads(node, { signal });
      const running = workloads.filter((w) => w.state === 'running' || w.state === 'restarting');
      return `${node} will stop receiving new work. ${running.length} running workload(s) keep running: ${running.map((w) => w.name).join(', ') || 'none'}.`;
    }
    return `${node} will accept new work again.`;
  }

  private render(action: Action, incident: Incident): ChatMessage {
    const chat = this.incidents.chatFor(incident);
    const pending = action.status === 'requested';
    // A request the bot made (a runbook's recommendation) is approved by any one person.
    const byBot = isBotActorId(action.requestedBy);
    const twoPerson = needsSecondPerson(action, incident, this.policy);
    const header = `🛠️ ${action.kind} ${action.target}: ${describeActionState(action)}`;
    const context = [
      `Requested by ${action.requestedByName}${byBot ? ' (runbook recommendation)' : ''} · ${incidentRef(incident)}`,
      pending
        ? `Expires ${this.incidents.channelTime(chat, action.expiresAt, false)}${twoPerson ? ` · ${approvalSeverity(action, incident)}: needs a second person to approve` : ''}`
        : `Updated ${this.incidents.channelTime(chat, this.clock.now(), false)}`,
    ];
    const danger = action.kind !== 'uncordon';
    return {
      text: header,
      header,
      sections: [
        `*Preview*\n${action.preview}`,
        ...(action.result ? [`*Result*: ${action.result.summary}`] : []),
      ],
      ...(pending
        ? {
            buttons: [
              {
                id: actionButtonId('approve', action.id),
                label: 'Approve',
                style: danger ? ('danger' as const) : ('primary' as const),
                ...(danger
                  ? {
                      confirm: {
                        title: `Run ${action.kind} on ${action.target}?`,
                        text: action.preview,
                        confirm: `Yes, ${action.kind}`,
                        deny: 'Not yet',
                      },
                    }
                  : {}),
              },
              { id: actionButtonId('cancel', action.id), label: 'Cancel' },
            ],
          }
        : {}),
      context,
    };
  }

  /**
   * The action's message (and any further posts) as outbox entries in the deciding transaction.
   * `initial`: the request, which posts the message; later entries update it once it exists.
   */
  private async write(
    tx: Store,
    incident: Incident,
    action: Action,
    posts: readonly ChatMessage[] = [],
    initial = false,
  ): Promise<OutboxEntry[]> {
    if (!incident.channelId) return [];
    const drafts: OutboxDraft[] = [
      {
        incidentId: incident.id,
        op: 'action',
        payload: { actionId: action.id, ...(initial ? { initial } : {}) },
      },
      ...posts.map((m) => this.incidents.post(incident, m)),
    ];
    return this.incidents.outbox.write(tx, drafts);
  }

  /** Draws the action's message from the record when delivered: posted once, then updated. */
  private async deliverMessage(entry: OutboxEntry): Promise<HandlerResult | undefined> {
    const action = await this.store.getAction(String(entry.payload.actionId));
    const incident = action && (await this.incidents.get(action.incidentId));
    if (!action || !incident) return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    const chat = this.incidents.chatFor(incident);
    const message = this.render(action, incident);
    if (action.messageId) {
      await chat.updateMessage(incident.channelId, action.messageId, message);
      return undefined;
    }
    if (entry.payload.initial !== true) throw notReady('the request message');
    const messageId = await postOnce(chat, incident.channelId, entry, message);
    return { after: (tx) => tx.setActionMessage(action.id, messageId) };
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
    let queued: OutboxEntry[] = [];
    const moved = await this.store.transaction(async (tx) => {
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
      queued = await this.write(tx, incident, done);
      return done;
    });
    if (moved) {
      actionsFinished.inc({ kind: moved.kind, status: to });
      await this.incidents.outbox.deliver(queued);
    }
    return moved;
  }

  private async load(actionId: string): Promise<{ action: Action; incident: Incident }> {
    const action = await this.store.getAction(actionId);
    if (!action) throw new BotError('bot.action.not_found', 'That mitigation request no longer exists.');
    const incident = await this.incidents.get(action.incidentId);
    if (!incident)
      throw new BotError('bot.incident.not_found', 'The incident of that mitigation no longer exists.');
    return { action, incident };
  }

  /** One mitigation per node at a time within this process; replicas coordinate through the store. */
  private async withNodeLock<T>(node: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(node) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.locks.set(node, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(node) === next) this.locks.delete(node);
    }
  }
}

const OPEN: ReadonlySet<Action['status']> = new Set(['requested', 'approved', 'running']);

/** Mitigations of one node never overlap: the lock is the node, also for a workload's actions. */
function lockKey(action: Action): string {
  return isNodeKind(action.kind) ? action.target : String(action.params.node ?? action.target);
}

/** A severity entry of the timeline as the approval rule reads it (entries without both ends skipped). */
function toSeverityChange(entry: TimelineEntry): SeverityChange[] {
  const { from, to } = entry.data as { from?: unknown; to?: unknown };
  if (!isSeverity(from) || !isSeverity(to)) return [];
  return [{ at: entry.at, actorId: entry.actorId, from, to }];
}
