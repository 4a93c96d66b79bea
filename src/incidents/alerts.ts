import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  type AlertSource,
  labelSeverity,
  type SeverityMapping,
  STORM_WINDOW_MS,
  StormGuard,
} from '../alerts/index.ts';
import type { ChatPlatform } from '../chat/port.ts';
import {
  type Actor,
  BOT_ACTOR_PREFIX,
  BOT_LIMITS,
  type Clock,
  type Incident,
  isBotError,
  isMoreSevere,
  type Severity,
} from '../core/index.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import { alertChangesCarried, alertIncidentsOpened } from '../metrics.ts';
import { matchRunbook } from '../runbooks/match.ts';
import type { LoadedRunbook } from '../runbooks/schema.ts';
import type { AlertGroup, AlertRecord, Store } from '../store/port.ts';
import { ALERTS_PER_WRITE, AlertIntake, type Received, yieldToIo } from './alert-intake.ts';
import { alertsMessage, cut, resolveOffer, runbookDrafts, timelineText } from './alert-messages.ts';
import { post, refresh } from './drafts.ts';
import { incidentRef } from './format.ts';
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

/** The alert_groups key of the storm incident; real keys start with their source. */
const STORM_KEY = '!storm';
const _MAX_LISTED = 20;
/** Groups the worker takes per round, and per transaction when carrying them. */
const ROUND = 200;
const GROUPS_PER_TRANSACTION = 50;
/** How long a claimed group stays this process's; a round takes well under this. */
const CLAIM_MS = 120_000;
/** Pending groups are looked for this often too, so a dead replica's claims are taken over. */
export const ALERT_POLL_MS = 30_000;
/** A group's pending alerts are read this many at a time (about 20 ms a page on SQLite). */
const ALERTS_PER_READ = 2_000;
const RETRY_MS = 30_000;
const MAX_TITLE = BOT_LIMITS.title;

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
  private readonly storm: StormGuard;
  private readonly actor: Actor;
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
    private readonly options: AlertServiceOptions,
  ) {
    this.storm = new StormGuard({ maxNewPerMinute: options.maxNewPerMinute, clock });
    this.actor = alertActor(options.actorName);
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
        await this.carry(slot);
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
      return { ...(await this.open(key, firing, incident)), pending };
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

  /** A new incident for the group, or the storm incident when the storm guard says so. */
  private async open(
    key: string,
    firing: readonly AlertRecord[],
    previous: Incident | undefined,
  ): Promise<{ incident: Incident; opened: 'own' | 'storm'; link?: AlertGroup }> {
    const joinStorm = async (): Promise<{ incident: Incident; opened: 'storm'; link: AlertGroup }> => {
      const storm = await this.stormIncident(firing);
      // Written with the alerts it carries (see carry), not on its own: one write per round.
      const link = { groupKey: key, incidentId: storm.id, storm: true, createdAt: this.clock.now() };
      alertIncidentsOpened.inc({ kind: 'storm' });
      return { incident: storm, opened: 'storm', link };
    };
    // This process's own count first (cheap); the shared count in the store decides (exact across
    // replicas, see declare).
    if (this.storm.admit(key) === 'storm') return joinStorm();
    const first = firing[0]!;
    const runbook = matchRunbook(this.deps.runbooks, first);
    const severity =
      labelSeverity(firing, this.options.severity) ?? runbook?.severity ?? this.options.severity.fallback;
    const nodes = [...new Set(firing.flatMap((a) => a.nodes))];
    // The summary usually names the node already; without one, the node list says where.
    const where = nodes.length
      ? ` on ${nodes.slice(0, 3).join(', ')}${nodes.length > 3 ? ` +${nodes.length - 3}` : ''}`
      : '';
    const title = cut(first.summary ? `${first.name}: ${first.summary}` : `${first.name}${where}`, MAX_TITLE);
    const description = [
      `Opened by ${firing.length === 1 ? 'an alert' : `${firing.length} alerts`} from ${first.source}${previous ? ` (the group fired again after ${incidentRef(previous)} was ${previous.status})` : ''}.`,
      ...(runbook ? [`Runbook: ${runbook.title}.`] : []),
    ].join(' ');
    let incident: Incident;
    try {
      incident = await this.declare(
        { title, description, severity, private: false, actor: this.actor },
        key,
        false,
      );
    } catch (err) {
      if (err instanceof StormFull) return joinStorm();
      throw err;
    }
    alertIncidentsOpened.inc({ kind: 'own' });
    return { incident, opened: 'own' };
  }

  /** The open storm incident, declared when there is none. */
  private async stormIncident(firing: readonly AlertRecord[]): Promise<Incident> {
    const group = await this.store.getAlertGroup(STORM_KEY);
    const current = group ? await this.store.getIncident(group.incidentId) : undefined;
    if (current && current.status !== 'resolved' && current.status !== 'closed') return current;
    const severity: Severity = labelSeverity(firing, this.options.severity) ?? 'SEV2';
    const max = this.options.maxNewPerMinute;
    return this.declare(
      {
        title: `Alert storm: more than ${max} new alert group${max === 1 ? '' : 's'} in a minute`,
        description: `Alerts kept arriving faster than ${max} new incident${max === 1 ? '' : 's'} a minute, so further new alert groups join this incident instead of opening channels. Nothing is dropped: every alert is listed here and on the timeline.`,
        severity: isMoreSevere('SEV2', severity) ? 'SEV2' : severity,
        private: false,
        actor: this.actor,
      },
      STORM_KEY,
      true,
    );
  }

  /**
   * Declares with the group's link written in the same transaction. When the channel could not be
   * set up, the incident is still recorded: carry on with it (the alerts reach its timeline).
   */
  private async declare(
    input: Parameters<IncidentService['declare']>[1],
    key: string,
    storm: boolean,
  ): Promise<Incident> {
    let id: string | undefined;
    try {
      return await this.deps.incidents.declare(this.deps.chat, input, {
        inTransaction: async (tx, incident) => {
          // Incident creators are serialised, so this count is exact across replicas: past the
          // limit the whole declaration rolls back and the group joins the storm instead.
          if (!storm) {
            const since = new Date(this.clock.now().getTime() - STORM_WINDOW_MS);
            if ((await tx.countOwnAlertGroupsSince(since)) >= this.options.maxNewPerMinute)
              throw new StormFull();
          }
          id = incident.id;
          await tx.putAlertGroup({
            groupKey: key,
            incidentId: incident.id,
            storm,
            createdAt: this.clock.now(),
          });
        },
      });
    } catch (err) {
      const recorded = id ? await this.store.getIncident(id) : undefined;
      if (recorded && isBotError(err) && err.code === 'bot.incident.channel_failed') return recorded;
      throw err;
    }
  }

  /** Timeline first (the record), then the channel, then the card; a new incident also gets its triage. */
  private async carry(slot: Carry): Promise<void> {
    const { incident, groups, opened } = slot;
    const pending = groups.flatMap((g) => g.pending);
    alertChangesCarried.inc(pending.length);
    const now = this.clock.now();
    // A more severe alert raises the incident's severity (that change redraws the card itself).
    const raised = labelSeverity(
      pending.filter((a) => a.status === 'firing'),
      this.options.severity,
    );
    const raise =
      opened !== 'own' && raised && isMoreSevere(raised, incident.severity) && incident.status !== 'resolved'
        ? raised
        : undefined;
    // The runbook and triage start with an incident's first alerts: when this round opened it, or
    // when the process that opened it died before carrying them (its own group, nothing carried).
    let firstOwn = opened === 'own';
    for (let i = 0; i < groups.length; i += GROUPS_PER_TRANSACTION) {
      const last = i + GROUPS_PER_TRANSACTION >= groups.length;
      // The triage takes seconds (diagnostics on the nodes): it runs beside the worker, not in its way.
      await this.deps.uow.commit(
        async (tx, send) => {
          if (i === 0 && opened === undefined && !(await tx.latestTimelineEntry(incident.id, 'alert'))) {
            const group = await tx.getAlertGroup(groups[0]!.key);
            firstOwn = group !== undefined && !group.storm && group.incidentId === incident.id;
          }
          for (const { key, pending: alerts, link } of groups.slice(i, i + GROUPS_PER_TRANSACTION)) {
            if (link) await tx.putAlertGroup(link);
            await tx.appendTimeline({
              incidentId: incident.id,
              kind: 'alert',
              at: now,
              actorId: this.actor.id,
              actorName: this.actor.name,
              text: timelineText(alerts),
              data: {
                group: key,
                alerts: alerts.slice(0, 100).map((a) => ({
                  fingerprint: a.fingerprint,
                  status: a.status,
                  name: a.name,
                  nodes: a.nodes,
                })),
              },
              key: alerts.some((a) => a.status === 'firing' && a.postedStatus === null),
            });
            // In slices, the loop turning between them (inside the transaction: other work waits for
            // the database, not for the event loop).
            for (let j = 0; j < alerts.length; j += ALERTS_PER_WRITE) {
              if (j > 0) await yieldToIo();
              await tx.markAlertsPosted(key, settled(alerts.slice(j, j + ALERTS_PER_WRITE)), incident.id);
            }
          }
          // The channel's message commits with the last of the record: posted once, even after a
          // crash (it waits for the channel if that is still being opened).
          if (last) {
            send(
              post(incident, alertsMessage(pending, groups.length)),
              pending.some((a) => a.status === 'resolved') ? await resolveOffer(tx, incident) : [],
              firstOwn ? runbookDrafts(this.deps.runbooks, incident, pending) : [],
              raise ? [] : refresh(incident),
            );
          }
        },
        { inBackground: (d) => d.op === 'alert_triage' },
      );
      await yieldToIo();
    }
    if (raise) await this.deps.incidents.changeSeverity(incident, raise, this.actor);
  }
}

function settled(alerts: readonly AlertRecord[]) {
  return alerts.map((a) => ({ fingerprint: a.fingerprint, status: a.status }));
}

/** Thrown inside a declaration when the storm guard's shared count is full. */
class StormFull extends Error {}

/** What the worker carries to one incident in one round. */
interface Carry {
  incident: Incident;
  readonly groups: {
    readonly key: string;
    readonly pending: readonly AlertRecord[];
    /** The group's link to a storm incident, written with its alerts. */
    readonly link?: AlertGroup;
  }[];
  opened?: 'own' | 'storm';
}
