import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { BotError, type Clock, errorKind, isBotError } from '../core/index.ts';
import { outboxDelivered } from '../metrics.ts';
import type { OutboxEntry, Store, Tx } from '../store/port.ts';
import {
  isTransient,
  newOutboxId,
  type OpHandler,
  type OpHandlers,
  type OpTable,
  type OutboxDraft,
} from './entry.ts';
import type { ChatOps } from './ops.ts';

export interface OutboxOptions {
  /** This process's name on leases. Default: a random one. */
  readonly owner?: string;
  /**
   * The owner is the same across restarts (`local` on SQLite, REPLICA_ID): leases it holds at start
   * are a dead predecessor's, let go at once.
   */
  readonly ownerIsStable?: boolean;
  /** How long a delivery may run before another replica may take it over. */
  readonly leaseMs?: number;
  /** How often pending entries (a crashed process's, retries) are looked for. */
  readonly pollMs?: number;
  /** Transient failures are retried this many times, backing off to 5 minutes, then given up. */
  readonly maxAttempts?: number;
}

export interface DeliveryReport {
  readonly delivered: number;
  /** Failed for good, with the error each one met. */
  readonly failed: readonly { readonly entry: OutboxEntry; readonly error: unknown }[];
  /** Still pending (a transient failure, or waiting for something): retried later. */
  readonly retrying: readonly { readonly entry: OutboxEntry; readonly error: unknown }[];
}

/**
 * The durable outbox. Deciding code writes its chat calls here in the transaction that decides them
 * (`write`), and delivers them right after the commit (`deliver`); a crash in between leaves them
 * pending, and a sweep (this process after a restart, or another replica once the lease has run
 * out) delivers them. Entries of one incident are delivered in the order they were written.
 */
export class Outbox<T extends OpTable = ChatOps> {
  private handlers: OpHandlers<T> | undefined;
  /** This process's name in leases (and on the actions it runs). */
  readonly owner: string;
  /** The owner names this process across restarts too: what it held before a crash is its own. */
  readonly ownerIsStable: boolean;
  private readonly leaseMs: number;
  /** How often pending entries are looked for (the app's Sweeper runs `sweep` this often). */
  readonly pollMs: number;
  private readonly maxAttempts: number;
  private onFailed: ((entry: OutboxEntry, error: unknown) => Promise<void>) | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;
  private started = false;
  /** A sweep was asked for while one ran: run another when it ends. */
  private sweepAgain = false;
  /** Incidents with entries this process found not ready (waiting for an earlier delivery). */
  private readonly waiting = new Set<string>();
  private lastPrune = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly ops: T,
    options: OutboxOptions = {},
  ) {
    this.owner = options.owner ?? `replica-${randomBytes(6).toString('hex')}`;
    this.ownerIsStable = options.ownerIsStable === true && options.owner !== undefined;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.pollMs = options.pollMs ?? 5_000;
    this.maxAttempts = options.maxAttempts ?? 10;
  }

  /**
   * The handlers, once, at composition: handlers decide things (a triage requests mitigations),
   * so they need the services that write through this outbox, which is built before them. Nothing
   * is delivered before this; `onFailed` is told when an entry is given up (recorded on the
   * incident's timeline).
   */
  attach(handlers: OpHandlers<T>, onFailed?: (entry: OutboxEntry, error: unknown) => Promise<void>): void {
    if (this.handlers) throw new Error('the outbox handlers are attached once');
    this.handlers = handlers;
    this.onFailed = onFailed;
  }

  /**
   * Writes drafts in the caller's transaction, leased to this process; deliver the returned entries
   * once the transaction has committed (never before: it may still roll back).
   */
  async write(tx: Tx, drafts: readonly OutboxDraft<T>[]): Promise<OutboxEntry[]> {
    if (drafts.length === 0) return [];
    const now = this.clock.now();
    const entries: OutboxEntry[] = drafts.map((d) => ({
      id: newOutboxId(),
      incidentId: d.incidentId,
      op: d.op,
      // Stored as the schema reads it back: a value JSON cannot keep (a Date) fails here, in the
      // deciding transaction, not after a crash.
      payload: this.parse(d.op, d.payload),
      createdAt: now,
      status: 'pending',
      attempts: 1,
      notBefore: now,
      error: null,
    }));
    await tx.enqueueOutbox(entries, now, this.owner, new Date(now.getTime() + this.leaseMs));
    return entries;
  }

  /**
   * Delivers entries this process wrote (and so holds), one after another in order; with
   * `parallel`, all at once (entries that do not depend on each other). A failure is settled on
   * the entry (retried later, or given up) and reported, never thrown.
   */
  async deliver(
    entries: readonly OutboxEntry[],
    options: { parallel?: boolean } = {},
  ): Promise<DeliveryReport> {
    const report: {
      delivered: number;
      failed: DeliveryReport['failed'][number][];
      retrying: DeliveryReport['retrying'][number][];
    } = {
      delivered: 0,
      failed: [],
      retrying: [],
    };
    const one = async (entry: OutboxEntry): Promise<Date | undefined> => {
      const outcome = await this.run(entry);
      if (outcome.kind === 'done') {
        report.delivered += 1 + outcome.more.delivered;
        report.failed.push(...outcome.more.failed);
        report.retrying.push(...outcome.more.retrying);
        return undefined;
      }
      if (outcome.kind === 'failed') {
        report.failed.push({ entry, error: outcome.error });
        return undefined;
      }
      report.retrying.push({ entry, error: outcome.error });
      return outcome.retryAt;
    };
    if (options.parallel) {
      await Promise.all(entries.map(one));
      return report;
    }
    // An entry waiting for a retry holds back the incident's later entries until then: in order.
    const heldUntil = new Map<string, Date>();
    for (const entry of entries) {
      const key = entry.incidentId ?? `none:${entry.id}`;
      const held = heldUntil.get(key);
      if (held) {
        await this.settle(entry, { status: 'pending', retryAt: held, error: 'waiting for an earlier post' });
        report.retrying.push({ entry, error: undefined });
        continue;
      }
      const retryAt = await one(entry);
      if (retryAt) heldUntil.set(key, retryAt);
    }
    return report;
  }

  /** The payload as its op's schema reads it, or a BotError naming what does not fit. */
  private parse<K extends keyof T & string>(op: K, payload: unknown): z.infer<T[K]> {
    const schema = Object.hasOwn(this.ops, op) ? this.ops[op] : undefined;
    if (!schema) {
      throw new BotError('bot.outbox.unknown_op', `No outbox op ${op} (a newer version wrote it?).`);
    }
    const parsed = schema.safeParse(payload);
    if (parsed.success) return parsed.data as z.infer<T[K]>;
    const issue = parsed.error.issues[0];
    throw new BotError(
      'bot.outbox.bad_payload',
      `The stored ${op} call is not one this version can read (${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}).`,
    );
  }

  private async run(
    entry: OutboxEntry,
  ): Promise<
    | { kind: 'done'; more: DeliveryReport }
    | { kind: 'failed'; error: unknown }
    | { kind: 'retrying'; error: unknown; retryAt: Date }
  > {
    try {
      const handlers = this.handlers;
      if (!handlers) throw new Error('the outbox handlers are not attached');
      const op = entry.op as keyof T & string;
      const handler = Object.hasOwn(handlers, op) ? (handlers[op] as OpHandler<T, typeof op>) : undefined;
      if (!handler) {
        throw new BotError(
          'bot.outbox.unknown_op',
          `No handler for outbox op ${entry.op} (a newer version wrote it?).`,
        );
      }
      const result = await handler({ ...entry, op, payload: this.parse(op, entry.payload) });
      let next: OutboxEntry[] = [];
      const settled = await this.store.transaction(async (tx) => {
        const ok = await tx.settleOutbox(entry.id, this.owner, { status: 'done' }, this.clock.now());
        if (!ok) return false;
        await result?.after?.(tx);
        if (result?.next?.length) next = await this.write(tx, result.next);
        return true;
      });
      outboxDelivered.inc({ op: entry.op, outcome: 'ok' });
      if (!settled) {
        this.logger.warn({ entry: entry.id, op: entry.op }, 'an outbox delivery outlived its lease');
      }
      const more = next.length > 0 ? await this.deliver(next, { parallel: true }) : EMPTY;
      if (entry.incidentId && this.waiting.delete(entry.incidentId)) await this.wake(entry.incidentId);
      return { kind: 'done', more };
    } catch (error) {
      const notYet = isBotError(error) && error.code === 'bot.outbox.not_ready';
      if (notYet && entry.incidentId) this.waiting.add(entry.incidentId);
      const retry = isTransient(error) && entry.attempts < this.maxAttempts;
      const message = error instanceof Error ? error.message : String(error);
      if (retry) {
        const backoff = Math.min(300_000, 5_000 * 2 ** Math.max(0, entry.attempts - 1));
        const retryAt = new Date(this.clock.now().getTime() + backoff);
        await this.settle(entry, { status: 'pending', retryAt, error: message });
        if (!notYet) {
          outboxDelivered.inc({ op: entry.op, outcome: 'retry' });
          this.logger.warn(
            { err: error, entry: entry.id, op: entry.op, attempts: entry.attempts },
            'a chat call failed; it will be tried again',
          );
        }
        return { kind: 'retrying', error, retryAt };
      }
      await this.settle(entry, { status: 'failed', error: message });
      outboxDelivered.inc({ op: entry.op, outcome: 'failed' });
      this.logger.error(
        { err: error, entry: entry.id, op: entry.op, attempts: entry.attempts, kind: errorKind(error) },
        isBotError(error) ? 'a chat call failed for good' : 'a chat call hit a bug in the bot; not retried',
      );
      await this.onFailed?.(entry, error).catch((err) =>
        this.logger.error({ err }, 'recording a failed chat call failed'),
      );
      return { kind: 'failed', error };
    }
  }

  /**
   * An entry of the incident was delivered while others of it waited for something (the request
   * message, the card): retry those now rather than after their back-off.
   */
  private async wake(incidentId: string): Promise<void> {
    try {
      if ((await this.store.wakeOutbox(incidentId, this.clock.now())) > 0) this.kick();
    } catch (err) {
      // They are retried after their back-off instead.
      this.logger.warn({ err, incident: incidentId }, 'could not wake waiting outbox entries');
    }
  }

  /** A sweep as soon as possible (after the one running, if any); only once started. */
  private kick(): void {
    if (!this.started || this.stopped) return;
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    void this.sweep();
  }

  private async settle(entry: OutboxEntry, outcome: Parameters<Store['settleOutbox']>[2]): Promise<void> {
    try {
      await this.store.settleOutbox(entry.id, this.owner, outcome, this.clock.now());
    } catch (err) {
      // The lease runs out and the entry is taken again: nothing is lost.
      this.logger.error({ err, entry: entry.id }, 'could not settle an outbox entry');
    }
  }

  /**
   * Delivers what a stopped process left, now; afterwards the app's Sweeper calls `sweep` every
   * `pollMs`. A stable owner (SQLite, REPLICA_ID) lets go of its predecessor's leases first.
   */
  async start(): Promise<void> {
    if (this.ownerIsStable) await this.store.releaseOutbox(this.owner);
    this.stopped = false;
    this.started = true;
    await this.sweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.sweeping;
  }

  /** Delivers what is due and free: incidents side by side, each one's entries in order. */
  async sweep(): Promise<number> {
    if (this.sweeping) {
      await this.sweeping;
      return 0;
    }
    let count = 0;
    const run = (async () => {
      try {
        for (let round = 0; round < 20 && !this.stopped; round++) {
          const claimed = await this.store.claimOutbox(this.clock.now(), this.owner, this.leaseMs, 100);
          if (claimed.length === 0) break;
          const byIncident = new Map<string, OutboxEntry[]>();
          for (const e of claimed) {
            const key = e.incidentId ?? `none:${e.id}`;
            byIncident.set(key, [...(byIncident.get(key) ?? []), e]);
          }
          const reports = await Promise.all([...byIncident.values()].map((list) => this.deliver(list)));
          count += reports.reduce((n, r) => n + r.delivered, 0);
          if (claimed.length < 100) break;
        }
        const now = this.clock.now().getTime();
        if (now - this.lastPrune > 3_600_000) {
          this.lastPrune = now;
          await this.store.pruneOutbox(new Date(now - 7 * 86_400_000));
        }
      } catch (err) {
        this.logger.error({ err }, 'the outbox sweep failed; trying again shortly');
      }
    })();
    this.sweeping = run;
    try {
      await run;
    } finally {
      this.sweeping = undefined;
    }
    if (count > 0) this.logger.info({ delivered: count }, 'delivered chat calls left pending');
    if (this.sweepAgain && !this.stopped) {
      this.sweepAgain = false;
      void this.sweep();
    }
    return count;
  }
}

const EMPTY: DeliveryReport = { delivered: 0, failed: [], retrying: [] };
