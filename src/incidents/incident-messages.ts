import type { ChatMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/port.ts';
import { type Actor, BOT_LIMITS, BotError, type Incident, isMoreSevere } from '../core/index.ts';
import type { OutboxDraft } from '../delivery/entry.ts';
import { chatMessageSchema } from '../delivery/ops.ts';
import type { TrackedMessage } from '../store/port.ts';
import { announcement, archive, note, post, replace } from './drafts.ts';
import { formatTime, incidentRef, severityEmoji } from './format.ts';

/** What the incident use cases say in chat, and the refusals they share. */

type Mention = Pick<ChatPlatform, 'mention'>;

/** "Severity changed to SEV1 by @alice", in the incident's channel. */
export function severityChangedPosts(incident: Incident, chat: Mention, actor: Actor): OutboxDraft[] {
  if (!incident.channelId) return [];
  const text = `${severityEmoji(incident.severity)} Severity changed to *${incident.severity}* by ${chat.mention(actor.id)}.`;
  return [post(incident, note(text, [actor.id]))];
}

/** A status update: in the channel with who posted it and when, and in the announcement channel. */
export function statusUpdatePosts(
  incident: Incident,
  chat: Mention,
  body: string,
  actor: Actor,
  posted: { readonly at: Date; readonly timeZone: string },
): OutboxDraft[] {
  const ref = incidentRef(incident);
  const message: ChatMessage = {
    text: `Status update for ${ref}: ${body}`,
    header: `📣 Status update: ${ref} (${incident.severity}, ${incident.status})`,
    sections: [body],
    context: [`Posted by ${chat.mention(actor.id)} · ${formatTime(posted.at, posted.timeZone)}`],
    mentions: [actor.id],
  };
  return [
    ...(incident.channelId ? [post(incident, message)] : []),
    ...announcement(incident, `📣 *${ref}* (${incident.severity}, ${incident.status}): ${body}`),
  ];
}

/**
 * What a status change says, however it was made (a command, a card button, the alert message's
 * Resolve): in the channel with who did it, and in the announcement channel for mitigated and
 * resolved. Closing has its own (closingPosts).
 */
export function statusChangedPosts(
  incident: Incident,
  chat: Mention,
  from: Incident['status'],
  actor: Actor,
): OutboxDraft[] {
  const ref = incidentRef(incident);
  const by = chat.mention(actor.id);
  const inChannel = (text: string) => (incident.channelId ? [post(incident, note(text, [actor.id]))] : []);
  switch (incident.status) {
    case 'mitigated':
      return [
        ...inChannel(`🩹 ${ref} marked mitigated by ${by}.`),
        ...announcement(incident, `🩹 *${ref}* mitigated: ${incident.title}`),
      ];
    case 'resolved':
      return [
        ...inChannel(
          `✅ ${ref} resolved by ${by}. Close it with /incident close once the follow-ups are written down.`,
        ),
        ...announcement(incident, `✅ *${ref}* resolved: ${incident.title}`),
      ];
    case 'investigating':
      return inChannel(
        from === 'resolved'
          ? `↩️ ${ref} reopened by ${by}: investigating again.`
          : `🔎 ${ref} is now *investigating* (set by ${by}).`,
      );
    default:
      return inChannel(`${ref} is now *${incident.status}* (set by ${by}).`);
  }
}

/** "Severity changed to SEV1 by @alice" in the channel; a raise is also announced. */
export function severityAnnouncement(incident: Incident, from: Incident['severity']): OutboxDraft[] {
  if (!isMoreSevere(incident.severity, from)) return [];
  return announcement(
    incident,
    `${severityEmoji(incident.severity)} *${incidentRef(incident)}* raised to ${incident.severity} (was ${from}): ${incident.title}`,
  );
}

/** What closing says in chat: first in the channel, since once archived nothing more can be posted there. */
export function closingPosts(
  incident: Incident,
  chat: Mention,
  actor: Actor,
  archiveOnClose: boolean,
): OutboxDraft[] {
  const archived = archiveOnClose && incident.channelId;
  const ref = incidentRef(incident);
  return [
    ...(incident.channelId
      ? [
          post(
            incident,
            note(
              `📁 ${ref} closed by ${chat.mention(actor.id)}.${archived ? ' This channel is now archived.' : ''}`,
              [actor.id],
            ),
          ),
        ]
      : []),
    ...announcement(incident, `📁 *${ref}* closed: ${incident.title}`),
    ...(archived ? [archive(incident)] : []),
  ];
}

/** The text of an update or note, trimmed; refused when empty or too long. */
export function requireText(text: string, what: 'update' | 'note'): string {
  const body = text.trim();
  if (!body) {
    throw new BotError(`bot.incident.${what}_empty` as const, `The ${what} is empty.`, {
      hint: `Write the ${what} after the command, e.g. /incident ${what} Drained gpu-node-5, errors dropping.`,
    });
  }
  if (body.length > BOT_LIMITS.updateText) {
    throw new BotError(
      `bot.incident.${what}_too_long` as const,
      `The ${what} is ${body.length} characters; at most ${BOT_LIMITS.updateText}.`,
    );
  }
  return body;
}

export function closedError(incident: Incident): BotError {
  return new BotError('bot.incident.closed', `${incidentRef(incident)} is closed and can no longer change.`, {
    hint: 'Declare a new incident if the problem is back.',
  });
}

/**
 * A message whose buttons stop meaning anything now that the incident is resolved or closed (the
 * alerts' "Resolve INC-n" offer, a reminder's snooze buttons), redrawn as it was without them and
 * with one line saying why. One that no longer reads as a message is left alone.
 */
export function retiredMessage(incident: Incident, tracked: TrackedMessage, actor: Actor): OutboxDraft[] {
  const parsed = chatMessageSchema.safeParse(tracked.message);
  if (!parsed.success) return [];
  const { buttons: _gone, context: _old, ...rest } = parsed.data;
  const ref = incidentRef(incident);
  const why =
    tracked.purpose === 'resolve_offer'
      ? `${ref} was ${incident.status} by ${actor.name}.`
      : `${ref} is ${incident.status}: its reminders have stopped.`;
  return [replace(incident, tracked, { ...rest, context: [why] })];
}
