import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, REDACT_RULES, redact, redactHead } from '../../src/core/redact.ts';
import { ADVERSARIAL, repeated } from './redact-adversarial.ts';

describe('redact', () => {
  it.each([
    ['SLACK_BOT_TOKEN=xoxb-1234-5678-abcdefghij', 'SLACK_BOT_TOKEN=[redacted]'],
    ['token xoxb-1234-5678-abcdefghij used', 'token [redacted] used'],
    ['export OPENAI_API_KEY="sk-abcdefghijklmnopqrstuvwx"', 'export OPENAI_API_KEY=[redacted]'],
    ['DATABASE_URL=postgres://bot:hunter2@db:5432/x', 'DATABASE_URL=postgres://bot:[redacted]@db:5432/x'],
    ['see https://ops:hunter2@logs.internal/x', 'see https://ops:[redacted]@logs.internal/x'],
    ['curl -H "Authorization: Bearer abcdef123456789"', 'curl -H "Authorization: Bearer [redacted]"'],
    ['password: s3cret!', 'password: [redacted]'],
    ['db_password:\n  s3cret!', 'db_password:\n  [redacted]'],
    ['aws AKIAABCDEFGHIJKLMNOP key', 'aws [redacted] key'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----', '[redacted private key]'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'jwt [redacted]',
    ],
    ['google AIzaSyA-1234567890abcdefghijklmnopqrstu ok', 'google [redacted] ok'],
    ['hook https://hooks.slack.com/services/T000/B000/XXXXXXXX', 'hook https://hooks.slack.com/[redacted]'],
  ])('hides %j', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('leaves ordinary diagnostics alone', () => {
    const text = 'NVRM: Xid (PCI:0000:9a:00): 79, pid=48211, GPU has fallen off the bus.\nMem: 2.0Ti 1.9Ti';
    expect(redact(text)).toBe(text);
  });

  it('never throws and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const once = redact(s);
        expect(redact(once)).toBe(once);
      }),
    );
  });

  it('has adversarial inputs for every rule', () => {
    for (const rule of REDACT_RULES) expect(ADVERSARIAL[rule.name], rule.name).toBeDefined();
  });

  // Each rule alone, on 100,000 characters of its own literals repeated: the quadratic rules this
  // replaced took 5 s and more on these; a linear one takes milliseconds. The bound is generous so
  // a busy machine never fails it, and still far below what a quadratic rule needs.
  describe.each(REDACT_RULES.map((r) => [r.name, r] as const))(
    'rule %s on adversarial input',
    (name, rule) => {
      it.each(ADVERSARIAL[name]!.map((f) => [f]))('%j repeated: linear time', (fragment) => {
        const text = repeated(fragment, 100_000);
        const start = performance.now();
        text.replace(rule.pattern, rule.replace);
        expect(performance.now() - start).toBeLessThan(300);
      });
    },
  );
});

describe('createRedactor', () => {
  it('blanks the configured secrets whatever their shape, longest first', () => {
    const r = createRedactor({ secrets: ['local-llm-key-0123', 'local-llm-key-0123-long', 'hunter2-db'] });
    expect(r('401: Incorrect API key provided: local-llm-key-0123-long.')).toBe(
      '401: Incorrect API key provided: [redacted].',
    );
    expect(r('key local-llm-key-0123 and hunter2-db')).toBe('key [redacted] and [redacted]');
  });

  it('skips secrets too short to blank without wrecking the text, and then applies extra rules', () => {
    const r = createRedactor({ secrets: ['abc', ''], extra: [(t) => t.replace('carol', '[pii]')] });
    expect(r('abc carol xoxb-1234-5678-abcdefghij')).toBe('abc [pii] [redacted]');
  });

  it('redactHead redacts what will be shown and a margin, not the whole text', () => {
    const secret = 'custom-secret-value-0123456789';
    const r = createRedactor({ secrets: [secret] });
    // A secret straddling the shown part's end is still recognised whole.
    const text = `${'x'.repeat(90)}${secret}${'y'.repeat(100_000)}`;
    const head = redactHead(r, text, 100);
    expect(head.startsWith(`${'x'.repeat(90)}[redacted]`)).toBe(true);
    expect(head.length).toBeLessThan(2000);
  });
});
