import type { ChatButton } from '../chat/message.ts';
import { BotError } from '../core/index.ts';

/**
 * Button ids carry a verb and a stored id, never a command: the verb picks a handler and the id
 * names the incident or action it acts on; who clicked is checked when the click arrives.
 * Discord limits custom_id to 100 characters; these stay under 60.
 */
export const CARD_VERBS = [
  'take-command',
  'investigating',
  'mitigated',
  'resolve',
  // Resolving while mitigation requests wait: cancel them, or keep them (src/incidents/resolution.ts).
  'resolve-cancel',
  'resolve-keep',
  'close',
  // The target severity is in the verb, so a double click sets it once instead of moving twice.
  'sev1',
  'sev2',
  'sev3',
  'sev4',
] as const;
export type CardVerb = (typeof CARD_VERBS)[number];
export const ACTION_VERBS = ['approve', 'cancel'] as const;
export type ActionVerb = (typeof ACTION_VERBS)[number];

/** The reminders an incident can have, one durable timer each (src/incidents/reminders.ts). */
export const REMINDER_KINDS = ['update', 'commander', 'action'] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];
/**
 * The snoozes a reminder button may ask for. A click naming any other length is refused: in the
 * sandbox anyone can post any button id, and a snooze of a year would silence an incident.
 */
export const SNOOZE_MINUTES = [15, 30, 60, 120, 240] as const;

export type ParsedButton =
  | { readonly kind: 'collect'; readonly node: string; readonly incidentId: string }
  | { readonly kind: 'card'; readonly verb: CardVerb; readonly incidentId: string }
  | { readonly kind: 'action'; readonly verb: ActionVerb; readonly actionId: string }
  | {
      readonly kind: 'snooze';
      readonly reminder: ReminderKind;
      readonly minutes: number;
      readonly incidentId: string;
    };

export function cardButtonId(verb: CardVerb, incidentId: string): string {
  return `card:${verb}:${incidentId}`;
}

export function actionButtonId(verb: ActionVerb, actionId: string): string {
  return `act:${verb}:${actionId}`;
}

/**
 * A snooze acts on an incident, like the card's buttons, so it shares their `card:` prefix: the
 * Slack adapter routes `card:` and `act:` clicks. `card:snooze-cmd-240:<uuid>` is 56 characters.
 */
const SNOOZE_CODE: Record<ReminderKind, string> = { update: 'upd', commander: 'cmd', action: 'act' };

export function snoozeButtonId(reminder: ReminderKind, minutes: number, incidentId: string): string {
  return `card:snooze-${SNOOZE_CODE[reminder]}-${minutes}:${incidentId}`;
}

/**
 * The diagnostic bundle's button (`/node collect`, offered on an escalation): `card:collect=<node>`
 * then the incident, so the Slack adapter routes it with the card's. A node name has no `:`
 * (NODE_NAME_PATTERN). Undefined when it would not fit Discord's 100 characters: the message then
 * names the command instead.
 */
export function collectButtonId(node: string, incidentId: string): string | undefined {
  const id = `card:collect=${node}:${incidentId}`;
  return id.length <= 100 && COLLECT_NODE.test(node) ? id : undefined;
}

/** The button that asks for a node's diagnostic bundle, where its id fits (collectButtonId). */
export function collectButton(node: string, incidentId: string): ChatButton | undefined {
  const id = collectButtonId(node, incidentId);
  return id ? { id, label: `📦 Collect diagnostics of ${node}` } : undefined;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;
const COLLECT = /^collect=(.+)$/;
/** NODE_NAME_PATTERN's characters (src/nodes/port.ts), no longer than a button id leaves room for. */
const COLLECT_NODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const SNOOZE = /^snooze-(upd|cmd|act)-(\d{1,4})$/;

export function parseButtonId(value: string): ParsedButton {
  const [kind, verb, id, ...rest] = value.split(':');
  if (rest.length === 0 && id && ID.test(id)) {
    if (kind === 'card' && (CARD_VERBS as readonly string[]).includes(verb ?? '')) {
      return { kind: 'card', verb: verb as CardVerb, incidentId: id };
    }
    if (kind === 'act' && (ACTION_VERBS as readonly string[]).includes(verb ?? '')) {
      return { kind: 'action', verb: verb as ActionVerb, actionId: id };
    }
    const collect = kind === 'card' ? COLLECT.exec(verb ?? '') : null;
    // Only what collectButtonId builds: no id longer than Discord's 100 characters.
    if (collect?.[1] && value.length <= 100 && COLLECT_NODE.test(collect[1]))
      return { kind: 'collect', node: collect[1], incidentId: id };
    const snooze = kind === 'card' ? SNOOZE.exec(verb ?? '') : null;
    const minutes = Number(snooze?.[2]);
    const reminder = REMINDER_KINDS.find((k) => SNOOZE_CODE[k] === snooze?.[1]);
    if (reminder && (SNOOZE_MINUTES as readonly number[]).includes(minutes)) {
      return { kind: 'snooze', reminder, minutes, incidentId: id };
    }
  }
  throw new BotError(
    'bot.button.unknown',
    'This button is not one the bot knows; it may be from an older version.',
    {
      hint: 'Use the buttons on the current incident card, or /incident help.',
    },
  );
}
