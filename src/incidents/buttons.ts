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

export type ParsedButton =
  | { readonly kind: 'card'; readonly verb: CardVerb; readonly incidentId: string }
  | { readonly kind: 'action'; readonly verb: ActionVerb; readonly actionId: string };

export function cardButtonId(verb: CardVerb, incidentId: string): string {
  return `card:${verb}:${incidentId}`;
}

export function actionButtonId(verb: ActionVerb, actionId: string): string {
  return `act:${verb}:${actionId}`;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

export function parseButtonId(value: string): ParsedButton {
  const [kind, verb, id, ...rest] = value.split(':');
  if (rest.length === 0 && id && ID.test(id)) {
    if (kind === 'card' && (CARD_VERBS as readonly string[]).includes(verb ?? '')) {
      return { kind: 'card', verb: verb as CardVerb, incidentId: id };
    }
    if (kind === 'act' && (ACTION_VERBS as readonly string[]).includes(verb ?? '')) {
      return { kind: 'action', verb: verb as ActionVerb, actionId: id };
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
