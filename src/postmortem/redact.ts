import { BotError, redact } from '../core/index.ts';

export type Redactor = (text: string) => string;

/**
 * Secrets beyond core's list that turn up in incident channels: the prompt leaves the machine, so
 * it errs further on the side of hiding. Core's rules (Slack/GitHub/OpenAI/AWS tokens, bearer
 * tokens, user:password@ in URLs, PEM private keys, key=value secrets) run first.
 */
const EXTRA_RULES: readonly { pattern: RegExp; replace: string }[] = [
  // JSON Web Tokens (three base64url parts, the first one a JSON header).
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: '[redacted]' },
  // Google API keys.
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: '[redacted]' },
  // Slack refresh/config tokens and webhook URLs (the path is the secret).
  { pattern: /\bxox[ecdt]-[A-Za-z0-9-]{10,}/g, replace: '[redacted]' },
  {
    pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/g,
    replace: 'https://hooks.slack.com/[redacted]',
  },
];

/**
 * Compiles configured PII patterns (e.g. an email regex). A pattern is a regex source, or
 * `/source/flags`; matching is always global. A pattern that does not compile, or that matches
 * the empty string (it would redact everything and nothing), is a configuration error.
 */
export function compilePiiPatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((source, i) => {
    const literal = /^\/(.+)\/([a-z]*)$/s.exec(source);
    const body = literal ? literal[1]! : source;
    const flags = literal ? literal[2]! : '';
    let re: RegExp;
    try {
      re = new RegExp(body, flags.includes('g') ? flags : `${flags}g`);
    } catch (err) {
      throw new BotError(
        'bot.postmortem.pii_pattern',
        `PII pattern ${i + 1} is not a valid regex: ${source}`,
        {
          hint: 'Write it as a JavaScript regex source, e.g. [\\w.+-]+@[\\w-]+\\.[\\w.]+ for emails.',
          cause: err,
        },
      );
    }
    if (new RegExp(re.source, re.flags.replace('g', '')).test('')) {
      throw new BotError('bot.postmortem.pii_pattern', `PII pattern ${i + 1} matches empty text: ${source}`);
    }
    return re;
  });
}

/** Core's secret rules, the extra ones above, then the configured PII patterns. */
export function createRedactor(piiPatterns: readonly RegExp[] = []): Redactor {
  return (text) => {
    let out = redact(text);
    for (const { pattern, replace } of EXTRA_RULES) out = out.replace(pattern, replace);
    for (const re of piiPatterns) out = out.replace(re, '[redacted]');
    return out;
  };
}
