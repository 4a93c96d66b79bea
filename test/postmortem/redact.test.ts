import { describe, expect, it } from 'vitest';
import { compilePiiPatterns, createRedactor } from '../../src/postmortem/redact.ts';

describe('the prompt redactor', () => {
  const redact = createRedactor(compilePiiPatterns(['[\\w.+-]+@[\\w-]+\\.[\\w.]+', '/\\+\\d[\\d ]{8,}\\d/']));

  it.each([
    ['bot token xoxb-1234-5678-abcdefghij', 'bot token [redacted]'],
    ['app token xapp-1-A0123-4567-abcdef', 'app token [redacted]'],
    ['key sk-proj-abcdefghijklmnopqrstuvwxyz0123', 'key [redacted]'],
    ['gh ghp_abcdefghijklmnopqrstuvwxyz012345', 'gh [redacted]'],
    ['aws AKIAABCDEFGHIJKLMNOP', 'aws [redacted]'],
    ['curl -H "Authorization: Bearer abc.def-123456"', 'curl -H "Authorization: Bearer [redacted]"'],
    ['see https://ops:hunter2@logs.internal/x', 'see https://ops:[redacted]@logs.internal/x'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', '[redacted private key]'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'jwt [redacted]',
    ],
    ['hook https://hooks.slack.com/services/T000/B000/XXXXXXXX', 'hook https://hooks.slack.com/[redacted]'],
    ['mail carol.oncall@example.com now', 'mail [redacted] now'],
    ['call +49 170 1234567', 'call [redacted]'],
  ])('hides %j', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('leaves diagnostics and times alone', () => {
    const text = '#12 2026-11-22T03:02Z message Bob: Xid 79 on GPU 4 (PCI:0000:9a:00), 81°C, job qwen2-72b';
    expect(redact(text)).toBe(text);
  });

  it('refuses a PII pattern that does not compile or matches nothing at all', () => {
    expect(() => compilePiiPatterns(['(unclosed'])).toThrow(/PII pattern 1 is not a valid regex/);
    expect(() => compilePiiPatterns(['ok', 'a*'])).toThrow(/PII pattern 2 matches empty text/);
  });
});
