import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRunbooks, RunbookError } from '../../src/runbooks/loader.ts';
import { RUNBOOK_DIR, validRunbook } from './helpers.ts';

/** Runs the loader; anything thrown other than a RunbookError fails the property. */
function loadsOrRunbookError(text: string): void {
  try {
    parseRunbooks([{ file: 'runbooks/fuzz.yml', text }]);
  } catch (err) {
    if (!(err instanceof RunbookError)) throw err;
    expect(err.problems.length).toBeGreaterThan(0);
    for (const p of err.problems) {
      expect(p.startsWith('runbooks/fuzz.yml')).toBe(true);
      // The loader's last-resort catch: reaching it means a bug in the loader, not in the file.
      expect(p).not.toContain('cannot check');
    }
  }
}

const shipped = readFileSync(join(RUNBOOK_DIR, 'gpu-xid.yml'), 'utf8');
const yamlish = fc.constantFrom(
  ':',
  '- ',
  '  ',
  '\n',
  '{',
  '}',
  '[',
  ']',
  '&a ',
  '*a',
  '!!map ',
  '? ',
  '|',
  '>',
  '#',
  '"',
  "'",
  '---\n',
  'hints:',
  'when:',
  'xid: [79]',
  'recommend: drain',
  'target: node',
  '<<: *a',
  'name: x',
  '\t',
  '%YAML 1.2\n',
);

describe('the loader on arbitrary YAML', () => {
  it('never throws anything but a RunbookError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.array(yamlish, { maxLength: 40 }).map((parts) => parts.join('')),
          fc.jsonValue().map((v) => stringify(v)),
          // A valid runbook with something spliced in, or cut short.
          fc
            .tuple(fc.constantFrom(validRunbook(), shipped), fc.nat(), fc.array(yamlish, { maxLength: 5 }))
            .map(([base, at, parts]) => {
              const i = at % (base.length + 1);
              return base.slice(0, i) + parts.join('') + base.slice(i);
            }),
          fc
            .tuple(fc.constantFrom(validRunbook(), shipped), fc.nat())
            .map(([base, at]) => base.slice(0, at % base.length)),
        ),
        loadsOrRunbookError,
      ),
      { numRuns: 1000 },
    );
  });

  it('survives alias bombs and odd documents', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    for (const text of [
      bomb,
      '*undefined',
      '---\na: 1\n---\nb: 2\n',
      '? [a, b]\n: c\n',
      '__proto__: {name: x}\n',
      'name: !!binary aGVsbG8=\n',
      '!!set {a, b}\n',
      'x: 1e999\n',
    ]) {
      loadsOrRunbookError(text);
      expect(() => parseRunbooks([{ file: 'runbooks/fuzz.yml', text }])).toThrow(RunbookError);
    }
  });
});
