import { type Incident, truncateText } from '../core/index.ts';

/** `2026-11-22 14:03 UTC`, in the reader's zone when known. Stored times stay UTC. */
export function formatTime(at: Date, timeZone = 'UTC', withDate = true): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZoneName: 'short',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const time = `${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
  return withDate ? `${get('year')}-${get('month')}-${get('day')} ${time}` : time;
}

export function incidentRef(incident: Pick<Incident, 'number'>): string {
  return `INC-${incident.number}`;
}

const STATUS_EMOJI: Record<Incident['status'], string> = {
  declared: '🚨',
  investigating: '🔍',
  mitigated: '🩹',
  resolved: '✅',
  closed: '📁',
};

const SEVERITY_EMOJI: Record<Incident['severity'], string> = {
  SEV1: '🔴',
  SEV2: '🟠',
  SEV3: '🟡',
  SEV4: '🔵',
};

export function statusEmoji(status: Incident['status']): string {
  return STATUS_EMOJI[status];
}

export function severityEmoji(severity: Incident['severity']): string {
  return SEVERITY_EMOJI[severity];
}

/** Cuts text to a platform's limit on a character boundary (src/core/text.ts), saying that it was cut. */
export function truncate(text: string, max: number): string {
  return truncateText(text, max, '… (cut)');
}
