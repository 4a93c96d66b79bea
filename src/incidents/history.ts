import { type Actor, BOT_LIMITS, graphemeHead, type Incident } from '../core/index.ts';
import type { Store } from '../store/port.ts';

const PUSHPIN = new Set(['📌', 'pushpin', 'round_pushpin', '📍']);

/**
 * What people do in an incident's channel, on its timeline: each message an entry (keyed by the
 * platform's message id, so a redelivery records nothing twice), edits and deletions followed,
 * and a 📌 reaction or a pin marking an entry as a key event.
 */
export class ChannelHistory {
  constructor(private readonly store: Store) {}

  /** Human messages in an incident channel become timeline entries; bots' own posts never arrive here. */
  async recordMessage(
    incident: Incident,
    messageId: string,
    text: string,
    actor: Actor,
    at: Date,
  ): Promise<void> {
    if (await this.store.findTimelineBySource(incident.id, messageId)) return;
    await this.store.appendTimeline({
      incidentId: incident.id,
      kind: 'message',
      at,
      actorId: actor.id,
      actorName: actor.name,
      text: timelineText(text),
      sourceMessageId: messageId,
    });
  }

  async recordEdit(incident: Incident, messageId: string, text: string, at: Date): Promise<void> {
    const entry = await this.store.findTimelineBySource(incident.id, messageId);
    if (entry && !entry.deletedAt) await this.store.editTimelineText(entry.id, timelineText(text), at);
  }

  async recordDeletion(incident: Incident, messageId: string, at: Date): Promise<void> {
    const entry = await this.store.findTimelineBySource(incident.id, messageId);
    if (entry && !entry.deletedAt) await this.store.markTimelineDeleted(entry.id, at);
  }

  /** A 📌 reaction or a pin marks the message as a key event; removing the last one unmarks it. */
  async recordKeyMark(
    incident: Incident,
    messageId: string,
    emoji: string | null,
    added: boolean,
  ): Promise<void> {
    if (emoji !== null && !PUSHPIN.has(emoji)) return;
    const entry = await this.store.findTimelineBySource(incident.id, messageId);
    if (entry && entry.key !== added) await this.store.setTimelineKey(entry.id, added);
  }
}

/** The most of one chat message the timeline keeps (src/core/limits.ts says why). */
export const MAX_TIMELINE_MESSAGE = BOT_LIMITS.timelineMessage;

/** A message as the timeline records it: its first 4,000 characters, and how much was cut. */
export function timelineText(text: string): string {
  if (text.length <= MAX_TIMELINE_MESSAGE) return text;
  // Never half a character (src/core/text.ts).
  const head = graphemeHead(text, MAX_TIMELINE_MESSAGE);
  return `${head} … [${(text.length - head.length).toLocaleString('en-US')} more characters not recorded]`;
}
