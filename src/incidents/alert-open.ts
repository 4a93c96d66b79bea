import type { SeverityMapping, StormGuard } from '../alerts/index.ts';
import { labelSeverity, STORM_WINDOW_MS } from '../alerts/index.ts';
import type { ChatPlatform } from '../chat/port.ts';
import {
  type Actor,
  BOT_LIMITS,
  type Clock,
  type Incident,
  isBotError,
  isMoreSevere,
  plural,
  type Severity,
} from '../core/index.ts';
import { alertIncidentsOpened } from '../metrics.ts';
import { matchRunbook } from '../runbooks/match.ts';
import type { LoadedRunbook } from '../runbooks/schema.ts';
import type { AlertGroup, AlertRecord, Store } from '../store/port.ts';
import { cut } from './alert-messages.ts';
import { incidentRef } from './format.ts';
import type { IncidentService } from './service.ts';

/** The alert_groups key of the storm incident; real keys start with their source. */
export const STORM_KEY = '!storm';
const MAX_TITLE = BOT_LIMITS.title;

/**
 * Opens the incident an alert group's first firing alerts call for: the group's own (titled and
 * graded from its alerts and matching runbook), or, when too many groups open within a minute,
 * the one storm incident they all join. The storm count is checked twice: this process's own
 * (cheap) and then the store's shared one inside the declaring transaction (exact across replicas).
 */
export class AlertOpener {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly storm: StormGuard,
    private readonly actor: Actor,
    private readonly deps: {
      readonly incidents: Pick<IncidentService, 'declare'>;
      readonly runbooks: readonly LoadedRunbook[];
      readonly chat: ChatPlatform;
    },
    private readonly options: { readonly severity: SeverityMapping; readonly maxNewPerMinute: number },
  ) {}

  /** A new incident for the group, or the storm incident when the storm guard says so. */
  async open(
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
        title: `Alert storm: more than ${plural(max, 'new alert group')} in a minute`,
        description: `Alerts kept arriving faster than ${plural(max, 'new incident')} a minute, so further new alert groups join this incident instead of opening channels. Nothing is dropped: every alert is listed here and on the timeline.`,
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
}

/** Thrown inside a declaration when the storm guard's shared count is full. */
class StormFull extends Error {}
