import { z } from 'zod';
import type { ChatButton, ChatMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/port.ts';
import { type Action, formatDuration, type Incident, type RoleAssignment } from '../core/index.ts';
import { cardButtonId, type ReminderKind, SNOOZE_MINUTES, snoozeButtonId } from './buttons.ts';
import { incidentRef } from './format.ts';

/**
 * What reminders say, and what their timers carry between firings. The timer payloads are
 * written to the store and read back after a restart (maybe by a newer version), so they are
 * parsed, not cast: a payload that does not parse counts as empty and the reminder still fires.
 */

const MINUTE = 60_000;
const isoInstant = z.string().datetime({ offset: true });

/** The update reminder's payload. */
export const UpdatePayload = z.object({
  /** When the last reminder was posted: the next one counts from there or the last update. */
  remindedAt: isoInstant.optional(),
});
export type UpdatePayload = z.infer<typeof UpdatePayload>;

/** The mitigation nudge's payload. */
export const ActionPayload = z.object({
  /** Approvals before this instant were nudged already, or were answered. */
  since: isoInstant.optional(),
});
export type ActionPayload = z.infer<typeof ActionPayload>;

/** A stored payload read as `schema`; one that does not parse is empty (all its fields are optional). */
export function readPayload<T extends z.ZodTypeAny>(
  schema: T,
  payload: Readonly<Record<string, unknown>> | undefined,
): z.infer<T> {
  const parsed = schema.safeParse(payload ?? {});
  return parsed.success ? parsed.data : schema.parse({});
}

export const LABEL: Record<ReminderKind, string> = {
  update: 'Update reminder',
  commander: 'Commander reminder',
  action: 'Mitigation reminder',
};

type Commander = Pick<RoleAssignment, 'userId'> | undefined;

/** "INC-3 needs a status update", addressed to the commander or, without one, to whoever takes it. */
export function updateReminder(
  chat: Pick<ChatPlatform, 'mention'>,
  incident: Incident,
  commander: Commander,
  lastUpdateAt: Date | undefined,
  everyMs: number,
  now: Date,
): ChatMessage {
  const since = lastUpdateAt
    ? `The last one was ${ago(now, lastUpdateAt)} ago`
    : `None since it was declared ${ago(now, incident.createdAt)} ago`;
  const cadence = `${incident.severity} asks for one every ${formatDuration(everyMs)}`;
  const who = commander
    ? `${chat.mention(commander.userId)}, please tell people where things stand: \`/incident update <text>\`.`
    : 'No commander yet: take command below or with `/incident assign commander me`, then post an update with `/incident update <text>`.';
  const text = `⏰ ${incidentRef(incident)} needs a status update. ${since} (${cadence}).`;
  return {
    text: `${text} ${who}`,
    sections: [`*${text}*`, who],
    buttons: [
      ...(commander ? [] : [takeCommandButton(incident)]),
      ...snoozeChoices(everyMs).map((m) => snoozeButton('update', m, incident)),
    ],
    ...(commander ? { mentions: [commander.userId] } : {}),
  };
}

/** "INC-3 has had no commander for 5m", with the button to take it. */
export function commanderNudge(incident: Incident, now: Date): ChatMessage {
  const text = `🧭 ${incidentRef(incident)} has had no commander for ${ago(now, incident.createdAt)}.`;
  const how = 'Someone take command: the button below, or `/incident assign commander me`.';
  return {
    text: `${text} ${how}`,
    sections: [`*${text}*`, how],
    buttons: [takeCommandButton(incident), ...[15, 30].map((m) => snoozeButton('commander', m, incident))],
  };
}

/** "drain of gpu-node-5 approved 10m ago, no status update since." */
export function actionNudge(
  chat: Pick<ChatPlatform, 'mention'>,
  incident: Incident,
  commander: Commander,
  approved: readonly (Action & { readonly decidedAt: Date })[],
  now: Date,
): ChatMessage {
  const what = approved
    .map((a) => `${a.kind} of ${a.target} approved ${ago(now, a.decidedAt)} ago (${a.status})`)
    .join('; ');
  const text = `🛠️ ${incidentRef(incident)}: ${what}, no status update since.`;
  const hint = `${commander ? `${chat.mention(commander.userId)}, tell` : 'Tell'} people what changed: \`/incident update <text>\`.`;
  return {
    text: `${text} ${hint}`,
    sections: [text, hint],
    buttons: [15, 30].map((m) => snoozeButton('action', m, incident)),
    ...(commander ? { mentions: [commander.userId] } : {}),
  };
}

/** Snoozes longer than the interval (a shorter one would only bring the reminder forward), two at most. */
function snoozeChoices(everyMs: number): number[] {
  const longer = SNOOZE_MINUTES.filter((m) => m * MINUTE > everyMs);
  return longer.length > 0 ? longer.slice(0, 2) : [SNOOZE_MINUTES[SNOOZE_MINUTES.length - 1]!];
}

function snoozeButton(kind: ReminderKind, minutes: number, incident: Incident): ChatButton {
  return {
    id: snoozeButtonId(kind, minutes, incident.id),
    label: `Snooze ${formatDuration(minutes * MINUTE)}`,
  };
}

/** The card's own button, so a click from the nudge goes the same way as one on the card. */
function takeCommandButton(incident: Incident): ChatButton {
  return { id: cardButtonId('take-command', incident.id), label: 'Take command', style: 'primary' };
}

function ago(now: Date, then: Date): string {
  return formatDuration(now.getTime() - then.getTime());
}
