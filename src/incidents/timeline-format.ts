import type { TimelineEntry, TimelineKind } from '../core/index.ts';
import { formatTime } from './format.ts';

const KIND_LABEL: Record<TimelineKind, string> = {
  declared: '🚨',
  alert: '🔔',
  command: '⌨️',
  status: '🔁',
  severity: '⚠️',
  role: '👤',
  title: '✏️',
  update: '📣',
  note: '📝',
  message: '💬',
  action_requested: '🛠️',
  action_approved: '👍',
  action_cancelled: '✖️',
  action_expired: '⌛',
  action_started: '▶️',
  action_result: '🏁',
  escalation: '📟',
};

/** One line per entry: `#12 14:03 UTC 📌 💬 Alice: drained the node (edited)`. */
export function formatTimelineEntry(e: TimelineEntry, timeZone: string): string {
  const who = e.actorName ? `${e.actorName}: ` : '';
  // Started only at the beginning of a whitespace run: `\s*\n\s*` alone rescans a long run of
  // spaces from every position in it (quadratic on a 4,000-space message).
  const text = e.deletedAt ? '_(message deleted)_' : e.text.replace(/(?<!\s)\s*\n\s*/g, ' ⏎ ');
  const flags = `${e.key ? '📌 ' : ''}${KIND_LABEL[e.kind]}`;
  return `#${e.id} ${formatTime(e.at, timeZone)} ${flags} ${who}${text}${e.editedAt && !e.deletedAt ? ' _(edited)_' : ''}`;
}
