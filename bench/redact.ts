/**
 * Redaction on adversarial input, printed, never asserted: for each rule, the time to run it over
 * 8 messages of 40,000 characters (Slack's longest) built from its own literals repeated
 * (test/core/redact-adversarial.ts), before (the rules as they were, kept below for these figures
 * only) and after (src/core/redact.ts; the README's example PII pattern on JavaScript's engine vs
 * RE2). Per rule the worst of its fragments. `npx tsx bench/redact.ts` (`LENGTH=`, `MESSAGES=`).
 */
import { REDACT_RULES } from '../src/core/redact.ts';
import { compilePiiPatterns } from '../src/postmortem/redact.ts';
import { ADVERSARIAL, repeated } from '../test/core/redact-adversarial.ts';

const LENGTH = Number(process.env.LENGTH ?? 40_000);
const MESSAGES = Number(process.env.MESSAGES ?? 8);
const EMAIL = '[\\w.+-]+@[\\w-]+\\.[\\w.]+';

/** The rules before the fix, by the name of the rule that replaced them. */
const BEFORE: Readonly<Record<string, RegExp>> = {
  'private-key': /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  'slack-token': /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  'slack-app-token': /\bxapp-[A-Za-z0-9-]{10,}/g,
  'github-token': /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  'openai-key': /\bsk-[A-Za-z0-9_-]{20,}/g,
  'aws-key': /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  'google-key': /\bAIza[0-9A-Za-z_-]{35}\b/g,
  jwt: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  'slack-webhook': /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/g,
  'url-password': /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi,
  bearer: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g,
  'key-value':
    /\b((?:[A-Za-z0-9_]*?)(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?))(\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi,
  email: new RegExp(EMAIL, 'g'),
};

/** Milliseconds for `run` over MESSAGES messages of each fragment; the worst fragment. */
function worst(name: string, run: (text: string) => string): { ms: number; fragment: string } {
  let out = { ms: 0, fragment: '' };
  for (const fragment of ADVERSARIAL[name] ?? []) {
    const text = repeated(fragment, LENGTH);
    run(text.slice(0, 100)); // warm up the regex
    const start = performance.now();
    for (let i = 0; i < MESSAGES; i++) run(text);
    const ms = performance.now() - start;
    if (ms >= out.ms) out = { ms, fragment };
  }
  return out;
}

const fmt = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en-US')} ms`;

console.log(
  `${MESSAGES} × ${LENGTH.toLocaleString('en-US')} adversarial characters per rule (worst fragment)\n`,
);
console.log(`${'rule'.padEnd(16)} ${'before'.padStart(10)} ${'after'.padStart(10)}  fragment (before)`);
const [email] = compilePiiPatterns([EMAIL]);
const after: Record<string, (t: string) => string> = Object.fromEntries(
  REDACT_RULES.map((r) => [r.name, (t: string) => t.replace(r.pattern, r.replace)]),
);
after.email = email!;
let totalBefore = 0;
let totalAfter = 0;
for (const name of Object.keys(BEFORE)) {
  const old = BEFORE[name]!;
  const b = worst(name, (t) => t.replace(old, '[redacted]'));
  const a = worst(name, after[name]!);
  totalBefore += b.ms;
  totalAfter += a.ms;
  console.log(
    `${name.padEnd(16)} ${fmt(b.ms).padStart(10)} ${fmt(a.ms).padStart(10)}  ${JSON.stringify(b.fragment)}`,
  );
}
console.log(`${'sum'.padEnd(16)} ${fmt(totalBefore).padStart(10)} ${fmt(totalAfter).padStart(10)}`);
