/**
 * Cutting text that people read. Lengths are JavaScript string lengths (UTF-16 code units), never
 * fewer than the characters Slack or Discord count, so a limit met here is met there. A cut never
 * falls inside a character as people see one (a grapheme): not between the halves of a surrogate
 * pair, nor inside an emoji with a skin tone, a flag or a ZWJ sequence (👩🏽‍🚒, 🏳️‍🌈), which
 * would leave half an emoji or a different one.
 */

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * How far around a cut the segmenter reads. Grapheme rules are local except for flags, which pair
 * regional indicators from the start of their run (handled below); a grapheme longer than this
 * (a ZWJ family is about 25 code units) can only be a pile of combining marks, cut inside.
 */
const WINDOW = 64;

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** U+1F1E6…U+1F1FF, the letters flags are made of, as the surrogate pair ending before `end`. */
function regionalIndicatorBefore(text: string, end: number): boolean {
  if (end < 2 || text.charCodeAt(end - 2) !== 0xd83c) return false;
  const low = text.charCodeAt(end - 1);
  return low >= 0xdde6 && low <= 0xddff;
}

/**
 * The last place at or before `at` where `text` may be cut: a grapheme boundary. Reads only the
 * text around the cut, so cutting a 40,000-character message costs what cutting a line does.
 */
export function graphemeCut(text: string, at: number): number {
  if (at >= text.length) return text.length;
  if (at <= 0) return 0;
  let start = Math.max(0, at - WINDOW);
  if (isLowSurrogate(text.charCodeAt(start)) && start > 0) start--;
  // Flags pair up from the first regional indicator of a run: start the reading before the run.
  while (regionalIndicatorBefore(text, start)) start -= 2;
  let cut = start;
  for (const { index } of graphemes.segment(text.slice(start, Math.min(text.length, at + WINDOW)))) {
    if (start + index > at) break;
    cut = start + index;
  }
  // Only a grapheme longer than the window leaves `start` itself (never inside a surrogate pair).
  return cut;
}

/** At most `max` code units of `text`, cut on a grapheme boundary, with no marker. */
export function graphemeHead(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, graphemeCut(text, max));
}

/**
 * `text` within `max` code units: as it is when it fits, else cut on a grapheme boundary with
 * `marker` (an ellipsis by default) saying that it was.
 */
export function truncateText(text: string, max: number, marker = '…'): string {
  if (text.length <= max) return text;
  if (max < marker.length) return graphemeHead(text, max);
  return `${text.slice(0, graphemeCut(text, max - marker.length))}${marker}`;
}

/**
 * "1 GPU", "8 GPUs", "0 workloads": the count and the word in the form that goes with it. `many`
 * for words that do not take an s ("1 alert fires", "2 entries").
 */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

/** A size as people read it: `512 B`, `41.2 KiB`, `3.0 MiB` (binary units, one decimal). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'] as const;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
