import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  channelName,
  channelNameCandidates,
  isValidChannelName,
  MAX_CHANNEL_NAME,
  slugify,
} from '../../src/core/channel-name.ts';

const VALID = /^[a-z0-9_-]+$/;

describe('MAX_CHANNEL_NAME', () => {
  it('is Slack’s limit of 80', () => {
    expect(MAX_CHANNEL_NAME).toBe(80);
  });
});

describe('slugify', () => {
  it.each([
    ['GPU nodes failing', 'gpu-nodes-failing'],
    ['  Leading and trailing  ', 'leading-and-trailing'],
    ['UPPER lower MiXeD', 'upper-lower-mixed'],
    ['Café crème brûlée', 'cafe-creme-brulee'],
    ['Ångström Über naïve', 'angstrom-uber-naive'],
    ['São Paulo, Zürich & Łódź?', 'sao-paulo-zurich-odz'],
    ['🔥 GPU down 🔥', 'gpu-down'],
    ['disk 95% full!!! (node-7)', 'disk-95-full-node-7'],
    ['a---b___c', 'a-b___c'],
    ['snake_case_title', 'snake_case_title'],
    ['_under_', 'under'],
    ['-dash-', 'dash'],
    ['ＧＰＵ fullwidth', 'gpu-fullwidth'],
    ['ﬁle ligature', 'file-ligature'],
    ['node①', 'node1'],
    ['x/y\\z.w:v', 'x-y-z-w-v'],
    ['tab\tnew\nline', 'tab-new-line'],
    ['日本語 outage', 'outage'],
    ['', ''],
    ['🔥🔥🔥', ''],
    ['!!!', ''],
    ['___', ''],
  ])('%j → %j', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });
});

describe('channelName', () => {
  it('is inc-<n>-<slug>', () => {
    expect(channelName(42, 'GPU nodes failing')).toBe('inc-42-gpu-nodes-failing');
  });

  it('folds accents and drops emoji and punctuation', () => {
    expect(channelName(7, '🔥 Café: GPUs über-heated! 🔥')).toBe('inc-7-cafe-gpus-uber-heated');
  });

  it.each(['', '   ', '🔥', '🔥🚨💥', '!!!', '---', '___', '日本語'])('%j gives just inc-<n>', (title) => {
    expect(channelName(12, title)).toBe('inc-12');
  });

  it('adds -<attempt> for attempts after the first', () => {
    expect(channelName(42, 'GPU down', 1)).toBe('inc-42-gpu-down');
    expect(channelName(42, 'GPU down', 2)).toBe('inc-42-gpu-down-2');
    expect(channelName(42, 'GPU down', 3)).toBe('inc-42-gpu-down-3');
    expect(channelName(42, 'GPU down', 17)).toBe('inc-42-gpu-down-17');
  });

  it('an empty title with attempts gives inc-<n>-<attempt>', () => {
    expect(channelName(42, '🔥', 2)).toBe('inc-42-2');
  });

  it('attempt 0 or 1 means no suffix', () => {
    expect(channelName(1, 'x', 0)).toBe('inc-1-x');
    expect(channelName(1, 'x', 1)).toBe('inc-1-x');
  });

  it('keeps a slug that fits exactly 80 characters', () => {
    // inc-1- is 6 characters, leaving 74 for the slug.
    const title = 'a'.repeat(74);
    const name = channelName(1, title);
    expect(name).toBe(`inc-1-${'a'.repeat(74)}`);
    expect(name).toHaveLength(80);
  });

  it('cuts a long slug at a word boundary', () => {
    const words = Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');
    const name = channelName(1, words);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toBe('inc-1-word0-word1-word2-word3-word4-word5-word6-word7-word8-word9-word10-word11');
  });

  it('hard-cuts a long slug without a usable boundary', () => {
    const name = channelName(1, 'x'.repeat(200));
    expect(name).toBe(`inc-1-${'x'.repeat(74)}`);
  });

  it('hard-cuts when the only boundary is in the first half', () => {
    const name = channelName(1, `ab ${'y'.repeat(200)}`);
    expect(name).toBe(`inc-1-ab-${'y'.repeat(71)}`);
    expect(name).toHaveLength(80);
  });

  it('never ends a truncated slug with - or _', () => {
    const name = channelName(1, `${'z'.repeat(73)}__tail`);
    expect(name).toBe(`inc-1-${'z'.repeat(73)}`);
  });

  it('keeps the collision suffix inside 80 characters', () => {
    const title = 'q'.repeat(300);
    expect(channelName(1, title, 2)).toBe(`inc-1-${'q'.repeat(72)}-2`);
    expect(channelName(1, title, 2)).toHaveLength(80);
    expect(channelName(1, title, 3)).toBe(`inc-1-${'q'.repeat(72)}-3`);
    expect(channelName(1, title, 20)).toBe(`inc-1-${'q'.repeat(71)}-20`);
    expect(channelName(1, title, 20)).toHaveLength(80);
  });

  it('handles a 10-digit incident number with a long title', () => {
    const name = channelName(1_000_000_000, 'w'.repeat(100), 20);
    expect(name).toBe(`inc-1000000000-${'w'.repeat(62)}-20`);
    expect(name).toHaveLength(80);
  });
});

describe('channelNameCandidates', () => {
  it('yields the plain name, then -2, -3, … up to 20 by default', () => {
    const all = [...channelNameCandidates(42, 'GPU down')];
    expect(all).toHaveLength(20);
    expect(all.slice(0, 3)).toEqual(['inc-42-gpu-down', 'inc-42-gpu-down-2', 'inc-42-gpu-down-3']);
    expect(all[19]).toBe('inc-42-gpu-down-20');
  });

  it('honours maxAttempts', () => {
    expect([...channelNameCandidates(1, 'x', 3)]).toEqual(['inc-1-x', 'inc-1-x-2', 'inc-1-x-3']);
    expect([...channelNameCandidates(1, 'x', 0)]).toEqual([]);
  });

  it('for an empty title yields inc-<n>, inc-<n>-2, …', () => {
    expect([...channelNameCandidates(5, '🔥', 3)]).toEqual(['inc-5', 'inc-5-2', 'inc-5-3']);
  });

  it('long titles: every candidate is valid and within 80 characters', () => {
    const all = [...channelNameCandidates(123456, 'long '.repeat(40))];
    for (const name of all) {
      expect(isValidChannelName(name)).toBe(true);
      expect(name.startsWith('inc-123456-')).toBe(true);
    }
    expect(new Set(all).size).toBe(all.length);
  });

  // Regression: when truncation at a word boundary leaves a slug that ends in
  // "-2", the first candidate equals the second one (which cuts that "-2" away and re-adds it as the
  // attempt suffix). For title 'a'×70 + ' 2 ' + 'b'×10, both candidates are
  // 'inc-1-' + 'a'×70 + '-2', so the second attempt retries a name already known to be taken.
  it('candidates are unique even when a truncated slug ends in a number', () => {
    const title = `${'a'.repeat(70)} 2 ${'b'.repeat(10)}`;
    const [first, second] = [...channelNameCandidates(1, title, 2)];
    expect(first).toBe(`inc-1-${'a'.repeat(70)}-2`);
    expect(second).not.toBe(first);
  });
});

describe('isValidChannelName', () => {
  it.each([
    ['inc-1', true],
    ['inc-42-gpu_down', true],
    ['a'.repeat(80), true],
    ['a'.repeat(81), false],
    ['', false],
    ['Inc-1', false],
    ['inc 1', false],
    ['inc-1-café', false],
    ['inc.1', false],
    ['inc-1-🔥', false],
  ])('%j valid: %s', (name, valid) => {
    expect(isValidChannelName(name)).toBe(valid);
  });
});

describe('channel names (properties)', () => {
  const number = fc.nat({ max: 1_000_000_000 });
  const unicodeTitle = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  );
  const title = fc.oneof(
    unicodeTitle,
    fc
      .array(
        fc.oneof(fc.stringMatching(/^[a-zA-Zéü0-9]{1,12}$/), fc.constantFrom('🔥', '!', '_', '-', '2')),
        {
          maxLength: 40,
        },
      )
      .map((ws) => ws.join(' ')),
  );
  const attempt = fc.integer({ min: 1, max: 50 });

  it('every name is valid and starts with inc-<n>', () => {
    fc.assert(
      fc.property(number, title, attempt, (n, t, a) => {
        const name = channelName(n, t, a);
        expect(isValidChannelName(name)).toBe(true);
        expect(name.length).toBeLessThanOrEqual(MAX_CHANNEL_NAME);
        expect(VALID.test(name)).toBe(true);
        expect(name === `inc-${n}` || name.startsWith(`inc-${n}-`)).toBe(true);
        if (a > 1) expect(name.endsWith(`-${a}`)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('the slug is a lowercase [a-z0-9_-] string without leading, trailing or doubled dashes', () => {
    fc.assert(
      fc.property(title, (t) => {
        const slug = slugify(t);
        expect(slug === '' || VALID.test(slug)).toBe(true);
        expect(slug).not.toMatch(/^[-_]|[-_]$|--/);
        expect(slugify(slug)).toBe(slug);
      }),
      { numRuns: 1000 },
    );
  });

  it('a title that fits is kept whole', () => {
    fc.assert(
      fc.property(number, fc.stringMatching(/^[a-z0-9]{1,20}( [a-z0-9]{1,20}){0,2}$/), (n, t) => {
        expect(channelName(n, t)).toBe(`inc-${n}-${t.replaceAll(' ', '-')}`);
      }),
    );
  });

  // Random unicode practically never truncates into the `-<digit>` shape of the bug below (0 in
  // 100 000 samples), so this stays deterministic; the targeted property after it covers that shape.
  it('candidates for arbitrary unicode titles are unique and valid', () => {
    fc.assert(
      fc.property(number, unicodeTitle, (n, t) => {
        const all = [...channelNameCandidates(n, t)];
        expect(all).toHaveLength(20);
        for (const name of all) expect(isValidChannelName(name)).toBe(true);
        expect(new Set(all).size).toBe(all.length);
      }),
      { numRuns: 300 },
    );
  });

  // Titles built to truncate near the 80-character boundary with numeric words: this is where the
  // collision bug documented above lives, so this property fails while it is present.
  it('candidates for long titles with numeric words are unique', () => {
    const word = fc.oneof(fc.stringMatching(/^[a-z]{1,8}$/), fc.integer({ min: 1, max: 20 }).map(String));
    const longTitle = fc.array(word, { minLength: 10, maxLength: 40 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000_000 }), longTitle, (n, t) => {
        const all = [...channelNameCandidates(n, t)];
        expect(new Set(all).size).toBe(all.length);
      }),
      {
        numRuns: 2000,
        examples: [[1, `${'a'.repeat(70)} 2 ${'b'.repeat(10)}`]],
      },
    );
  });
});
