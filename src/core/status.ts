import { BotError } from './errors.ts';

export const STATUSES = ['declared', 'investigating', 'mitigated', 'resolved', 'closed'] as const;
export type IncidentStatus = (typeof STATUSES)[number];

/**
 * Allowed moves. Forward skips are allowed (a false alarm goes straight to resolved); going back
 * is allowed where it happens in practice (a mitigation that did not hold, a resolved incident that
 * recurred). Nothing returns to `declared`, and `closed` is final.
 */
const TRANSITIONS: Record<IncidentStatus, readonly IncidentStatus[]> = {
  declared: ['investigating', 'mitigated', 'resolved'],
  investigating: ['mitigated', 'resolved'],
  mitigated: ['investigating', 'resolved'],
  resolved: ['investigating', 'closed'],
  closed: [],
};

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: IncidentStatus, to: IncidentStatus): void {
  if (canTransition(from, to)) return;
  const next = TRANSITIONS[from];
  const hint =
    next.length === 0
      ? 'A closed incident cannot change; declare a new one.'
      : `From ${from} it can move to: ${next.join(', ')}.`;
  const message =
    from === to ? `The incident is already ${to}.` : `An incident cannot go from ${from} to ${to}.`;
  throw new BotError('bot.incident.illegal_transition', message, { hint });
}

/** What a status may be, as refusals say it: "must be …", "Use …". */
export const STATUS_WORDS = `one of ${STATUSES.join(', ')}`;

/** The one reading of a status word, for commands and chat options alike; undefined for anything else. */
export function toStatus(input: string): IncidentStatus | undefined {
  const s = input.trim().toLowerCase();
  return (STATUSES as readonly string[]).includes(s) ? (s as IncidentStatus) : undefined;
}

export function parseStatus(input: string): IncidentStatus {
  const status = toStatus(input);
  if (status) return status;
  throw new BotError('bot.status.unknown', `Unknown status "${input}".`, { hint: `Use ${STATUS_WORDS}.` });
}

export function isOpen(status: IncidentStatus): boolean {
  return status !== 'resolved' && status !== 'closed';
}
