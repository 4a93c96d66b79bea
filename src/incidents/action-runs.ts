import type { Logger } from 'pino';
import type { ChatButton, ChatMessage } from '../chat/message.ts';
import {
  type Action,
  type ActionResult,
  BOT_LIMITS,
  type Clock,
  describeActionState,
  describeError,
  type Incident,
  isBotError,
  notPendingError,
  type Redactor,
} from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import type { OutboxDraft } from '../delivery/entry.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import { actionsFinished } from '../metrics.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { Store, Tx } from '../store/port.ts';
import type { EscalationPolicy } from './actions.ts';
import { collectButton } from './buttons.ts';
import { actionMessage, note, post } from './drafts.ts';
import { incidentRef, truncate } from './format.ts';
import { isNodeKind, MITIGATIONS } from './mitigations.ts';

/** A mitigation that hangs must not hold the node's lock forever. */
const RUN_TIMEOUT_MS = 120_000;
const MAX_OUTPUT = BOT_LIMITS.actionOutput;

/**
 * The action's message (and any further posts) for the deciding transaction. `initial`: the
 * request, which posts the message; later entries redraw it once it exists.
 */
export function actionDrafts(
  incident: Incident,
  action: Action,
  posts: readonly ChatMessage[] = [],
  initial = false,
): OutboxDraft[] {
  if (!incident.channelId) return [];
  return [actionMessage(incident.id, action.id, initial), ...posts.map((m) => post(incident, m))];
}

/** Told, in the transaction that records it, of a drain the node is still finishing (DrainWatch). */
export interface DrainWatcher {
  watch(tx: Tx, incident: Incident, action: Action, now: Date): Promise<void>;
}

/**
 * Running an approved mitigation, once: the move to running, the adapter's call (with a timeout,
 * one mitigation per node at a time in this process), the result redacted and recorded by the
 * move that settles it, and the page after repeated failures.
 */
export class ActionRuns {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly deps: {
      readonly nodes: NodeRegistry;
      readonly uow: UnitOfWork;
      readonly directory: ChatDirectory;
      readonly runner: { readonly name: string; readonly stable: boolean };
      readonly redact: Redactor;
      readonly escalation: EscalationPolicy;
      readonly drainWatch?: DrainWatcher;
    },
  ) {}

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
      const incident = await this.store.getIncident(action.incidentId);
      if (!incident) continue;
      const since =
        action.status === 'running'
          ? action.startedAt
          : action.status === 'approved'
            ? action.decidedAt
            : null;
      const own = this.deps.runner.stable && action.runner === this.deps.runner.name;
      if (!since || (!own && since.getTime() > cutoff)) continue;
      const wasRunning = action.status === 'running';
      const summary = wasRunning
        ? `The bot stopped while the ${action.kind} of ${action.target} was running: it may or may not have completed.`
        : `The bot stopped after the ${action.kind} of ${action.target} was approved and before it started: it did not run.`;
      const { value: moved } = await this.deps.uow.commit(async (tx, send) => {
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
        send(actionDrafts(incident, done, [note(text)]));
        return done;
      });
      if (!moved) continue;
      count++;
      actionsFinished.inc({ kind: moved.kind, status: 'unknown' });
    }
    return count;
  }

  async run(approved: Action, incident: Incident): Promise<Action> {
    return this.withNodeLock(lockKey(approved), async () => {
      const { value: started } = await this.deps.uow.commit(async (tx, send) => {
        const moved = await tx.transitionAction(approved.id, ['approved'], 'running', {
          startedAt: this.clock.now(),
          runner: this.deps.runner.name,
        });
        if (moved) send(actionDrafts(incident, moved));
        return moved;
      });
      if (!started) throw notPendingError((await this.store.getAction(approved.id)) ?? approved);
      // Output is stored and posted: secrets a node printed must not be.
      const raw = await this.execute(started, incident);
      const result = {
        ok: raw.ok,
        summary: this.deps.redact(raw.summary),
        output: this.deps.redact(raw.output),
        ...(raw.ok && raw.warning ? { warning: this.deps.redact(raw.warning) } : {}),
        ...(raw.ok && raw.settling ? { settling: this.deps.redact(raw.settling) } : {}),
      };
      // Only a watcher that is there and an adapter that can say how it goes make a promise.
      const watched =
        result.settling !== undefined &&
        this.deps.drainWatch !== undefined &&
        started.kind === 'drain' &&
        this.nodeAdapter(started)?.drainProgress !== undefined;
      const outcome = resultWords(result);
      const finishedAt = this.clock.now();
      const { value: finished } = await this.deps.uow.commit(async (tx, send) => {
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
          if (incident.channelId) send(post(incident, note(text)));
          return undefined;
        }
        await tx.appendTimeline({
          incidentId: incident.id,
          kind: 'action_result',
          at: finishedAt,
          actorId: null,
          actorName: 'incident-bot',
          text: `${started.kind} of ${started.target} ${outcome.word}: ${result.summary}${result.warning ? ` (${result.warning})` : ''}`,
          data: { actionId: started.id, ok: result.ok, ...(result.warning ? { warning: true } : {}) },
        });
        if (watched) await this.deps.drainWatch?.watch(tx, incident, done, finishedAt);
        send(
          actionDrafts(incident, done, [
            {
              text: `${outcome.emoji} ${started.kind} of ${started.target}: ${result.summary}${result.warning ? `. ${result.warning}` : ''}`,
              sections: [
                `${outcome.emoji} *${started.kind} of ${started.target}* ${outcome.word}: ${result.summary}`,
                ...(result.warning ? [`⚠️ ${result.warning}`] : []),
                ...(watched
                  ? [`⏳ ${started.target} is still draining: the bot says here when it is DRAINED.`]
                  : []),
                ...(result.output ? [`\`\`\`\n${truncate(result.output, MAX_OUTPUT)}\n\`\`\``] : []),
              ],
            },
          ]),
        );
        return done;
      });
      if (!finished) {
        this.logger.warn(
          { action: started.id },
          'a mitigation finished after another process had settled it',
        );
        return (await this.store.getAction(started.id)) ?? started;
      }
      actionsFinished.inc({ kind: finished.kind, status: finished.status });
      if (!result.ok) await this.escalateIfRepeated(incident);
      return finished;
    });
  }

  /**
   * After `afterFailures` failed mitigations on one incident, people are paged with what was tried:
   * the bot stops being the only one working on it. Once per incident.
   */
  private async escalateIfRepeated(incident: Incident): Promise<void> {
    const actions = await this.store.listActions(incident.id);
    const failed = actions.filter((a) => a.status === 'failed');
    if (failed.length !== this.deps.escalation.afterFailures) return;
    const chat = this.deps.directory.chatFor(incident);
    const who = this.deps.escalation.onCall.map((id) => chat.mention(id)).join(' ') || 'the on-call engineer';
    const tried = failed
      .map((a) => `• ${a.kind} of ${a.target}: ${a.result?.summary ?? 'failed'}`)
      .join('\n');
    const text = `📟 Escalating ${incidentRef(incident)}: ${failed.length} mitigation attempts failed. ${who}, please take a look.`;
    await this.deps.uow.commit(async (tx, send) => {
      await tx.appendTimeline({
        incidentId: incident.id,
        kind: 'escalation',
        at: this.clock.now(),
        actorId: null,
        actorName: 'incident-bot',
        text: `Escalated to ${this.deps.escalation.onCall.join(', ') || 'on-call'} after ${failed.length} failed mitigations`,
        data: { actions: failed.map((a) => a.id) },
        key: true,
      });
      if (!incident.channelId) return;
      // reference/gpu-node-triage.md: an escalation offers to collect the full diagnostic dump.
      const offer = bundleOffer(incident, failed, this.deps.nodes);
      send(
        post(incident, {
          text,
          sections: [
            text,
            `*What was tried*\n${tried}`,
            'Next: check the node by hand (BMC, dmesg), or hand over to the hardware team.',
            ...(offer ? [offer.text] : []),
          ],
          ...(offer?.buttons.length ? { buttons: offer.buttons } : {}),
          // The page: the configured on-call are the people this message exists to notify.
          mentions: this.deps.escalation.onCall,
        }),
      );
    });
  }

  private nodeAdapter(action: Action) {
    return this.deps.nodes.adapters.find((a) => a.hasNode(action.target));
  }

  /** Runs the adapter call. A node answering "no" is a failed result; only a bug escapes as a throw. */
  private async execute(action: Action, incident: Incident): Promise<ActionResult> {
    const signal = AbortSignal.timeout(RUN_TIMEOUT_MS);
    const mitigation = MITIGATIONS[action.kind];
    try {
      const adapter =
        mitigation.target === 'node'
          ? this.deps.nodes.require(action.target, mitigation.capability)
          : this.deps.nodes.adapters.find((a) => a.name === action.params.adapter);
      if (!adapter) {
        return {
          ok: false,
          summary: `adapter ${String(action.params.adapter)} is no longer configured`,
          output: '',
        };
      }
      // Slurm records why a node was drained: `incident-bot INC-12: Xid 79 on gpu-node-5`.
      const reason = `${incidentRef(incident)}: ${incident.title}`;
      return await mitigation.run(adapter, action.target, { signal, reason });
    } catch (err) {
      // The hint says what a person should do next (check the node first, say): keep it.
      const summary = describeError(err, { hint: 'inline' });
      if (!isBotError(err)) this.logger.error({ err, action: action.id }, 'mitigation threw');
      return { ok: false, summary, output: '' };
    }
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

/** Mitigations of one node never overlap: the lock is the node, also for a workload's actions. */
function lockKey(action: Action): string {
  return isNodeKind(action.kind) ? action.target : String(action.params.node ?? action.target);
}

/**
 * ✅ succeeded, ⚠️ done with a warning (it ran, and stopped work it meant to move), ⏳ started (it
 * ran and the node is still finishing: Slurm DRAINING), ❌ failed.
 */
function resultWords(result: {
  readonly ok: boolean;
  readonly warning?: string;
  readonly settling?: string;
}) {
  if (!result.ok) return { emoji: '❌', word: 'failed' };
  if (result.warning) return { emoji: '⚠️', word: 'finished with a warning' };
  return result.settling ? { emoji: '⏳', word: 'started' } : { emoji: '✅', word: 'succeeded' };
}

/** Nodes an escalation offers a diagnostic bundle of: those of the failed mitigations that can give one. */
const MAX_OFFERED = 3;

function bundleOffer(
  incident: Incident,
  failed: readonly Action[],
  nodes: NodeRegistry,
): { text: string; buttons: ChatButton[] } | undefined {
  const named = failed.map((a) => (typeof a.params.node === 'string' ? a.params.node : a.target));
  const offered = [...new Set(named)].filter((n) => nodes.canRun(n, 'collect')).slice(0, MAX_OFFERED);
  if (offered.length === 0) return undefined;
  return {
    text: `For the hardware team or NVIDIA: \`/node collect ${offered[0]}\` attaches the node's diagnostic bundle (nvidia-bug-report.sh), redacted.`,
    buttons: offered.flatMap((n) => collectButton(n, incident.id) ?? []),
  };
}
