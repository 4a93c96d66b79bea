import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BotError } from '../../src/core/index.ts';
import {
  ACTION_VERBS,
  actionButtonId,
  CARD_VERBS,
  cardButtonId,
  collectButtonId,
  type ParsedButton,
  parseButtonId,
  REMINDER_KINDS,
  SNOOZE_MINUTES,
  snoozeButtonId,
} from '../../src/incidents/buttons.ts';
import { NODE_NAME_PATTERN } from '../../src/nodes/port.ts';

// A button id is outside input: Slack and Discord echo back whatever id a button carries, and in
// the sandbox anyone can post any id. parseButtonId must answer every string with a ParsedButton
// or the one coded error, never anything else.

/** Discord's custom_id limit: every id the parser accepts must also fit a button. */
const CUSTOM_ID_MAX = 100;
const STORED_ID = /^[A-Za-z0-9-]{1,64}$/;
/** What a stack trace or a source path looks like in text shown to a person. */
const LEAKS = /\n\s*at |\bat .*\.[cm]?[jt]s:\d+|(?:\/|\\)(?:src|node_modules|work|home)(?:\/|\\)/;

function parseOrError(value: string): ParsedButton | BotError {
  try {
    return parseButtonId(value);
  } catch (err) {
    expect(err).toBeInstanceOf(BotError);
    return err as BotError;
  }
}

function expectClearError(err: BotError): void {
  expect(err.code).toBe('bot.button.unknown');
  expect(err.message).toMatch(/button/i);
  expect(err.message).not.toMatch(LEAKS);
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.hint ?? '').not.toMatch(LEAKS);
}

/** The id the bot itself would put on the button that parses to `b`. */
function rebuild(b: ParsedButton): string {
  if (b.kind === 'card') return cardButtonId(b.verb, b.incidentId);
  if (b.kind === 'action') return actionButtonId(b.verb, b.actionId);
  if (b.kind === 'collect') return collectButtonId(b.node, b.incidentId) ?? '';
  return snoozeButtonId(b.reminder, b.minutes, b.incidentId);
}

function expectConsistent(input: string, b: ParsedButton): void {
  expect(input.length).toBeLessThanOrEqual(CUSTOM_ID_MAX);
  if (b.kind === 'card') {
    expect(CARD_VERBS).toContain(b.verb);
    expect(b.incidentId).toMatch(STORED_ID);
  } else if (b.kind === 'action') {
    expect(ACTION_VERBS).toContain(b.verb);
    expect(b.actionId).toMatch(STORED_ID);
  } else if (b.kind === 'collect') {
    expect(b.node).toMatch(NODE_NAME_PATTERN);
    expect(b.incidentId).toMatch(STORED_ID);
  } else {
    expect(REMINDER_KINDS).toContain(b.reminder);
    expect(SNOOZE_MINUTES).toContain(b.minutes);
    expect(b.incidentId).toMatch(STORED_ID);
  }
  // Whatever was accepted means what the bot's own button for it means.
  const own = rebuild(b);
  expect(own.length).toBeLessThanOrEqual(CUSTOM_ID_MAX);
  expect(parseButtonId(own)).toEqual(b);
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.string({ unit: 'binary-ascii', maxLength: 120 }),
);
const storedId = fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/));
const snoozeVerb = fc
  .tuple(
    fc.constantFrom('upd', 'cmd', 'act', 'xyz', ''),
    fc.oneof(fc.constantFrom(...SNOOZE_MINUTES), fc.nat()),
  )
  .map(([code, minutes]) => `snooze-${code}-${minutes}`);
const collectVerb = fc
  .oneof(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,70}$/), anyText)
  .map((node) => `collect=${node}`);
const verb = fc.oneof(fc.constantFrom(...CARD_VERBS, ...ACTION_VERBS), snoozeVerb, collectVerb, anyText);
/** Ids shaped like the real ones, with every part sometimes wrong: where the branches are. */
const nearlyValid = fc
  .tuple(
    fc.constantFrom('card', 'act', 'CARD', '', 'card '),
    verb,
    fc.oneof(storedId, anyText, fc.constant('')),
    fc.array(anyText, { maxLength: 2 }),
  )
  .map(([kind, v, id, rest]) => [kind, v, id, ...rest].join(':'));

describe('parseButtonId (properties)', () => {
  it('answers any string with a button or the one coded error, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearlyValid), (value) => {
        const result = parseOrError(value);
        if (result instanceof BotError) expectClearError(result);
        else expectConsistent(value, result);
      }),
      { numRuns: 500 },
    );
  });

  it('reads back every id the bot builds', () => {
    const built = fc.oneof(
      fc
        .tuple(fc.constantFrom(...CARD_VERBS), storedId)
        .map(([v, id]) => [cardButtonId(v, id), { kind: 'card', verb: v, incidentId: id }] as const),
      fc
        .tuple(fc.constantFrom(...ACTION_VERBS), storedId)
        .map(([v, id]) => [actionButtonId(v, id), { kind: 'action', verb: v, actionId: id }] as const),
      fc
        .tuple(fc.constantFrom(...REMINDER_KINDS), fc.constantFrom(...SNOOZE_MINUTES), storedId)
        .map(
          ([reminder, minutes, id]) =>
            [
              snoozeButtonId(reminder, minutes, id),
              { kind: 'snooze', reminder, minutes, incidentId: id },
            ] as const,
        ),
      fc
        .tuple(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/), fc.uuid())
        .map(
          ([node, id]) => [collectButtonId(node, id)!, { kind: 'collect', node, incidentId: id }] as const,
        ),
    );
    fc.assert(
      fc.property(built, ([id, expected]) => {
        expect(id.length).toBeLessThanOrEqual(CUSTOM_ID_MAX);
        expect(parseButtonId(id)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('a built id with one character changed, added or removed is read as a known button or refused', () => {
    const edit = fc.tuple(
      fc.constantFrom('replace', 'insert', 'delete'),
      fc.nat(),
      fc.oneof(
        fc.constantFrom(':', '-', ' ', '\n', '\u0000', '\u200b', 'é', '🔥'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      ),
    );
    const built = fc.oneof(
      fc.tuple(fc.constantFrom(...CARD_VERBS), storedId).map(([v, id]) => cardButtonId(v, id)),
      fc.tuple(fc.constantFrom(...ACTION_VERBS), storedId).map(([v, id]) => actionButtonId(v, id)),
      fc
        .tuple(fc.constantFrom(...REMINDER_KINDS), fc.constantFrom(...SNOOZE_MINUTES), storedId)
        .map(([r, m, id]) => snoozeButtonId(r, m, id)),
      fc
        .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,40}$/), fc.uuid())
        .map(([node, id]) => collectButtonId(node, id)!),
    );
    fc.assert(
      fc.property(built, edit, (id, [op, at, ch]) => {
        const i = at % (id.length + 1);
        const mutated =
          op === 'replace'
            ? id.slice(0, i) + ch + id.slice(i + 1)
            : op === 'insert'
              ? id.slice(0, i) + ch + id.slice(i)
              : id.slice(0, i) + id.slice(i + 1);
        const result = parseOrError(mutated);
        if (result instanceof BotError) expectClearError(result);
        else expectConsistent(mutated, result);
      }),
      { numRuns: 500 },
    );
  });
});
