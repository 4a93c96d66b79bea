import { graphemeCut, truncateText } from '../../core/index.ts';
import { FENCED, honestLabel, INLINE_CODE, splitMap } from '../markup.ts';

/**
 * Our neutral markup → Slack mrkdwn. The two already agree on *bold*, _italic_, `code`, ```blocks```
 * and <url|label>; what differs is that Slack treats `&`, `<` and `>` as control characters
 * everywhere, so they must be sent as `&amp;`, `&lt;`, `&gt;` unless they form one of the tokens
 * below. Lengths are JavaScript string lengths (UTF-16 code units), never fewer than the characters
 * Slack counts, so a limit met here is met there.
 */

const ANGLE = /<[^<>]*>/g;

const LINK = /^<((?:https?:\/\/|mailto:)[^\s|<>]+)(?:\|([^<>\n]*))?>$/;
/**
 * `<@U123>`, `<#C123>` and `<!subteam^S123>`, optionally with a `|label`, as Slack itself writes
 * them. Tokens never span lines, so splitting on line ends can never cut one in half.
 */
const REFERENCE = /^<(@|#|!subteam\^)([A-Z0-9_]+)(?:\|([^<>|\n]*))?>$/;
/** `<!date^1700000000^{date_short_pretty} {time}|fallback>`: shown in each reader's own time zone. */
const DATE = /^<!date\^(\d{1,12})\^([^^|<>\n]+)(?:\^(https?:\/\/[^\s^|<>]+))?\|([^<>\n]*)>$/;

const FENCE = '```';
const NO_MENTIONS: ReadonlySet<string> = new Set();
const ELLIPSIS = '…';

/** Escapes Slack's three control characters; use for text that must show literally. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Keeps our links, channel references and date tokens (the adapter's localTime); anything else in
 * angle brackets is text (`<command>` in help, `<none>` in kubectl output). A user or user-group
 * reference (`<@U123>`, `<!subteam^S123>`) notifies its people, so it is kept only when the bot
 * mentions that id on purpose (`mentions`); any other, quoted from an alert, a title or a person,
 * is escaped and shows literally. Broadcasts (`<!here>`, `<!channel>`) are never kept. A link whose
 * label names another address shows its real target instead (see honestLabel).
 */
function token(match: string, mentions: ReadonlySet<string>): string {
  const link = LINK.exec(match);
  if (link) {
    const url = link[1]!.replace(/&/g, '&amp;');
    const label = honestLabel(link[1]!, link[2]);
    return label === undefined ? `<${url}>` : `<${url}|${label.replace(/&/g, '&amp;')}>`;
  }
  const ref = REFERENCE.exec(match);
  if (ref && (ref[1] === '#' || mentions.has(ref[2]!))) {
    return `<${ref[1]}${ref[2]}${ref[3] === undefined ? '' : `|${ref[3].replace(/&/g, '&amp;')}`}>`;
  }
  const date = DATE.exec(match);
  if (date) {
    const link = date[3] === undefined ? '' : `^${date[3].replace(/&/g, '&amp;')}`;
    return `<!date^${date[1]}^${date[2]!.replace(/&/g, '&amp;')}${link}|${date[4]!.replace(/&/g, '&amp;')}>`;
  }
  return escapeMrkdwn(match);
}

/**
 * Neutral markup → mrkdwn. Inside code everything is literal, so code is escaped whole. `mentions`:
 * the ids whose references may notify (ChatMessage.mentions); none by default.
 */
export function toMrkdwn(text: string, mentions: ReadonlySet<string> = NO_MENTIONS): string {
  const prose = (s: string) => splitMap(s, ANGLE, (m) => token(m, mentions), escapeMrkdwn);
  const inline = (s: string) => splitMap(s, INLINE_CODE, escapeMrkdwn, prose);
  return splitMap(text, FENCED, escapeMrkdwn, inline);
}

/** Plain text (header, button labels, dialogs): one line when asked, cut with an ellipsis. */
export function truncatePlain(text: string, max: number, oneLine = false): string {
  return truncateText(oneLine ? text.replace(/\s+/g, ' ').trim() : text, max, ELLIPSIS);
}

function togglesFence(line: string): boolean {
  return (line.split(FENCE).length - 1) % 2 === 1;
}

/**
 * The last place at or before `limit` where escaped mrkdwn can be cut without breaking an entity
 * (`&amp;`), a token (`<url|label>`), a run of backticks or a character (an emoji with its skin
 * tone, a flag: src/core/text.ts); a space in the last quarter is preferred so words stay whole.
 */
export function safeCut(s: string, limit: number): number {
  if (s.length <= limit) return s.length;
  let at = limit;
  const space = s.lastIndexOf(' ', at - 1);
  if (space >= 0 && space + 1 > limit * 0.75) at = space + 1;
  const lt = s.lastIndexOf('<', at - 1);
  if (lt > s.lastIndexOf('>', at - 1) && lt > 0) at = lt;
  const amp = s.lastIndexOf('&', at - 1);
  if (amp > 0 && amp > at - 5) {
    const semi = s.indexOf(';', amp);
    if (semi === -1 || semi >= at) at = amp;
  }
  while (at > 1 && s[at - 1] === '`' && s[at] === '`') at--;
  at = graphemeCut(s, at);
  // A token or word longer than the whole limit: cut inside it rather than not at all (still on a
  // character boundary, unless one character is longer than the limit).
  return at > 0 ? at : graphemeCut(s, limit) || Math.max(1, limit);
}

/** Cuts escaped mrkdwn to `max`, closing a code block it cut open and saying that it was cut. */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, safeCut(text, max - ELLIPSIS.length - FENCE.length));
  return `${head}${togglesFence(head) ? FENCE : ''}${ELLIPSIS}`;
}

function render(lines: readonly string[], openAtStart: boolean, openAtEnd: boolean): string {
  return `${openAtStart ? `${FENCE}\n` : ''}${lines.join('\n')}${openAtEnd ? `\n${FENCE}` : ''}`;
}

/**
 * Lines of one paragraph into chunks of at most `max`. A code block that has to be cut is closed
 * at the end of one chunk and reopened at the start of the next, so each chunk renders alone.
 */
function splitLines(lines: readonly string[], max: number): string[] {
  const out: string[] = [];
  let buf: string[] = [];
  let openAtStart = false;
  let open = false;
  for (const line of lines) {
    const after: boolean = togglesFence(line) ? !open : open;
    if (render([...buf, line], openAtStart, after).length <= max) {
      buf.push(line);
      open = after;
      continue;
    }
    if (buf.length > 0) {
      out.push(render(buf, openAtStart, open));
      openAtStart = open;
      buf = [];
    }
    if (render([line], openAtStart, after).length <= max) {
      buf = [line];
      open = after;
      continue;
    }
    // One line longer than a block: cut it, leaving room to close and reopen a fence (8 chars).
    let rest = line;
    while (rest.length > 0) {
      const piece = rest.slice(0, safeCut(rest, max - 2 * (FENCE.length + 1)));
      rest = rest.slice(piece.length);
      const end: boolean = togglesFence(piece) ? !open : open;
      out.push(render([piece], open, end));
      open = end;
    }
    openAtStart = open;
  }
  if (buf.length > 0) out.push(render(buf, openAtStart, open));
  return out;
}

/**
 * Splits escaped mrkdwn into pieces of at most `max` characters: on blank lines between paragraphs
 * first (never on a blank line inside a code block), then on line ends, then inside a line.
 * Blank pieces are dropped, since Slack rejects empty text.
 */
export function splitMrkdwn(text: string, max: number): string[] {
  if (text.length <= max) return text.trim() ? [text] : [];
  const paragraphs: string[][] = [];
  let current: string[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (!inFence && line.trim() === '') {
      if (current.length > 0) paragraphs.push(current);
      current = [];
      continue;
    }
    current.push(line);
    if (togglesFence(line)) inFence = !inFence;
  }
  if (current.length > 0) paragraphs.push(current);

  const chunks: string[] = [];
  let acc = '';
  for (const lines of paragraphs) {
    const paragraph = lines.join('\n');
    if (acc && acc.length + 2 + paragraph.length <= max) {
      acc = `${acc}\n\n${paragraph}`;
      continue;
    }
    if (acc) chunks.push(acc);
    acc = '';
    if (paragraph.length <= max) {
      acc = paragraph;
      continue;
    }
    const pieces = splitLines(lines, max);
    acc = pieces.pop() ?? '';
    chunks.push(...pieces);
  }
  if (acc) chunks.push(acc);
  return chunks.filter((c) => c.trim() !== '');
}
