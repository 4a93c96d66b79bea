export const TIMELINE_KINDS = [
  'declared',
  'alert',
  'command',
  'status',
  'severity',
  'role',
  'title',
  'update',
  'note',
  'message',
  'action_requested',
  'action_approved',
  'action_cancelled',
  'action_expired',
  'action_started',
  'action_result',
  'escalation',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  /** Store-assigned, increasing; post-mortems cite entries by this id. */
  readonly id: number;
  readonly incidentId: string;
  readonly kind: TimelineKind;
  /** UTC instant. */
  readonly at: Date;
  readonly actorId: string | null;
  readonly actorName: string | null;
  readonly text: string;
  /** Structured detail for the kind (old/new status, action id, …). */
  readonly data: Record<string, unknown>;
  /** A 📌 reaction or a pin makes a message a key event; declared/status changes are key by nature. */
  readonly key: boolean;
  /** Where a `message` came from, so edits and deletions find it. */
  readonly sourceMessageId: string | null;
  readonly editedAt: Date | null;
  readonly deletedAt: Date | null;
}

export type NewTimelineEntry = Omit<
  TimelineEntry,
  'id' | 'editedAt' | 'deletedAt' | 'key' | 'sourceMessageId' | 'data'
> & {
  key?: boolean;
  sourceMessageId?: string | null;
  data?: Record<string, unknown>;
};

/** Kinds that mark a turn in the incident's story on their own. */
const KEY_KINDS: ReadonlySet<TimelineKind> = new Set([
  'declared',
  'status',
  'severity',
  'action_result',
  'escalation',
]);

export function isKeyByKind(kind: TimelineKind): boolean {
  return KEY_KINDS.has(kind);
}
