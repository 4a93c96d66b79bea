import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssue } from '../../src/core/index.ts';

const issue = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  if (r.success) throw new Error('expected a refusal');
  return r.error.issues[0]!;
};

describe('describeIssue: what a validator said, as a person would say it', () => {
  it("rewrites zod's own wording", () => {
    expect(describeIssue(issue(z.string().max(4000), 'x'.repeat(4001)), 'The text')).toBe(
      'The text is longer than 4,000 characters.',
    );
    expect(describeIssue(issue(z.string().min(1), ''), 'The user')).toBe('The user is empty.');
    expect(describeIssue(issue(z.number().int(), 2.5), 'limit')).toBe('limit must be a whole number.');
    expect(describeIssue(issue(z.number().max(1000), 1001), 'limit')).toBe('limit must be at most 1,000.');
    expect(describeIssue(issue(z.enum(['a', 'b']), 'c'), 'status')).toBe('status must be one of "a", "b".');
    expect(describeIssue(issue(z.object({}).strict(), { x: 1 }))).toBe('x is not known here.');
  });

  it('keeps what a schema wrote itself, and never the validator’s phrasing', () => {
    expect(
      describeIssue(issue(z.number().max(500, 'must be a whole number from 1 to 500'), 501), 'last'),
    ).toBe('last: must be a whole number from 1 to 500');
    for (const [schema, value] of [
      [z.string().max(3), 'abcd'],
      [z.string().min(2), 'a'],
      [z.number(), 'x'],
      [z.array(z.string()).max(1), ['a', 'b']],
      [z.email(), 'nope'],
      [z.literal('x'), 'y'],
    ] as const) {
      const text = describeIssue(issue(schema as z.ZodType, value), 'it');
      expect(text).not.toMatch(/Too big|Too small|Invalid|expected|<=|>=/);
    }
  });
});
