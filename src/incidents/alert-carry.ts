import type { SeverityMapping } from '../alerts/index.ts';
import { labelSeverity } from '../alerts/index.ts';
import { type Actor, type Clock, type Incident, isMoreSevere } from '../core/index.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import { alertChangesCarried } from '../metrics.ts';
import type { LoadedRunbook } from '../runbooks/schema.ts';
import type { AlertGroup, AlertRecord } from '../store/port.ts';
import { ALERTS_PER_WRITE, yieldToIo } from './alert-intake.ts';
import { alertsMessage, resolveOffer, runbookDrafts, timelineText } from './alert-messages.ts';
import { post, refresh } from './drafts.ts';
import type { IncidentService } from './service.ts';

/** Groups carried per transaction: a storm's hundreds of groups commit in a few slices. */
const GROUPS_PER_TRANSACTION = 50;

/**
 * Carries a round's pending alerts to one incident: the timeline entries and the alerts marked
 * carried in the same transaction as the channel's one message, the offer to resolve when they
 * resolved, the runbook and triage for a new incident's first alerts, and a severity raise when
 * a more severe alert arrived.
 */
export class AlertCarrier {
  constructor(
    private readonly clock: Clock,
    private readonly actor: Actor,
    private readonly deps: {
      readonly incidents: Pick<IncidentService, 'changeSeverity'>;
      readonly uow: UnitOfWork;
      readonly runbooks: readonly LoadedRunbook[];
    },
    private readonly options: { readonly severity: SeverityMapping },
  ) {}

  /** Timeline first (the record), then the channel, then the card; a new incident also gets its triage. */
  async carry(slot: Carry): Promise<void> {
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

/** The alerts as the store records them carried: each at the status it was carried with. */
export function settled(alerts: readonly AlertRecord[]) {
  return alerts.map((a) => ({ fingerprint: a.fingerprint, status: a.status }));
}

/** What the worker carries to one incident in one round. */
export interface Carry {
  incident: Incident;
  readonly groups: {
    readonly key: string;
    readonly pending: readonly AlertRecord[];
    /** The group's link to a storm incident, written with its alerts. */
    readonly link?: AlertGroup;
  }[];
  opened?: 'own' | 'storm';
}
