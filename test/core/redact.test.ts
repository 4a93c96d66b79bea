import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact } from '../../src/core/redact.ts';

describe('redact', () => {
  it.each([
    ['SLACK_BOT_TOKEN=xoxb-1234-5678-abcdefghij', 'SLACK_BOT_TOKEN=[redacted]'],
    ['token xoxb-1234-5678-abcdefghij used', 'token [redacted] used'],
    ['export OPENAI_API_KEY="sk-abcdefghijklmnopqrstuvwx"', 'export OPENAI_API_KEY=[redacted]'],
    ['DATABASE_URL=postgres://bot:hunter2@db:5432/x', 'DATABASE_URL=postgres://bot:[redacted]@db:5432/x'],
    ['curl -H "Authorization: Bearer abcdef123456789"', 'curl -H "Authorization: Bearer [redacted]"'],
    ['password: s3cret!', 'password: [redacted]'],
    ['aws AKIAABCDEFGHIJKLMNOP key', 'aws [redacted] key'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----', '[redacted private key]'],
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
});
