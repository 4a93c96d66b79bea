import type { Store, Tx } from '../store/port.ts';
import type { OpTable, OutboxDraft } from './entry.ts';
import type { ChatOps } from './ops.ts';
import type { DeliveryReport, Outbox } from './outbox.ts';

/** Queues chat calls in the transaction at hand: one draft, several, or a list of them. */
export type Send<T extends OpTable = ChatOps> = (
  ...drafts: (OutboxDraft<T> | readonly OutboxDraft<T>[])[]
) => void;

export interface Committed<V> {
  /** What the work returned. */
  readonly value: V;
  /** How the calls it queued went (delivered, failed for good, retrying). */
  readonly report: DeliveryReport;
}

export interface CommitOptions<T extends OpTable = ChatOps> {
  /**
   * Calls to deliver beside the caller instead of before `commit` returns (an alert incident's
   * triage, which takes seconds): still in order, still once. Awaited by `idle()` and at stop.
   */
  readonly inBackground?: (draft: OutboxDraft<T>) => boolean;
}

/**
 * The one place a decision reaches chat: `work` decides and writes in one transaction and queues
 * its chat calls with `send`; the calls are written to the outbox in that same transaction, and
 * delivered only once it has committed. A crash in between leaves them pending for the outbox's
 * sweep, so a decision is never posted without being recorded, nor recorded without being posted.
 * A refusal (a BotError thrown by `work`) rolls everything back, the queued calls with it.
 *
 * Never call `commit` inside another transaction: its deliveries would run before the outer one
 * commits.
 */
export class UnitOfWork<T extends OpTable = ChatOps> {
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    readonly outbox: Outbox<T>,
  ) {}

  async commit<V>(
    work: (tx: Tx, send: Send<T>) => Promise<V>,
    options: CommitOptions<T> = {},
  ): Promise<Committed<V>> {
    let now: Awaited<ReturnType<Outbox<T>['write']>> = [];
    let later: typeof now = [];
    const value = await this.store.transaction(async (tx) => {
      const drafts: OutboxDraft<T>[] = [];
      const send: Send<T> = (...items) => {
        for (const item of items) {
          if (Array.isArray(item)) drafts.push(...(item as readonly OutboxDraft<T>[]));
          else drafts.push(item as OutboxDraft<T>);
        }
      };
      const result = await work(tx, send);
      const split = options.inBackground;
      const first = split ? drafts.filter((d) => !split(d)) : drafts;
      const rest = split ? drafts.filter((d) => split(d)) : [];
      // Written in the order queued within each part; the background part after the rest.
      now = await this.outbox.write(tx, first);
      later = await this.outbox.write(tx, rest);
      return result;
    });
    const report = await this.outbox.deliver(now);
    if (later.length > 0) {
      const job = this.outbox.deliver(later).catch(() => undefined);
      this.background.add(job);
      void job.finally(() => this.background.delete(job));
    }
    return { value, report };
  }

  /** Resolves once the background deliveries started so far have ended (stop, tests). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }
}
