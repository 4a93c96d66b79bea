import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphemeCut, graphemeHead, truncateText } from '../../src/core/text.ts';

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** Every grapheme boundary of `text`, by segmenting all of it. */
function boundaries(text: string): Set<number> {
  const out = new Set([text.length]);
  for (const { index } of segmenter.segment(text)) out.add(index);
  return out;
}

const FIREFIGHTER = '👩🏽‍🚒'; // woman, skin tone, ZWJ, fire engine: 7 code units
const FAMILY = '👨‍👩‍👧‍👦'; // four people joined by three ZWJs: 11 code units
const RAINBOW = '🏳️‍🌈'; // white flag, variation selector, ZWJ, rainbow
const FLAGS = '🇩🇪🇫🇷🇯🇵'; // three flags, two regional indicators each
const THUMBS = '👍🏿';
const ACCENT = 'e\u0301'; // e and a combining acute accent

describe('truncateText', () => {
  it('leaves text that fits alone', () => {
    expect(truncateText('short', 5)).toBe('short');
    expect(truncateText('', 0)).toBe('');
  });

  it('cuts plain text with a marker, within the limit', () => {
    expect(truncateText('abcdefghij', 6)).toBe('abcde…');
    expect(truncateText('abcdefghij', 8, '… (cut)')).toBe('a… (cut)');
  });

  it.each([
    ['an emoji with a skin tone', `ab${THUMBS}cd`],
    ['a ZWJ sequence', `ab${FIREFIGHTER}cd`],
    ['a family', `ab${FAMILY}cd`],
    ['a rainbow flag', `ab${RAINBOW}cd`],
    ['flags', `ab${FLAGS}cd`],
    ['a combining accent', `ab${ACCENT}cd`],
  ])('never cuts %s in half, at any limit', (_what, text) => {
    const whole = boundaries(text);
    for (let max = 1; max <= text.length; max++) {
      const cut = truncateText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      const kept = cut.endsWith('…') && cut !== text ? cut.slice(0, -1) : cut;
      expect(text.startsWith(kept)).toBe(true);
      expect(whole.has(kept.length)).toBe(true);
    }
  });

  it('drops a whole emoji rather than half of it (the /incident timeline bug)', () => {
    const entry = `Drained gpu-node-5 ${FIREFIGHTER}`;
    // Room for the firefighter's first code units only: the emoji goes whole.
    const cut = truncateText(entry, entry.length - 2);
    expect(cut).toBe('Drained gpu-node-5 …');
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('keeps flags paired from the start of a long run of them', () => {
    const run = `x${'🇩🇪'.repeat(50)}`;
    for (const at of [2, 3, 4, 99, 100, 101, 150, 151]) {
      const cut = graphemeCut(run, at);
      expect((cut - 1) % 4).toBe(0);
      expect(cut).toBeLessThanOrEqual(at);
      expect(at - cut).toBeLessThan(4);
    }
  });

  it('cuts a 40,000-character message on a boundary far from its start', () => {
    const long = '🔥 gpu-node-5 Xid 79 '.repeat(2000);
    const whole = boundaries(long);
    for (const max of [3000, 3001, 3002, 39_999]) {
      const head = graphemeHead(long, max);
      expect(whole.has(head.length)).toBe(true);
      expect(max - head.length).toBeLessThan(2);
    }
  });

  it('cuts anywhere on a grapheme boundary, whatever the text (property)', () => {
    const piece = fc.constantFrom(
      'a',
      ' ',
      '\n',
      'é',
      ACCENT,
      THUMBS,
      FIREFIGHTER,
      FAMILY,
      RAINBOW,
      '🇩🇪',
      '😀',
      '中',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }).map((p) => p.join('')),
        fc.nat(200),
        (text, max) => {
          const head = graphemeHead(text, max);
          expect(head.length).toBeLessThanOrEqual(max);
          expect(text.startsWith(head)).toBe(true);
          expect(boundaries(text).has(head.length)).toBe(true);
          // As long as it can be: the next boundary would not fit.
          const next = Math.min(...[...boundaries(text)].filter((b) => b > head.length));
          if (head.length < text.length) expect(next).toBeGreaterThan(max);
        },
      ),
    );
  });
});
