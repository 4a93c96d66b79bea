import { DISCORD_LIMITS, graphemeCut, graphemeHead, truncateText } from '../../core/index.ts';
import { FENCED, honestLabel, INLINE_CODE, splitMap } from '../markup.ts';
import type { ChatButton, ChatMessage } from '../message.ts';

/**
 * Discord's message limits (src/core/limits.ts). The API refuses the whole message (50035 Invalid
 * Form Body) when one is exceeded, so the renderer keeps within every one of them.
 */
const L = DISCORD_LIMITS;

/** Button styles (ButtonStyle in discord-api-types). */
const STYLE = { primary: 1, secondary: 2, danger: 4 } as const;

/** Custom-id prefixes of the confirmation step Discord lacks natively (see adapter.ts). */
export const ASK_PREFIX = 'ask:';
export const DENY_PREFIX = 'deny:';

interface DiscordField {
  name: string;
  value: string;
  inline: boolean;
}

export interface DiscordEmbed {
  title?: string;
  description?: string;
  fields?: DiscordField[];
  footer?: { text: string };
  color?: number;
}

export interface DiscordButton {
  type: 2;
  style: 1 | 2 | 4;
  label: string;
  custom_id: string;
}

export interface DiscordPayload {
  content: string;
  embeds: DiscordEmbed[];
  components: { type: 1; components: DiscordButton[] }[];
  allowed_mentions: AllowedMentions;
}

/**
 * Who a message may notify (API v10, MessageAllowedMentionsRequest): nothing parsed from the text,
 * only the users and roles listed (at most 100 of each), never the author of a replied-to message.
 */
export interface AllowedMentions {
  parse: [];
  users: string[];
  roles: string[];
  replied_user: false;
}

const USER_MENTION = /<@!?(\d{1,20})>/g;
const ROLE_MENTION = /<@&(\d{1,20})>/g;

/**
 * Only the ids the bot declared (ChatMessage.mentions) that the text really mentions may notify,
 * users as `<@id>`, roles as `<@&id>`. `<@&role>` in a quoted alert or title, `@everyone` and
 * `@here` notify nobody: nothing is parsed from the text itself.
 */
export function allowedMentions(message: ChatMessage, content: string): AllowedMentions {
  const declared = new Set(message.mentions ?? []);
  const pick = (re: RegExp) =>
    [...new Set([...content.matchAll(re)].map((m) => m[1]!))]
      .filter((id) => declared.has(id))
      .slice(0, L.allowedMentions);
  return { parse: [], users: pick(USER_MENTION), roles: pick(ROLE_MENTION), replied_user: false };
}

const LINK = /<((?:https?:\/\/|mailto:)[^\s|<>]+)(?:\|([^<>\n]*))?>/g;
/** Discord's own masked links, as people write them and the text quotes them: `[label](url)`. */
const MASKED = /\[([^[\]\n]{0,256})\]\((https?:\/\/[^\s()<>]{1,2000})\)/g;
const BOLD = /(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?=$|[^\w*])/g;

/**
 * Our neutral markup → Discord markdown. Both read _italic_, `code` and ```blocks```; Discord's
 * bold is **double**, and links are [label](url). Inside code everything stays literal.
 */
export function toDiscordMarkdown(text: string): string {
  // A masked link already in the text whose label names another address shows its target
  // (`[https://good](https://evil)`); ours are checked the same way as they are made.
  const prose = (s: string) =>
    s
      .replace(MASKED, (m, label: string, url: string) =>
        honestLabel(url, label) === undefined ? `<${url}>` : m,
      )
      .replace(LINK, (_m, url: string, raw?: string) => {
        const label = honestLabel(url, raw);
        return label ? `[${label}](${url})` : `<${url}>`;
      })
      .replace(BOLD, (_m, before: string, inner: string) => `${before}**${inner}**`);
  const inline = (s: string) => splitMap(s, INLINE_CODE, (m) => m, prose);
  return splitMap(text, FENCED, (m) => m, inline);
}

/** Cuts at `max` with an ellipsis, on a character boundary (src/core/text.ts). */
export function truncate(text: string, max: number): string {
  return truncateText(text, max);
}

function opensFence(text: string): boolean {
  return (text.match(/```/g)?.length ?? 0) % 2 === 1;
}

/** Splits long text at paragraph or line boundaries into pieces of at most `max`. */
function splitText(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n\n', max);
    if (cut < max / 2) cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = graphemeCut(rest, max) || max;
    let piece = rest.slice(0, cut);
    // A code block cut in half is closed here and reopened in the next piece; what the closing
    // fence has no room for goes to the next piece too, not away.
    if (opensFence(piece) && piece.length > max - 4) piece = graphemeHead(piece, max - 4) || piece;
    const next = rest.slice(piece.length).replace(/^\n+/, '');
    if (opensFence(piece)) {
      out.push(`${piece}\n\`\`\``);
      rest = `\`\`\`\n${next}`;
    } else {
      out.push(piece);
      rest = next;
    }
  }
  if (rest) out.push(rest);
  return out;
}

/**
 * The buttons a message shows: ids deduplicated (Discord refuses a repeated custom_id), ids over
 * 100 characters dropped rather than cut into another id, five per row, five rows. A button with
 * a confirmation gets the `ask:` prefix: the adapter asks first, then acts on the real id.
 */
export function buttonRows(buttons: readonly ChatButton[]): DiscordPayload['components'] {
  const seen = new Set<string>();
  const out: DiscordButton[] = [];
  for (const b of buttons) {
    const id = b.confirm ? `${ASK_PREFIX}${b.id}` : b.id;
    if (!b.id || id.length > L.customId || seen.has(id)) continue;
    seen.add(id);
    out.push({
      type: 2,
      style: b.style ? STYLE[b.style] : STYLE.secondary,
      label: truncate(b.label.replace(/\s+/g, ' ').trim() || 'Open', L.buttonLabel),
      custom_id: id,
    });
  }
  const rows: DiscordPayload['components'] = [];
  for (let i = 0; i < out.length && rows.length < L.actionRows; i += L.buttonsPerRow) {
    rows.push({ type: 1, components: out.slice(i, i + L.buttonsPerRow) });
  }
  return rows;
}

/** Simple notes go out as plain content (mentions in it notify); anything richer as an embed. */
function isPlain(message: ChatMessage): boolean {
  if (message.header || message.fields?.length || message.context?.length) return false;
  const sections = message.sections ?? [];
  if (sections.length > 1) return false;
  const text = sections[0] ?? message.text;
  return toDiscordMarkdown(text).length <= L.content;
}

/**
 * A neutral ChatMessage as a Discord message body, in the order the sandbox shows it: header,
 * sections, fields, buttons, context. Never throws and never exceeds a limit: long sections are
 * split over several embeds, and when the 6,000-character budget runs out the oldest section text
 * gives way with a marker, never a button or a field.
 */
export function toDiscordMessage(message: ChatMessage): DiscordPayload {
  const components = buttonRows(message.buttons ?? []);
  if (isPlain(message)) {
    const text = toDiscordMarkdown(message.sections?.[0] ?? message.text).trim();
    const content = text || '\u200b';
    return { content, embeds: [], components, allowed_mentions: allowedMentions(message, content) };
  }
  const title = message.header ? truncate(message.header.replace(/\s+/g, ' ').trim(), L.embedTitle) : '';
  let fields = (message.fields ?? [])
    .filter((f) => f.label.trim() || f.value.trim())
    .slice(0, L.embedFields)
    .map((f) => ({
      name: truncate(f.label.replace(/\s+/g, ' ').trim() || '\u200b', L.fieldName),
      value: truncate(toDiscordMarkdown(f.value).trim() || '—', L.fieldValue),
      inline: f.value.length <= 40,
    }));
  const footerText = (message.context ?? [])
    .filter((c) => c.trim())
    .map(toDiscordMarkdown)
    .join(' · ');
  let footer = footerText ? truncate(footerText, L.footerText) : '';
  // Discord draws no markdown in a footer: a <t:…> time there would show as its raw token. Such a
  // context goes in a last, unnamed field instead, which comes after the others as a footer would.
  if (TIME_TOKEN.test(footer) && fields.length < L.embedFields) {
    fields.push({ name: '\u200b', value: truncate(footerText, L.fieldValue), inline: false });
    footer = '';
  }
  const sourceSections = message.sections?.length
    ? message.sections
    : message.header || message.fields?.length
      ? []
      : [message.text];
  let pieces = sourceSections.flatMap((s) => splitText(toDiscordMarkdown(s).trim(), L.embedDescription));
  pieces = pieces.filter((p) => p.length > 0);

  // The budget over all embeds: title, fields and footer first (cut to leave room for text), then
  // the newest sections, then a marker for what gave way, counted like everything else.
  const fixedParts = fitFixed(title, fields, footer);
  fields = fixedParts.fields;
  footer = fixedParts.footer;
  const budget = L.embedTotal - fixedParts.length;
  const kept = fitSections(pieces, budget);
  const embeds: DiscordEmbed[] = kept.length ? kept.map((description) => ({ description })) : [{}];
  const first = embeds[0]!;
  if (title) first.title = title;
  const last = embeds[embeds.length - 1]!;
  if (fields.length) last.fields = fields;
  if (footer) last.footer = { text: footer };
  if (!first.title && !first.description && !last.fields && !last.footer) {
    first.description = truncate(
      toDiscordMarkdown(message.text).trim() || 'incident-bot',
      L.embedDescription,
    );
  }
  // The plain text goes above the embed: it is what notifications show, and its mentions notify
  // (mentions inside an embed never do).
  const fallback = message.text.trim() && message.text.trim() !== message.header?.trim() ? message.text : '';
  const content = truncate(toDiscordMarkdown(fallback).trim(), L.content);
  return { content, embeds, components, allowed_mentions: allowedMentions(message, content) };
}

/** Discord's timestamp markup (`<t:1700000000:R>`). */
const TIME_TOKEN = /<t:-?\d{1,13}(?::[tTdDfFR])?>/;

/** What title, fields and footer may take of the 6,000, so some text always fits beside them. */
const FIXED_MAX = L.embedTotal - 1000;

/**
 * Title, fields and footer cut to FIXED_MAX together: the footer first (down to 200), then the
 * longest field values (down to 64 each), then the last fields. Returns them and their length.
 */
function fitFixed(
  title: string,
  fields: readonly DiscordField[],
  footer: string,
): { fields: DiscordField[]; footer: string; length: number } {
  const size = (fs: readonly DiscordField[], f: string) =>
    title.length + f.length + fs.reduce((n, x) => n + x.name.length + x.value.length, 0);
  let out = [...fields];
  let foot = footer;
  let excess = size(out, foot) - FIXED_MAX;
  if (excess > 0 && foot.length > 200) {
    foot = truncate(foot, Math.max(200, foot.length - excess));
    excess = size(out, foot) - FIXED_MAX;
  }
  while (excess > 0) {
    const longest = out.reduce((a, b, i) => (b.value.length > out[a]!.value.length ? i : a), 0);
    const f = out[longest];
    if (!f || f.value.length <= 64) break;
    out[longest] = { ...f, value: truncate(f.value, Math.max(64, f.value.length - excess)) };
    excess = size(out, foot) - FIXED_MAX;
  }
  while (excess > 0 && out.length > 0) {
    out = out.slice(0, -1);
    excess = size(out, foot) - FIXED_MAX;
  }
  return { fields: out, footer: foot, length: size(out, foot) };
}

/**
 * The section pieces that fit `budget` characters and the embeds left, newest kept first. When some
 * must give way, a marker says how many, and its own length is taken from the budget before
 * anything else, so the total never passes Discord's limit.
 */
function fitSections(pieces: readonly string[], budget: number): string[] {
  const total = pieces.reduce((n, p) => n + p.length, 0);
  if (total <= budget && pieces.length <= L.embedsPerMessage) return [...pieces];
  const marker = (n: number) =>
    `_… ${n} earlier ${n === 1 ? 'part is' : 'parts are'} not shown: the message is longer than Discord allows._`;
  let room = budget - marker(pieces.length).length;
  const kept: string[] = [];
  let i = pieces.length - 1;
  for (; i >= 0; i--) {
    const p = pieces[i]!;
    if (p.length > room || kept.length >= L.embedsPerMessage - 1) break;
    kept.unshift(p);
    room -= p.length;
  }
  if (i >= 0 && room > 200 && kept.length < L.embedsPerMessage - 1) kept.unshift(truncate(pieces[i]!, room));
  kept.unshift(marker(i + 1));
  return kept;
}
