import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type AlertSource, type SeverityMapping, StormGuard } from '../alerts/index.ts';
import type { ChatPlatform } from '../chat/port.ts';
import { type Actor, BOT_ACTOR_PREFIX, type Clock, type Incident, isBotError } from '../core/index.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import type { LoadedRunbook } from '../runbooks/schema.ts';
import type { AlertGroup, AlertRecord, Store } from '../store/port.ts';
import { AlertCarrier, type Carry, settled } from './alert-carry.ts';
import { AlertIntake, type Received, yieldToIo } from './alert-intake.ts';
import { AlertOpener } from './alert-open.ts';
import type { IncidentService } from './service.ts';

export interface AlertServiceOptions {
  /** Labels that make a group key when the sender gives none (the generic webhook). */
  readonly groupBy: readonly string[];
  /** Group Alertmanager and Grafana alerts by `groupBy` too, instead of by the sender's groupKey. */
  readonly groupByLabels: boolean;
  readonly nodeLabels: readonly string[];
  readonly severity: SeverityMapping;
  readonly maxNewPerMinute: number;
  /** The name alert-opened incidents and their requests are attributed to. */
  readonly actorName: string;
  /**
   * Who this process is when it claims alert groups. One process (SQLite) passes a fixed name, so
   * after a crash it takes its own claims back at once; replicas each get a random one (default).
   */
  readonly owner?: string;
}

export type { Received } from './alert-intake.ts';

/** Who alert incidents, their requests and their triage are attributed to: the bot, never a person. */
export function alertActor(name: string): Actor {
  return { id: `${BOT_ACTOR_PREFIX}alerts`, name, bot: true };
}

/** Groups the worker takes per round. */
const ROUND = 200;
/** How long a claimed group stays this process's; a round takes well under this. */
const CLAIM_MS = 120_000;
/** Pending groups are looked for this often too, so a dead replica's claims are taken over. */
export const ALERT_POLL_MS = 30_000;
/** A group's pending alerts are read this many at a time (about 20 ms a page on SQLite). */
const ALERTS_PER_READ = 2_000;
const RETRY_MS = 30_000;

/**
 * Alerts in, incidents out. `receive` validates a webhook body and stores its alerts durably (the
 * webhook answers only after that); a single worker then carries pending alerts to incidents: one
 * incident per alert group, opened with the matching runbook's triage, or the storm incident when
 * too many groups open at once. Resends change nothing; a status change (firing → resolved) is
 * posted once; when every alert of an incident has resolved, the bot offers to resolve it.
 *
 * The pending list lives in the store, so alerts received just before a crash are carried after
 * the restart (`start`).
 */
export class AlertService {
  private readonly actor: Actor;
  private readonly opener: AlertOpener;
  private readonly carrier: AlertCarrier;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Groups whose processing failed, and when to try them again. */
  private readonly retryAt = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** This process, as the owner of its claims on alert groups. */
  private readonly owner: string;
  private readonly intake: AlertIntake;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly deps: {
      /** The use cases an alert drives: it declares incidents and raises their severity. */
      readonly incidents: Pick<IncidentService, 'declare' | 'changeSeverity'>;
      readonly uow: UnitOfWork;
      readonly runbooks: readonly LoadedRunbook[];
      /** Where alert incidents open. */
      readonly chat: ChatPlatform;
    },
    readonly options: AlertServiceOptions,
  ) {
    this.actor = alertActor(options.actorName);
    this.opener = new AlertOpener(
      store,
      clock,
      new StormGuard({ maxNewPerMinute: options.maxNewPerMinute, clock }),
      this.actor,
      deps,
      options,
    );
    this.carrier = new AlertCarrier(clock, this.actor, deps, options);
    this.owner = options.owner ?? randomUUID();
    this.intake = new AlertIntake(store, clock, options);
  }

  /** Carries whatever was pending when the process last stopped, and what arrives from now on. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /**
   * Looks for pending groups (the app's Sweeper runs it every POLL_MS): a dead replica's claims
   * run out and are taken over, and whatever a failed kick left is carried. Resolves when done.
   */
  async poll(): Promise<void> {
    this.kick();
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.running;
    await this.deps.uow.idle();
  }

  /**
   * Validates and stores one webhook body, all of it or nothing (AlertIntake), then wakes the
   * worker. Throws AlertPayloadError (a 400) for a body that is not the source's shape.
   */
  async receive(source: AlertSource, body: unknown): Promise<Received> {
    const received = await this.intake.receive(source, body);
    this.kick();
    return received;
  }

  /** Resolves once the worker, and the triage it started, have nothing left to do (tests, benchmarks). */
  async idle(): Promise<void> {
    do {
      await this.running;
      await this.deps.uow.idle();
    } while (this.running);
  }

  /** Starts the worker, or tells the running one to look again when it is done. */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work()
      .catch((err) => this.logger.error({ err }, 'the alert worker failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      const now = this.clock.now();
      // Leased to this process for the round: another replica never carries the same alerts.
      const claimed = await this.store.claimPendingAlertGroups(now, this.owner, CLAIM_MS, ROUND);
      if (claimed.length === 0) break;
      const keys: string[] = [];
      for (const k of claimed) {
        if ((this.retryAt.get(k) ?? 0) <= now.getTime()) keys.push(k);
        else await this.store.releaseAlertGroup(k, this.owner);
      }
      if (keys.length === 0) break;
      try {
        await this.round(keys);
      } finally {
        for (const k of keys) await this.store.releaseAlertGroup(k, this.owner).catch(() => undefined);
      }
    }
  }

  /** One round: route every claimed group, then carry per incident. */
  private async round(keys: readonly string[]): Promise<void> {
    // Route every group first, then carry per incident: in a storm, hundreds of groups joining
    // the storm incident become one transaction, one message and one card update.
    const byIncident = new Map<string, Carry>();
    for (const key of keys) {
      if (this.stopped) return;
      try {
        const routed = await this.route(key);
        if (!routed) {
          this.retryAt.delete(key);
          continue;
        }
        const group = { key, pending: routed.pending, ...(routed.link ? { link: routed.link } : {}) };
        const slot = byIncident.get(routed.incident.id);
        if (slot) {
          slot.groups.push(group);
          slot.incident = routed.incident;
          slot.opened ??= routed.opened;
        } else {
          byIncident.set(routed.incident.id, {
            incident: routed.incident,
            groups: [group],
            ...(routed.opened ? { opened: routed.opened } : {}),
          });
        }
      } catch (err) {
        if (isBotError(err) && err.code === 'bot.store.alert_group_taken') {
          // Another replica opened the group's incident first: the next round carries to it.
          this.logger.info({ group: key }, err.message);
        } else {
          this.failed([key], err);
        }
      }
      await yieldToIo();
    }
    for (const slot of byIncident.values()) {
      if (this.stopped) return;
      try {
        await this.carrier.carry(slot);
        for (const g of slot.groups) this.retryAt.delete(g.key);
      } catch (err) {
        this.failed(
          slot.groups.map((g) => g.key),
          err,
        );
      }
    }
  }

  /** One bad group must not hold up the others: it stays pending and is tried again later. */
  private failed(keys: readonly string[], err: unknown): void {
    this.logger.error(
      { err, groups: keys.slice(0, 10) },
      'carrying alerts to their incident failed; will retry',
    );
    const at = this.clock.now().getTime() + RETRY_MS;
    for (const key of keys) this.retryAt.set(key, at);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  /** Which incident a group's pending alerts go to, opening one when needed; undefined: nowhere. */
  private async route(
    key: string,
  ): Promise<
    { incident: Incident; pending: AlertRecord[]; opened?: 'own' | 'storm'; link?: AlertGroup } | undefined
  > {
    const pending = await this.pendingAlerts(key);
    if (pending.length === 0) return undefined;
    const firing = pending.filter((a) => a.status === 'firing');
    const group = await this.store.getAlertGroup(key);
    const incident = group ? await this.store.getIncident(group.incidentId) : undefined;
    const over = incident !== undefined && (incident.status === 'resolved' || incident.status === 'closed');
    if (!incident || (over && firing.length > 0)) {
      if (firing.length === 0) {
        // A resolve for a group this bot never saw firing: nothing to tell anyone.
        await this.store.markAlertsPosted(key, settled(pending), incident?.id ?? null);
        return undefined;
      }
      return { ...(await this.opener.open(key, firing, incident)), pending };
    }
    if (incident.status === 'closed') {
      // Its channel is archived: the alerts are recorded against it, nothing is posted.
      await this.store.markAlertsPosted(key, settled(pending), incident.id);
      return undefined;
    }
    return { incident, pending };
  }

  /**
   * The group's alerts not yet carried, oldest first, read a page at a time with the event loop
   * turning between pages: SQLite answers synchronously, and a storm group of 60,000 alerts read
   * in one query held the bot for most of a second.
   */
  private async pendingAlerts(key: string): Promise<AlertRecord[]> {
    const pending: AlertRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.store.listPendingGroupAlerts(key, {
        ...(after !== undefined ? { after } : {}),
        limit: ALERTS_PER_READ,
      });
      pending.push(...page);
      if (page.length < ALERTS_PER_READ) break;
      after = page[page.length - 1]!.fingerprint;
      await yieldToIo();
    }
    return pending.sort(
      (a, b) =>
        a.firstReceivedAt.getTime() - b.firstReceivedAt.getTime() ||
        (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0),
    );
  }
}
