import type { types } from '@slack/bolt';
import { SLACK_LIMITS } from '../../core/index.ts';
import type { ChatButton, ChatField, ChatMessage } from '../message.ts';
import { splitMrkdwn, toMrkdwn, truncateMrkdwn, truncatePlain } from './mrkdwn.ts';

export {
  DECLARE_CALLBACK_ID,
  type DeclareSubmission,
  declareModal,
  parseDeclareSubmission,
} from './modal.ts';

type KnownBlock = types.KnownBlock;
type SectionBlock = types.SectionBlock;
type ActionsBlock = types.ActionsBlock;
type ContextBlock = types.ContextBlock;
type Button = types.Button;

/**
 * Block Kit's limits (src/core/limits.ts). Slack rejects the whole message (`invalid_blocks`)
 * when one is exceeded, so the renderer keeps within every one of them.
 */
const L = SLACK_LIMITS;

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });
const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text });

/** Slack rejects empty text objects; a blank value falls back to something readable. */
function plainOr(text: string, fallback: string, max: number, oneLine = true): string {
  const t = truncatePlain(text, max, oneLine);
  return t.trim() ? t : fallback;
}

function fieldText(field: ChatField, mentions: ReadonlySet<string>): string | undefined {
  const label = field.label.replace(/\s+/g, ' ').trim();
  const value = field.value.trim() ? toMrkdwn(field.value, mentions) : '';
  if (!label && !value) return undefined;
  // The label is shown bold and on its own line, as the sandbox shows it above the value.
  const head = label ? `*${truncateMrkdwn(toMrkdwn(label), 200)}*` : '';
  const text = head && value ? `${head}\n${value}` : head || value;
  return truncateMrkdwn(text, L.fieldText);
}

function confirmDialog(confirm: NonNullable<ChatButton['confirm']>, style: ChatButton['style']) {
  return {
    title: plain(plainOr(confirm.title, 'Are you sure?', L.confirmTitle)),
    text: plain(plainOr(confirm.text, 'Are you sure?', L.confirmText, false)),
    confirm: plain(plainOr(confirm.confirm, 'Confirm', L.confirmButton)),
    deny: plain(plainOr(confirm.deny, 'Cancel', L.confirmButton)),
    // A destructive button gets a red confirm button in the dialog too.
    ...(style === 'danger' ? { style: 'danger' as const } : {}),
  };
}

/** A button the bot asks about itself (ASK_PREFIX) carries what it asks, and whom it refuses. */
export const ASK_PREFIX = 'ask:';
/** The "no" of a question the bot asked: nothing is done, the question goes. */
export const DENY_PREFIX = 'deny:';

export interface AskValue {
  readonly confirm: NonNullable<ChatButton['confirm']>;
  readonly refusedFor: NonNullable<ChatButton['refusedFor']>;
}

/**
 * Slack draws a button's confirmation dialog itself, for whoever clicks. A button the bot would
 * refuse for some people (the requester, where a second person must approve) must not offer them a
 * dialog they cannot use, so it has none: its action_id is `ask:<id>` and its value says what to
 * ask and whom to refuse; the click is answered (listeners.ts) with the refusal, or with the
 * question and the real button, only to the clicker. In the value, not in memory: any replica can
 * answer it. Undefined when it does not fit (then Slack's own dialog it is).
 */
function askValue(b: ChatButton): string | undefined {
  if (!b.confirm || !b.refusedFor || `${ASK_PREFIX}${b.id}`.length > L.actionId) return undefined;
  const value = JSON.stringify({ confirm: b.confirm, refusedFor: b.refusedFor } satisfies AskValue);
  return value.length <= L.buttonValue ? value : undefined;
}

/**
 * The button id is both `action_id` (what Bolt routes on) and `value`: an opaque id, never a
 * command. Ids must be unique per message, so a repeated id is dropped, and one that cannot be an
 * action_id at all (empty, over 255) is dropped rather than cut into a different id.
 */
function buttonElements(buttons: readonly ChatButton[]): Button[] {
  const seen = new Set<string>();
  const out: Button[] = [];
  for (const b of buttons) {
    if (!b.id || b.id.length > L.actionId || seen.has(b.id)) continue;
    seen.add(b.id);
    const ask = askValue(b);
    out.push({
      type: 'button',
      action_id: ask ? `${ASK_PREFIX}${b.id}` : b.id,
      value: ask ?? b.id,
      text: plain(plainOr(b.label, 'Open', L.buttonText)),
      ...(b.style ? { style: b.style } : {}),
      ...(b.confirm && !ask ? { confirm: confirmDialog(b.confirm, b.style) } : {}),
    });
  }
  return out;
}

/** The question an `ask:` button puts, only to the clicker: the real button, and a way out. */
export function askMessage(buttonId: string, confirm: AskValue['confirm']): ChatMessage {
  return {
    text: `${confirm.title} ${confirm.text}`,
    header: confirm.title,
    sections: [confirm.text],
    buttons: [
      { id: buttonId, label: confirm.confirm, style: 'danger' },
      { id: `${DENY_PREFIX}${buttonId}`.slice(0, L.actionId), label: confirm.deny },
    ],
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function droppedMarker(parts: number): SectionBlock {
  return {
    type: 'section',
    text: mrkdwn(
      `_… ${parts} earlier ${parts === 1 ? 'part is' : 'parts are'} not shown: the message is longer than Slack allows._`,
    ),
  };
}

/**
 * A neutral ChatMessage as Block Kit, in the order the sandbox shows it: header, sections, fields,
 * buttons, context. Never throws and never exceeds a Slack limit: long sections are split on
 * paragraph boundaries (a code block that must be split is closed and reopened), and when the
 * message would pass 50 blocks the oldest section text gives way, with a marker, never a button.
 */
export function toBlocks(message: ChatMessage): { text: string; blocks: KnownBlock[] } {
  // Only the mentions the bot declared may notify; every other reference is shown as text.
  const mentions: ReadonlySet<string> = new Set(message.mentions ?? []);
  const header = message.header ? truncatePlain(message.header, L.headerText, true) : '';
  const headerBlocks: KnownBlock[] = header ? [{ type: 'header', text: plain(header) }] : [];

  const rich = Boolean(message.header || message.sections?.length || message.fields?.length);
  const sources = message.sections?.length ? message.sections : rich ? [] : [message.text];
  const sectionBlocks: SectionBlock[] = sources.flatMap((s) =>
    splitMrkdwn(toMrkdwn(s, mentions), L.sectionText).map((text) => ({
      type: 'section' as const,
      text: mrkdwn(text),
    })),
  );

  const fields = (message.fields ?? []).flatMap((f) => fieldText(f, mentions) ?? []);
  const fieldBlocks: SectionBlock[] = chunk(fields, L.fieldsPerSection).map((group) => ({
    type: 'section',
    fields: group.map(mrkdwn),
  }));

  const actionBlocks: ActionsBlock[] = chunk(buttonElements(message.buttons ?? []), L.elementsPerActions).map(
    (elements) => ({ type: 'actions', elements }),
  );

  const contexts = (message.context ?? [])
    .filter((c) => c.trim())
    .map((c) => mrkdwn(truncateMrkdwn(toMrkdwn(c, mentions), L.contextText)));
  const contextBlocks: ContextBlock[] = chunk(contexts, L.elementsPerContext).map((elements) => ({
    type: 'context',
    elements,
  }));

  // The 50-block budget, most important first: buttons, header, fields, context, then sections.
  let budget: number = L.messageBlocks;
  const take = <T>(blocks: readonly T[]): T[] => {
    const kept = blocks.slice(0, Math.max(0, budget));
    budget -= kept.length;
    return kept;
  };
  const actions = take(actionBlocks);
  const head = take(headerBlocks);
  const fieldsKept = take(fieldBlocks);
  const context = take(contextBlocks);
  let sections: SectionBlock[] = sectionBlocks;
  if (sectionBlocks.length > budget) {
    const keep = Math.max(0, budget - 1);
    sections =
      budget > 0
        ? [droppedMarker(sectionBlocks.length - keep), ...sectionBlocks.slice(sectionBlocks.length - keep)]
        : [];
  }

  const blocks: KnownBlock[] = [...head, ...sections, ...fieldsKept, ...actions, ...context];
  const fallbackSource = message.text.trim() ? message.text : (message.header ?? '');
  const fallback = truncateMrkdwn(toMrkdwn(fallbackSource, mentions), L.fallbackText);
  const text = fallback.trim() ? fallback : 'incident-bot';
  // Slack needs text or blocks; a message that renders to nothing still says something.
  if (blocks.length === 0) blocks.push({ type: 'section', text: mrkdwn(text) });
  return { text, blocks };
}
