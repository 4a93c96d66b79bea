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

/**
 * Host names in a link label (`good.example`, `https://www.good.example/x`): started only at the
 * beginning of a run of host characters, so a long label costs one pass.
 */
const HOST_IN_LABEL = /(?<![\w.-])((?:[a-z0-9-]{1,63}\.)+[a-z][a-z0-9-]{1,62})(?![\w-])/gi;

const bare = (host: string) => host.toLowerCase().replace(/^www\./, '');

/** The host a link really goes to: a URL's host name, an e-mail address's domain. */
function targetHost(url: string): string | undefined {
  if (/^mailto:/i.test(url)) return bare(url.slice(url.lastIndexOf('@') + 1).split(/[?#]/)[0] ?? '');
  try {
    return bare(new URL(url).hostname);
  } catch {
    return undefined;
  }
}

/**
 * A link's label as it may be shown: a label that reads as an address other than the link's own
 * target (`<https://evil.example|https://good.example>`, `[good.example](https://evil.example)`)
 * would send a reader somewhere they did not choose, so it is dropped (undefined: show the target
 * itself). Labels naming no other host ("runbook", "#inc-4") stay. For every text, quoted or not.
 */
export function honestLabel(url: string, label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const target = targetHost(url);
  if (target === undefined) return undefined;
  const hosts = [...label.matchAll(HOST_IN_LABEL)].map((m) => bare(m[1]!));
  if (hosts.some((h) => h !== target)) return undefined;
  // A scheme with no host we could read ("https://10.0.0.9", "javascript://…") is not trusted either.
  if (label.includes('://') && hosts.length === 0) return undefined;
  return label;
}
