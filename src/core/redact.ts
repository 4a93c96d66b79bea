/**
 * Blanks out secrets in text that leaves the bot: command output posted in chat, action results
 * stored on the timeline, and (later) prompts sent to an LLM. Patterns, not certainty: it errs on
 * the side of hiding a little too much.
 */
const RULES: readonly { pattern: RegExp; replace: string }[] = [
  // Private keys, whole blocks.
  {
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    replace: '[redacted private key]',
  },
  // Slack, GitHub, OpenAI-style and AWS tokens by their shape.
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: '[redacted]' },
  { pattern: /\bxapp-[A-Za-z0-9-]{10,}/g, replace: '[redacted]' },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}/g, replace: '[redacted]' },
  { pattern: /\bsk-[A-Za-z0-9_-]{20,}/g, replace: '[redacted]' },
  { pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, replace: '[redacted]' },
  // Credentials in URLs: scheme://user:password@host.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, replace: '$1[redacted]@' },
  // Bearer tokens in headers.
  { pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, replace: '$1 [redacted]' },
  // key=value and key: value for names that mean a secret.
  {
    pattern:
      /\b((?:[A-Za-z0-9_]*?)(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?))(\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi,
    replace: '$1$2[redacted]',
  },
];

export function redact(text: string): string {
  let out = text;
  for (const { pattern, replace } of RULES) out = out.replace(pattern, replace);
  return out;
}
