import type { ChatMessage } from '../chat/message.ts';
import {
  BOT_LIMITS,
  graphemeHead,
  type Incident,
  plural,
  SLACK_LIMITS,
  truncateText,
} from '../core/index.ts';
import type { OutboxDraft } from '../delivery/entry.ts';
import { matchRunbook } from '../runbooks/match.ts';
import { runbookMessage } from '../runbooks/message.ts';
import type { LoadedRunbook } from '../runbooks/schema.ts';
import type { AlertRecord, Tx } from '../store/port.ts';
import { cardButtonId } from './buttons.ts';
import { post } from './drafts.ts';
import { incidentRef } from './format.ts';

/** Alerts listed in one message at most; the rest are on the timeline. */
const MAX_LISTED = 20;

/** Every alert of the incident has resolved: propose resolving it (a person decides). */
export async function resolveOffer(tx: Tx, incident: Incident): Promise<OutboxDraft[]> {
  if (incident.status === 'resolved' || incident.status === 'closed') return [];
  const counts = await tx.countIncidentAlerts(incident.id);
  if (counts.firing > 0 || counts.resolved === 0) return [];
  const text =
    counts.resolved === 1
      ? `✅ The alert of ${incidentRef(incident)} has resolved. Resolve the incident?`
      : `✅ All ${counts.resolved} alerts of ${incidentRef(incident)} have resolved. Resolve the incident?`;
  return [
    post(
      incident,
      {
        text,
        sections: [text],
        buttons: [
          {
            id: cardButtonId('resolve', incident.id),
            label: `Resolve ${incidentRef(incident)}`,
            style: 'primary',
            confirm: {
              title: `Resolve ${incidentRef(incident)}?`,
              text: 'Every alert has resolved. Resolve if the impact has ended too.',
              confirm: 'Resolve',
              deny: 'Not yet',
            },
          },
        ],
        context: ['Alerts can resolve before the impact ends; check before resolving.'],
      },
      'resolve_offer',
    ),
  ];
}

/**
 * A new alert incident's runbook message and its triage, as outbox entries written with the
 * alerts: after a crash they still happen (the triage again from the start; it does not request
 * a mitigation that is already pending).
 */
export function runbookDrafts(
  runbooks: readonly LoadedRunbook[],
  incident: Incident,
  alerts: readonly AlertRecord[],
): OutboxDraft[] {
  const firing = alerts.filter((a) => a.status === 'firing');
  // The first alert that matches a runbook decides it (not every alert of a storm group matched).
  let runbook: LoadedRunbook | undefined;
  for (const a of firing) {
    runbook = matchRunbook(runbooks, a);
    if (runbook) break;
  }
  const runbookUrl = firing.find((a) => a.runbookUrl)?.runbookUrl;
  const drafts: OutboxDraft[] = [];
  if (runbook) {
    drafts.push(post(incident, runbookMessage(runbook, runbookUrl ? { runbookUrl } : {})));
  } else if (runbookUrl) {
    const text = `📘 The alert’s runbook: <${runbookUrl}|${runbookUrl}>`;
    drafts.push(post(incident, { text, sections: [text] }));
  }
  const nodes = [...new Set(firing.flatMap((a) => a.nodes))];
  if (nodes.length > 0 && !(runbook && runbook.diagnostics.length === 0)) {
    drafts.push({
      incidentId: incident.id,
      op: 'alert_triage',
      payload: { nodes, ...(runbook ? { runbook: runbook.name } : {}) },
    });
  }
  return drafts;
}

export function cut(text: string, max: number): string {
  return truncateText(text.replace(/\s+/g, ' ').trim(), max);
}

/** One timeline entry per group and round: `Firing: A on n1` or `3 firing, 1 resolved: …`. */
export function timelineText(alerts: readonly AlertRecord[]): string {
  const label = (a: AlertRecord) =>
    a.status === 'resolved' ? 'Resolved' : a.postedStatus === 'resolved' ? 'Firing again' : 'Firing';
  if (alerts.length === 1) return `${label(alerts[0]!)}: ${describe(alerts[0]!)}`;
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const resolved = alerts.length - firing;
  const head = [...(firing ? [`${firing} firing`] : []), ...(resolved ? [`${resolved} resolved`] : [])].join(
    ', ',
  );
  const listed = alerts.slice(0, 10).map((a) => `${label(a)}: ${describe(a)}`);
  return cut(
    `${head}: ${listed.join('; ')}${alerts.length > 10 ? `; and ${alerts.length - 10} more` : ''}`,
    BOT_LIMITS.timelineSummary,
  );
}

function describe(a: AlertRecord): string {
  const where = a.nodes.length ? ` on ${a.nodes.join(', ')}` : '';
  return cut(`${a.name}${where}${a.summary ? `: ${a.summary}` : ''}`, 500);
}

/** One message for one round's changes: what fires, what resolved, with their links. */
export function alertsMessage(alerts: readonly AlertRecord[], groups = 0): ChatMessage {
  const firing = alerts.filter((a) => a.status === 'firing');
  const resolved = alerts.filter((a) => a.status === 'resolved');
  const heads = [
    ...(firing.length ? [`🔥 ${plural(firing.length, 'alert')} firing`] : []),
    ...(resolved.length ? [`✅ ${resolved.length} resolved`] : []),
  ];
  const header = heads.join(' · ');
  const line = (a: AlertRecord) => {
    const links = [
      ...(a.generatorUrl ? [`<${a.generatorUrl}|source>`] : []),
      ...(a.runbookUrl ? [`<${a.runbookUrl}|runbook>`] : []),
    ];
    return `${a.status === 'firing' ? '🔥' : '✅'} ${describe(a)}${links.length ? ` · ${links.join(' · ')}` : ''}`;
  };
  const listed = [...firing, ...resolved];
  const lines = listed.slice(0, MAX_LISTED).map(line);
  if (listed.length > MAX_LISTED) {
    lines.push(
      `…and ${listed.length - MAX_LISTED} more: all of them are on the timeline (/incident timeline).`,
    );
  }
  return {
    text: graphemeHead(`${header}: ${listed.map((a) => a.name).join(', ')}`, SLACK_LIMITS.fallbackText),
    header,
    sections: [lines.join('\n')],
    ...(groups > 1 ? { context: [`From ${groups} alert groups.`] } : {}),
  };
}
