/**
 * A validator's complaint about one value, in words a person reads: "the text is longer than 4,000
 * characters (it has 4,312)", not "Too big: expected string to have <=4000 characters". Messages
 * a schema wrote itself (`.max(500, 'must be a whole number from 1 to 500')`) are kept as written.
 * Takes zod's issue shape without importing zod: core has no dependencies.
 */
export interface ValidationIssue {
  readonly code: string;
  readonly message: string;
  readonly path: readonly PropertyKey[];
  readonly origin?: string;
  readonly maximum?: number | bigint;
  readonly minimum?: number | bigint;
  readonly expected?: string;
  readonly values?: readonly unknown[];
  readonly keys?: readonly string[];
  readonly format?: string;
  readonly input?: unknown;
}

/** zod's own wording; anything else was written by the schema's author and is kept. */
const DEFAULT_MESSAGE =
  /^(Too big|Too small|Invalid input|Invalid option|Invalid string|Invalid \w+|Unrecognized key)/;

const n = (v: number | bigint) => Number(v).toLocaleString('en-US');

export function describeIssue(issue: ValidationIssue, label?: string): string {
  const what = label ?? (issue.path.length ? issue.path.map(String).join('.') : 'the value');
  if (!DEFAULT_MESSAGE.test(issue.message)) return `${what}: ${issue.message}`;
  const length =
    typeof issue.input === 'string' || Array.isArray(issue.input) ? issue.input.length : undefined;
  switch (issue.code) {
    case 'too_big':
      if (issue.origin === 'string')
        return `${what} is longer than ${n(issue.maximum ?? 0)} characters${length !== undefined ? ` (it has ${n(length)})` : ''}.`;
      if (issue.origin === 'array') return `${what} has more than ${n(issue.maximum ?? 0)} entries.`;
      return `${what} must be at most ${n(issue.maximum ?? 0)}.`;
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum ?? 1) <= 1
          ? `${what} is empty.`
          : `${what} is shorter than ${n(issue.minimum ?? 0)} characters.`;
      if (issue.origin === 'array') return `${what} needs at least ${n(issue.minimum ?? 1)} entries.`;
      return `${what} must be at least ${n(issue.minimum ?? 0)}.`;
    case 'invalid_type':
      return `${what} must be ${TYPE_WORDS[issue.expected ?? ''] ?? article(issue.expected ?? 'value')}.`;
    case 'invalid_value':
      return `${what} must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'invalid_format':
      return `${what} is not a valid ${issue.format ?? 'value'}.`;
    case 'unrecognized_keys':
      return `${(issue.keys ?? []).join(', ')} ${issue.keys?.length === 1 ? 'is' : 'are'} not known here.`;
    default:
      return `${what} is not valid.`;
  }
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  int: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
