import {
  type AlertSource,
  groupKeyFor,
  incidentKeyFor,
  type NormalizedAlert,
  nodesFromLabels,
  normalizeAlertPayloadSliced,
} from '../alerts/index.ts';
import type { Clock } from '../core/index.ts';
import { alertsReceived } from '../metrics.ts';
import type { NewAlertRecord, Store, Tx } from '../store/port.ts';

export interface Received {
  /** Alerts in the delivery. */
  readonly alerts: number;
  /** The group keys (`source:groupKey`) they were stored under. */
  readonly groups: readonly string[];
}

export interface AlertIntakeOptions {
  /** Labels that make a group key when the sender gives none (the generic webhook). */
  readonly groupBy: readonly string[];
  /** Group Alertmanager and Grafana alerts by `groupBy` too, instead of by the sender's groupKey. */
  readonly groupByLabels: boolean;
  readonly nodeLabels: readonly string[];
}

/** Lets other requests in between the steps of a big body (SQLite calls are synchronous). */
export const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Alerts written per statement batch before the next turn of the event loop. A storm's
 * 60,000-alert notification written at once held the event loop for about a second on SQLite
 * (better-sqlite3 is synchronous); 1,000 at a time is about 20 ms each. They are all still one
 * transaction, committed before the 200.
 */
export const ALERTS_PER_WRITE = 1_000;

/**
 * recordAlerts, ALERTS_PER_WRITE at a time with a turn of the event loop between, inside the
 * caller's transaction. In key order across the slices, as recordAlerts orders one call (two
 * replicas upserting overlapping batches then lock rows in the same order); the sort is stable,
 * so the later of two deliveries of one alert still wins.
 */
async function recordInSlices(tx: Tx, records: readonly NewAlertRecord[], at: Date): Promise<void> {
  if (records.length <= ALERTS_PER_WRITE) {
    await tx.recordAlerts(records, at);
    return;
  }
  // (group key, fingerprint) as pairs: the alerts of one delivery share one group key string,
  // so this compares fingerprints only, about half the time of sorting joined keys.
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const ordered = [...records].sort((a, b) =>
    a.groupKey === b.groupKey ? cmp(a.fingerprint, b.fingerprint) : cmp(a.groupKey, b.groupKey),
  );
  for (let i = 0; i < ordered.length; i += ALERTS_PER_WRITE) {
    if (i > 0) await yieldToIo();
    await tx.recordAlerts(ordered.slice(i, i + ALERTS_PER_WRITE), at);
  }
}

/**
 * What the webhooks hand over: a body validated, normalised and stored durably, all of it or
 * nothing, before the sender is answered. Deliveries that arrive while a write is running go into
 * the next one together (one fsync per round, not per delivery).
 */
export class AlertIntake {
  /** Deliveries waiting for the next group commit. */
  private readonly writes: { records: readonly NewAlertRecord[]; done: (err?: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: AlertIntakeOptions,
  ) {}

  /**
   * Validates and stores one webhook body, all of it or nothing. Throws AlertPayloadError (a 400)
   * for a body that is not the source's shape.
   */
  async receive(source: AlertSource, body: unknown): Promise<Received> {
    const receivedAt = this.clock.now();
    // A big body is validated, normalised and written in slices, the event loop turning between
    // them, so /healthz and every other request keep being answered meanwhile. All of it is
    // validated before anything is written (a 400 stores nothing), and the answer still waits
    // for the one commit.
    const batch = await normalizeAlertPayloadSliced(
      source,
      body,
      { receivedAt, groupBy: this.options.groupBy },
      yieldToIo,
    );
    const batchKey = incidentKeyFor(batch);
    const records: NewAlertRecord[] = [];
    for (let i = 0; i < batch.alerts.length; i += ALERTS_PER_WRITE) {
      if (i > 0) await yieldToIo();
      for (const a of batch.alerts.slice(i, i + ALERTS_PER_WRITE))
        records.push(this.record(source, a, batchKey));
    }
    await this.persist(records);
    alertsReceived.inc({ source }, records.length);
    return { alerts: records.length, groups: [...new Set(records.map((r) => r.groupKey))] };
  }

  /**
   * Group commit: deliveries that arrive while a write is in progress go into the next write
   * together, so a burst costs one transaction (one fsync) per round instead of one per delivery.
   * Each caller's promise settles only once its alerts are committed.
   */
  private persist(records: readonly NewAlertRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writes.push({ records, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.writing) void this.flushWrites();
    });
  }

  private async flushWrites(): Promise<void> {
    this.writing = true;
    try {
      while (this.writes.length > 0) {
        const round = this.writes.splice(0);
        const at = this.clock.now();
        try {
          await this.store.transaction((tx) =>
            recordInSlices(
              tx,
              round.flatMap((w) => w.records),
              at,
            ),
          );
          for (const w of round) w.done();
        } catch (err) {
          if (round.length === 1) {
            round[0]!.done(err);
            continue;
          }
          // Something broke the shared transaction: write each delivery alone, so only its own fails.
          for (const w of round) {
            try {
              await this.store.transaction((tx) => recordInSlices(tx, w.records, at));
              w.done();
            } catch (own) {
              w.done(own ?? new Error('write failed'));
            }
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private record(source: AlertSource, a: NormalizedAlert, batchKey: string): NewAlertRecord {
    const groupKey =
      this.options.groupByLabels && source !== 'generic'
        ? `${source}:${groupKeyFor(a.labels, this.options.groupBy)}`
        : batchKey;
    return {
      groupKey,
      fingerprint: a.fingerprint,
      source,
      name: a.name,
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      nodes: nodesFromLabels(a.labels, this.options.nodeLabels),
      ...(a.summary ? { summary: a.summary } : {}),
      ...(a.runbookUrl ? { runbookUrl: a.runbookUrl } : {}),
      ...(a.generatorUrl ? { generatorUrl: a.generatorUrl } : {}),
      startsAt: a.startsAt,
      endsAt: a.endsAt,
    };
  }
}
