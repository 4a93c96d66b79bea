import { graphemeHead } from './text.ts';

/**
 * Blanks out secrets in text that leaves the bot: command output posted in chat, action results
 * stored on the timeline, model errors and prompts sent to an LLM. Patterns, not certainty: it errs
 * on the side of hiding a little too much.
 *
 * Every rule runs in time linear in the text: people paste 40,000-character messages into incident
 * channels, and a rule that rescans a run of characters from each position inside it (quadratic)
 * held the event loop for seconds. So each rule starts only where a scan can begin once per run
 * (a literal such as `://`, or a lookbehind that the character before is not of the rule's own
 * class), and nothing after an open-ended run can fail and send the engine back into it from the
 * next position. test/core/redact.test.ts feeds each rule repeated fragments of its own literals.
 */
export interface RedactRule {
  /** For the tests and the benchmark. */
  readonly name: string;
  readonly pattern: RegExp;
  readonly replace: string;
}

export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';

export const REDACT_RULES: readonly RedactRule[] = [
  // Private keys, whole blocks, up to their END line or the end of the text. `[A-Z ]` is bounded:
  // key types are a word or two ("RSA", "OPENSSH", "ENCRYPTED").
  {
    name: 'private-key',
    pattern: /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]{0,40}PRIVATE KEY-----|$)/g,
    replace: '[redacted private key]',
  },
  // Slack, GitHub, OpenAI-style and AWS tokens by their shape. Nothing follows the open-ended run,
  // so the first start in a run matches all of it and no scan is repeated.
  { name: 'slack-token', pattern: /\bxox[abposrecdt]-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  { name: 'slack-app-token', pattern: /\bxapp-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  { name: 'github-token', pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}/g, replace: REDACTED },
  { name: 'openai-key', pattern: /\bsk-[A-Za-z0-9_-]{20,}/g, replace: REDACTED },
  { name: 'aws-key', pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, replace: REDACTED },
  // Google API keys: a fixed length, checked only from the start of a run of key characters.
  {
    name: 'google-key',
    pattern: /(?<![0-9A-Za-z_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
    replace: REDACTED,
  },
  // JSON Web Tokens (three base64url parts, the first one a JSON header). Started only at the
  // beginning of a run of base64url characters: from inside `eyJ-eyJ-eyJ-…` every start would scan
  // the rest of the run for a dot that is not there.
  {
    name: 'jwt',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    replace: REDACTED,
  },
  // Slack webhook URLs (the path is the secret).
  {
    name: 'slack-webhook',
    pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/g,
    replace: 'https://hooks.slack.com/[redacted]',
  },
  // Credentials in URLs: scheme://user:password@host. Anchored on `://`, not on the scheme: a
  // scheme scanned back from every word boundary of `a.a.a.…` is quadratic. User and password
  // cannot contain the character that ends them, so there is nothing to backtrack into.
  { name: 'url-password', pattern: /:\/\/([^\s:/@]{1,256}):[^\s@/]{1,256}@/g, replace: '://$1:[redacted]@' },
  // Bearer tokens in headers.
  {
    name: 'bearer',
    pattern: /\b(Bearer|Basic)[ \t]{1,16}[A-Za-z0-9._~+/=-]{8,}/g,
    replace: `$1 ${REDACTED}`,
  },
  // key=value and key: value for names that mean a secret (also inside a longer name:
  // SLACK_BOT_TOKEN=…, db_password: …). The name's prefix stays as it is, so the match starts at
  // the keyword itself; a quoted value ends at its quote or the line's end.
  {
    name: 'key-value',
    pattern:
      /(password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)(\s{0,64}[:=]\s{0,64})("[^"\n]*"|'[^'\n]*'|\S+)/gi,
    replace: `$1$2${REDACTED}`,
  },
];

/** The built-in rules alone (no configured secrets): for text whose caller has no redactor. */
export function redact(text: string): string {
  let out = text;
  for (const { pattern, replace } of REDACT_RULES) out = out.replace(pattern, replace);
  return out;
}

/**
 * Below this length a literal would blank ordinary words and numbers all through the text; a
 * secret that short is left to the rules above (which still catch it as `password=…` or in a URL).
 */
export const MIN_SECRET_LENGTH = 6;

/**
 * The redactor the bot uses everywhere: the configured secrets themselves as literals (whatever
 * their shape: a model server that echoes a key which is not `sk-…` is still caught), then the
 * built-in rules, then `extra` (the post-mortem adds its PII patterns). Literals go first so a
 * rule never leaves part of one behind. Built once at start-up and passed in.
 */
export function createRedactor(
  options: { readonly secrets?: readonly string[]; readonly extra?: readonly Redactor[] } = {},
): Redactor {
  // Longest first: a secret that contains another is blanked whole.
  const secrets = [...new Set(options.secrets ?? [])]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  const extra = options.extra ?? [];
  return (text) => {
    let out = text;
    // split/join is a plain substring search: linear, and no regex escaping to get wrong.
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    out = redact(out);
    for (const more of extra) out = more(out);
    return out;
  };
}

/** The redactor plus more rules after it (the post-mortem's PII patterns). */
export function extendRedactor(base: Redactor, ...more: readonly Redactor[]): Redactor {
  return (text) => {
    let out = base(text);
    for (const m of more) out = m(out);
    return out;
  };
}

/**
 * Room kept past a cut so that a secret straddling it is still recognised whole: longer than any
 * token shape above and any configured secret we know of (PEM blocks run to the end anyway).
 */
export const REDACT_MARGIN = 1024;

/**
 * Text that will be shown cut to `max` characters, redacted: cut first (to `max` plus the margin),
 * then redacted, so a 40,000-character message costs what its shown part does. The caller still
 * cuts the result to `max` its own way (an ellipsis, a fence).
 */
export function redactHead(redactor: Redactor, text: string, max: number): string {
  return redactor(graphemeHead(text, max + REDACT_MARGIN));
}
