/**
 * Inputs built to make each redaction rule work hardest: its own literals, repeated. A rule that
 * rescans a run from every position in it (quadratic) takes seconds on 40,000 characters of these;
 * a linear one takes about a millisecond. Shared by test/core/redact.test.ts and bench/redact.ts.
 */
export const ADVERSARIAL: Readonly<Record<string, readonly string[]>> = {
  'private-key': [
    '-----BEGIN A',
    '-----BEGIN PRIVATE KEY-----',
    '-----BEGIN A ',
    'PRIVATE KEY',
    '-----END A',
  ],
  'slack-token': ['xoxb-', 'xoxb-a ', 'xox'],
  'slack-app-token': ['xapp-', 'xapp-a '],
  'github-token': ['ghp_', 'ghp_a '],
  'openai-key': ['sk-', 'sk-a '],
  'aws-key': ['AKIA', 'AKIAAAAAAAAAAAAAAAAA', 'ASIA1'],
  'google-key': ['AIza-', 'AIza'],
  jwt: ['eyJ-', 'eyJaaaaaaaaa.', 'eyJaaaaaaaaa.aaaaaaaa-'],
  'slack-webhook': ['https://hooks.slack.com/services/', 'https://hooks.slack.com/'],
  'url-password': ['a.', '://a:', 'a://', 'a-', 'https://a:', 'a://a:a'],
  bearer: ['Bearer ', 'Bearer a ', 'Basic\t'],
  'key-value': ['password="', "password='", 'password=', 'password ', 'tokentoken', 'api_key: "'],
  /** The README's example PII pattern, `[\w.+-]+@[\w-]+\.[\w.]+`. */
  email: ['a.', 'a@', 'a@a.', '.a'],
};

/** `fragment` repeated to exactly `length` characters. */
export function repeated(fragment: string, length = 40_000): string {
  return fragment.repeat(Math.ceil(length / fragment.length)).slice(0, length);
}
