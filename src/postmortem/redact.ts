import { createRequire } from 'node:module';
import type * as Re2 from 're2js';
import { BotError, REDACTED, type Redactor } from '../core/index.ts';

export type { Redactor } from '../core/index.ts';

/**
 * The post-mortem's PII patterns (`postmortem.piiPatterns`, e.g. an e-mail regex) come from the
 * user, so they run on RE2 (the re2js port), whose matching time is linear in the text whatever
 * the pattern: with JavaScript's backtracking engine the README's own example,
 * `[\w.+-]+@[\w-]+\.[\w.]+`, took seconds on one pasted 40,000-character message. RE2 has no
 * backreferences and no lookaround (they need backtracking); a pattern with them is refused at
 * start-up, named, with the reason.
 *
 * Loaded on first use (a synchronous require: the YAML file is checked synchronously): most
 * installs configure no pattern and never pay its memory.
 */
let engine: typeof Re2 | undefined;
function re2(): typeof Re2 {
  engine ??= createRequire(import.meta.url)('re2js') as typeof Re2;
  return engine;
}

/** JavaScript flags RE2 has too; `g` is implied (every match is redacted), `u` is RE2's default. */
const FLAGS = { i: 'CASE_INSENSITIVE', m: 'MULTILINE', s: 'DOTALL', g: null, u: null } as const;

/** `source` or `/source/flags`, as the YAML file may write a pattern. */
function split(pattern: string): { body: string; flags: string } {
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(pattern);
  return literal ? { body: literal[1]!, flags: literal[2]! } : { body: pattern, flags: '' };
}

/** Backreferences and lookaround, outside character classes: RE2's error for them is cryptic. */
function unsupported(body: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      const next = body[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `a backreference (\\${next})`;
      if (!inClass && next === 'k' && body[i + 2] === '<') return 'a named backreference (\\k<…>)';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && body[i + 1] === '?') {
      const head = body.slice(i + 2, i + 4);
      if (head.startsWith('=') || head.startsWith('!')) return `a lookahead (${body.slice(i, i + 3)}…)`;
      if (head === '<=' || head === '<!') return `a lookbehind (${body.slice(i, i + 4)}…)`;
    }
  }
  return undefined;
}

function compile(pattern: string): { re?: Re2.RE2JS; problem?: string } {
  const { body, flags } = split(pattern);
  let mask = 0;
  const lib = re2();
  for (const f of flags) {
    if (!(f in FLAGS)) return { problem: `the flag "${f}" is not supported (use i, m, s)` };
    const name = FLAGS[f as keyof typeof FLAGS];
    if (name) mask |= lib.RE2JS[name];
  }
  const feature = unsupported(body);
  if (feature) {
    return {
      problem: `it uses ${feature}, which the linear-time engine (RE2) cannot run; PII patterns must not be able to stall the bot, so rewrite it without one`,
    };
  }
  let re: Re2.RE2JS;
  try {
    re = lib.RE2JS.compile(body, mask);
  } catch (err) {
    return {
      problem: `it is not a pattern RE2 can run (${(err as Error).message.replace(/^error parsing regexp: /, '')})`,
    };
  }
  if (re.matcher('').find())
    return { problem: 'it matches empty text (it would redact nothing and everything)' };
  return { re };
}

/** Why a configured PII pattern cannot be used, or undefined when it can (config-file.ts). */
export function piiPatternProblem(pattern: string): string | undefined {
  return compile(pattern).problem;
}

/** The configured PII patterns as redactors; a pattern that cannot be used is a BotError naming it. */
export function compilePiiPatterns(patterns: readonly string[]): Redactor[] {
  return patterns.map((pattern, i) => {
    const { re, problem } = compile(pattern);
    if (!re) {
      throw new BotError(
        'bot.postmortem.pii_pattern',
        `PII pattern ${i + 1} (${pattern}) cannot be used: ${problem}.`,
        {
          hint: 'Write it in RE2 syntax (JavaScript regex without backreferences or lookaround), e.g. [\\w.+-]+@[\\w-]+\\.[\\w.]+ for e-mail addresses.',
        },
      );
    }
    return (text: string) => re.matcher(text).replaceAll(REDACTED);
  });
}
