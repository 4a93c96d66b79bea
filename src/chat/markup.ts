/**
 * The neutral message markup (src/chat/message.ts): what renderers for each platform share.
 * Code is literal in every dialect, so renderers split it off first and convert only the prose.
 */
/** The same code spans the sandbox page recognises, so every platform agrees on what is code. */
export const FENCED = /```[\s\S]*?```/g;
export const INLINE_CODE = /`[^`\n]+`/g;

/** Applies `onMatch` to every match of `re` (global) and `onRest` to the text between them. */
export function splitMap(
  text: string,
  re: RegExp,
  onMatch: (m: string) => string,
  onRest: (s: string) => string,
): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(re)) {
    out += onRest(text.slice(last, m.index)) + onMatch(m[0]);
    last = m.index + m[0].length;
  }
  return out + onRest(text.slice(last));
}
