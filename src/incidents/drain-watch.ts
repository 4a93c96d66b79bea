import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ChatMessage } from '../chat/message.ts';
import {
  type Action,
  type Clock,
  describeError,
  formatDuration,
  type Incident,
  isOpen,
} from '../core/index.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { Store, Timer, Tx } from '../store/port.ts';
import { note, post } from './drafts.ts';

/** The timer kind: one per incident, its payload the drains it watches. */
export const DRAIN_WATCH = 'drain_watch';

const Payload = z.object({
  drains: z
    .array(z.object({ actionId: z.string(), node: z.string(), since: z.string().datetime() }))
    .default([]),
});
type Watched = z.infer<typeof Payload>['drains'][number];

export interface DrainWatchOptions {
  /** How often a draining node is asked again. */
  readonly everyMs: number;
  /** After this long the bot stops asking and says so: a job that runs for days is the user's call. */
  readonly giveUpMs: number;
}

export const DEFAULT_DRAIN_WATCH: DrainWatchOptions = { everyMs: 60_000, giveUpMs: 24 * 3_600_000 };

const LEASE_MS = 60_000;
const BATCH = 50;

/**
 * Drains still finishing (Slurm DRAINING while jobs run): the bot asks the node's adapter every
 * minute and says in the channel when it is DRAINED, or no longer draining, or after a day that it
 * stops asking. A durable timer (one per incident, kind `drain_watch`), leased like the reminders,
 * so a restart or a second replica neither loses the watch nor posts twice. The incident's
 * resolution ends it with its other timers.
 */
export class DrainWatch {
  readonly owner: string;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly deps: { readonly nodes: NodeRegistry; readonly uow: UnitOfWork },
    private readonly options: DrainWatchOptions = DEFAULT_DRAIN_WATCH,
    owner: string = randomUUID(),
  ) {
    this.owner = owner;
  }

  /** Inside the transaction that records a drain as settling: watch its node from now on. */
  async watch(tx: Tx, incident: Incident, action: Action, now: Date): Promise<void> {
    const existing = await tx.getTimer(incident.id, DRAIN_WATCH);
    const drains = Payload.parse(existing?.payload ?? {}).drains.filter((d) => d.node !== action.target);
    drains.push({ actionId: action.id, node: action.target, since: now.toISOString() });
    await tx.scheduleTimer({
      incidentId: incident.id,
      kind: DRAIN_WATCH,
      dueAt: new Date(now.getTime() + this.options.everyMs),
      payload: { drains } satisfies z.input<typeof Payload>,
      createdAt: now,
    });
  }

  /** Leases the due watches and asks each node; returns how many messages it posted. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const due = await this.store.claimDueTimers(now, this.owner, LEASE_MS, BATCH, [DRAIN_WATCH]);
    let posted = 0;
    for (const timer of due) {
      try {
        posted += await this.check(timer, now);
      } catch (err) {
        this.logger.warn({ err, incident: timer.incidentId }, 'a drain watch failed; asking again later');
        await this.finish(timer, timer.payload, now).catch(() => undefined);
      }
    }
    return posted;
  }

  private async check(timer: Timer, now: Date): Promise<number> {
    const incident = await this.store.getIncident(timer.incidentId);
    const parsed = Payload.safeParse(timer.payload ?? {});
    if (!incident || !isOpen(incident.status) || !parsed.success) {
      if (!parsed.success) this.logger.warn({ incident: timer.incidentId }, 'unreadable drain watch dropped');
      await this.store.finishTimer(timer.incidentId, timer.kind, this.owner);
      return 0;
    }
    const keep: Watched[] = [];
    const messages: ChatMessage[] = [];
    for (const d of parsed.data.drains) {
      const said = await this.ask(d, now);
      if (said === undefined) keep.push(d);
      else messages.push(note(said));
    }
    await this.finish(timer, keep.length > 0 ? { drains: keep } : undefined, now, incident, messages);
    return messages.length;
  }

  /** What to say about one drain now, or undefined to ask again later. */
  private async ask(d: Watched, now: Date): Promise<string | undefined> {
    const took = formatDuration(now.getTime() - Date.parse(d.since));
    const adapter = this.deps.nodes.adapters.find((a) => a.hasNode(d.node));
    if (!adapter?.drainProgress) {
      return `ℹ️ The bot can no longer tell how the drain of ${d.node} is going (its adapter is gone or cannot say); check it with \`/node status ${d.node}\`.`;
    }
    try {
      const progress = await adapter.drainProgress(d.node, { signal: AbortSignal.timeout(30_000) });
      if (progress.state === 'drained')
        return `✅ ${d.node} is DRAINED, ${took} after the drain: its last Slurm job ended. ${progress.summary}.`;
      if (progress.state === 'other')
        return `ℹ️ ${d.node} stopped draining before its jobs ended (${took} after the drain): ${progress.summary}.`;
    } catch (err) {
      // Unreachable for now: asked again next time, until the watch gives up.
      this.logger.info({ node: d.node, err: describeError(err) }, 'drain progress not read; asking again');
    }
    if (now.getTime() - Date.parse(d.since) >= this.options.giveUpMs) {
      return `⏳ ${d.node} is still DRAINING ${took} after the drain; the bot stops watching it. Its jobs are still running: check them with \`squeue -w ${d.node}\`.`;
    }
    return undefined;
  }

  private async finish(
    timer: Timer,
    payload: Readonly<Record<string, unknown>> | undefined,
    now: Date,
    incident?: Incident,
    messages: readonly ChatMessage[] = [],
  ): Promise<void> {
    const next = payload ? { dueAt: new Date(now.getTime() + this.options.everyMs), payload } : undefined;
    await this.deps.uow.commit(async (tx, send) => {
      const ok = await tx.finishTimer(timer.incidentId, timer.kind, this.owner, next);
      if (!ok || !incident) return;
      for (const m of messages) {
        await tx.appendTimeline({
          incidentId: incident.id,
          kind: 'note',
          at: now,
          actorId: null,
          actorName: 'incident-bot',
          text: m.text,
          data: { drainWatch: true },
        });
      }
      if (incident.channelId) send(messages.map((m) => post(incident, m)));
    });
  }
}
