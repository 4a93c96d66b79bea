import type { ChatMessage } from '../chat/message.ts';
import type { FileUpload } from '../chat/port.ts';
import type { Incident } from '../core/index.ts';
import type { OutboxDraft } from '../delivery/entry.ts';
import type { TrackedPurpose } from '../store/port.ts';

/**
 * The chat calls incident use cases queue (`send(...)` inside UnitOfWork.commit), as typed outbox
 * drafts. Each is checked against its op's schema (delivery/ops.ts) when it is written.
 */

/** A plain message: its text is its one section; `mentions` are the ids it pings on purpose. */
export function note(text: string, mentions: readonly string[] = []): ChatMessage {
  return { text, sections: [text], ...(mentions.length ? { mentions } : {}) };
}

/** A message in the incident's channel (waits for the channel when it is still being opened). */
export function post(
  incident: Pick<Incident, 'id'>,
  message: ChatMessage,
  track?: TrackedPurpose,
): OutboxDraft {
  return {
    incidentId: incident.id,
    op: 'post',
    payload: { to: 'incident', message, ...(track ? { track } : {}) },
  };
}

/** The announcement, if any: a private incident stays out of shared channels. */
export function announcement(
  incident: Pick<Incident, 'id' | 'private'>,
  text: string,
  mentions: readonly string[] = [],
): OutboxDraft[] {
  if (incident.private) return [];
  return [
    { incidentId: incident.id, op: 'post', payload: { to: 'announce', message: note(text, mentions) } },
  ];
}

/** The card and topic redrawn from the record (when the incident has a channel). */
export function refresh(incident: Pick<Incident, 'id' | 'channelId'>): OutboxDraft[] {
  if (!incident.channelId) return [];
  return [
    { incidentId: incident.id, op: 'card', payload: {} },
    { incidentId: incident.id, op: 'topic', payload: {} },
  ];
}

export function invite(incident: Pick<Incident, 'id'>, userIds: readonly string[]): OutboxDraft {
  return { incidentId: incident.id, op: 'invite', payload: { userIds: [...userIds] } };
}

export function archive(incident: Pick<Incident, 'id'>): OutboxDraft {
  return { incidentId: incident.id, op: 'archive', payload: {} };
}

export function upload(incident: Pick<Incident, 'id'>, file: FileUpload): OutboxDraft {
  return { incidentId: incident.id, op: 'upload', payload: { file } };
}

/** Replaces a message the bot posted in the incident's platform (a reminder that was snoozed). */
export function replace(
  incident: Pick<Incident, 'id'>,
  at: { readonly channelId: string; readonly messageId: string },
  message: ChatMessage,
): OutboxDraft {
  return { incidentId: incident.id, op: 'update', payload: { ...at, message } };
}

/** A mitigation's request message: posted with `initial`, redrawn from the stored action otherwise. */
export function actionMessage(incidentId: string, actionId: string, initial = false): OutboxDraft {
  return { incidentId, op: 'action', payload: { actionId, ...(initial ? { initial } : {}) } };
}
