import type { ChatButton, ChatMessage } from '../chat/message.ts';
import {
  durations,
  formatDuration,
  type Incident,
  ROLE_LABEL,
  type RoleAssignment,
  responseTargetLabel,
  SEVERITIES,
  SEVERITY_INFO,
} from '../core/index.ts';
import { type CardVerb, cardButtonId } from './buttons.ts';
import { incidentRef, severityEmoji, statusEmoji } from './format.ts';

export interface CardInput {
  readonly incident: Incident;
  readonly roles: readonly RoleAssignment[];
  readonly lastUpdate: { readonly text: string; readonly at: Date; readonly by: string } | undefined;
  readonly now: Date;
  /** Renders a time for the channel's readers (their own zone where the platform can). */
  readonly time: (at: Date, withDate: boolean) => string;
  /** "16 minutes ago", kept current by the platform where it can (ChatPlatform.relativeTime). */
  readonly ago: (at: Date) => string;
  readonly mention: (userId: string) => string;
  /** The incident's alerts, when any fed it. */
  readonly alerts?: { readonly firing: number; readonly resolved: number };
}

function holders(
  roles: readonly RoleAssignment[],
  role: RoleAssignment['role'],
  mention: CardInput['mention'],
) {
  const list = roles.filter((r) => r.role === role).map((r) => mention(r.userId));
  return list.length ? list.join(', ') : '_unassigned_';
}

/** Buttons follow the lifecycle: only the next sensible moves are offered. */
function cardButtons(incident: Incident, roles: readonly RoleAssignment[]): ChatButton[] {
  const id = incident.id;
  const buttons: ChatButton[] = [];
  const hasCommander = roles.some((r) => r.role === 'commander');
  if (incident.status === 'closed') return buttons;
  if (incident.status !== 'resolved') {
    buttons.push({
      id: cardButtonId('take-command', id),
      label: hasCommander ? 'Take over command' : 'Take command',
      ...(hasCommander ? {} : { style: 'primary' as const }),
    });
  }
  if (incident.status === 'declared') {
    buttons.push({ id: cardButtonId('investigating', id), label: 'Investigating' });
  }
  if (incident.status === 'declared' || incident.status === 'investigating') {
    buttons.push({ id: cardButtonId('mitigated', id), label: 'Mark mitigated' });
  }
  // Severity one step either way; a bigger jump is /incident severity.
  const level = SEVERITIES.indexOf(incident.severity);
  const up = SEVERITIES[level - 1];
  const down = SEVERITIES[level + 1];
  if (incident.status !== 'resolved' && up) {
    buttons.push({ id: cardButtonId(up.toLowerCase() as CardVerb, id), label: `Raise to ${up}` });
  }
  if (incident.status !== 'resolved' && down) {
    buttons.push({ id: cardButtonId(down.toLowerCase() as CardVerb, id), label: `Lower to ${down}` });
  }
  if (incident.status !== 'resolved') {
    buttons.push({
      id: cardButtonId('resolve', id),
      label: 'Resolve',
      style: 'primary',
      confirm: {
        title: `Resolve ${incidentRef(incident)}?`,
        text: 'Impact has ended and no more mitigation is needed.',
        confirm: 'Resolve',
        deny: 'Not yet',
      },
    });
  } else {
    buttons.push({
      id: cardButtonId('close', id),
      label: 'Close incident',
      style: 'danger',
      confirm: {
        title: `Close ${incidentRef(incident)}?`,
        text: 'Closing is final: the channel is archived and the incident can no longer change.',
        confirm: 'Close',
        deny: 'Keep open',
      },
    });
  }
  return buttons;
}

/** The incident card: posted once in the channel, then updated in place on every change. */
export function renderCard(input: CardInput): ChatMessage {
  const { incident, roles, lastUpdate, now, time, ago, alerts } = input;
  // Every person the card names is mentioned on purpose (ChatMessage.mentions); nothing else is.
  const mentioned = new Set<string>();
  const mention = (id: string) => {
    mentioned.add(id);
    return input.mention(id);
  };
  const info = SEVERITY_INFO[incident.severity];
  const d = durations(incident);
  const elapsed = (incident.resolvedAt ?? now).getTime() - incident.createdAt.getTime();
  const header = `${severityEmoji(incident.severity)} ${incidentRef(incident)}: ${incident.title}`;
  const fields = [
    {
      label: 'Severity',
      value: `${incident.severity} · ${info.impact} · respond ${responseTargetLabel(incident.severity)}`,
    },
    { label: 'Status', value: `${statusEmoji(incident.status)} ${incident.status}` },
    { label: ROLE_LABEL.commander, value: holders(roles, 'commander', mention) },
    { label: ROLE_LABEL.communications, value: holders(roles, 'communications', mention) },
    { label: 'Responders', value: holders(roles, 'responder', mention) },
    {
      label: 'Declared',
      value: `${time(incident.createdAt, true)} by ${mention(incident.createdBy)}`,
    },
  ];
  if (alerts && alerts.firing + alerts.resolved > 0) {
    const parts = [
      ...(alerts.firing ? [`🔥 ${alerts.firing} firing`] : []),
      ...(alerts.resolved ? [`✅ ${alerts.resolved} resolved`] : []),
    ];
    fields.push({ label: 'Alerts', value: parts.join(' · ') });
  }
  const milestones = [
    d.toAcknowledge !== null ? `acknowledged after ${formatDuration(d.toAcknowledge)}` : null,
    d.toMitigate !== null ? `mitigated after ${formatDuration(d.toMitigate)}` : null,
    d.toResolve !== null ? `resolved after ${formatDuration(d.toResolve)}` : null,
  ].filter((x): x is string => x !== null);
  const sections: string[] = [];
  if (incident.description) sections.push(incident.description);
  if (lastUpdate) {
    sections.push(`*Latest update* (${time(lastUpdate.at, false)}, ${lastUpdate.by}):\n${lastUpdate.text}`);
  }
  const context = [
    // An open incident's age is drawn by the reader's client, so it is right whenever it is read;
    // a finished one's length no longer changes.
    `${incident.resolvedAt ? `Lasted ${formatDuration(elapsed)}` : `Declared ${ago(incident.createdAt)}`}${milestones.length ? ` · ${milestones.join(' · ')}` : ''}`,
    'Commands: /incident help',
  ];
  return {
    text: `${header} — ${incident.severity}, ${incident.status}`,
    header,
    fields,
    sections,
    buttons: cardButtons(incident, roles),
    context,
    mentions: [...mentioned],
  };
}

export function channelTopic(incident: Incident, commander: string | undefined): string {
  return `${incident.severity} · ${incident.status} · IC: ${commander ?? 'unassigned'} · ${incident.title}`;
}
