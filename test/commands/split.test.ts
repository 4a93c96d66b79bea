import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitArgs } from '../../src/commands/split.ts';
import { BotError } from '../../src/core/index.ts';

function splitError(text: string): BotError {
  try {
    splitArgs(text);
  } catch (err) {
    expect(err).toBeInstanceOf(BotError);
    return err as BotError;
  }
  throw new Error(`expected splitArgs(${JSON.stringify(text)}) to throw`);
}

describe('splitArgs', () => {
  it('splits on any run of whitespace and ignores leading/trailing whitespace', () => {
    expect(splitArgs('GPU down   --severity\tsev2\n-d x')).toEqual([
      'GPU',
      'down',
      '--severity',
      'sev2',
      '-d',
      'x',
    ]);
    expect(splitArgs('  a  ')).toEqual(['a']);
  });

  it('returns no words for empty or blank text', () => {
    expect(splitArgs('')).toEqual([]);
    expect(splitArgs(' \t\n ')).toEqual([]);
  });

  it('groups words in "double" and \'single\' quotes', () => {
    expect(splitArgs('a "b c" d')).toEqual(['a', 'b c', 'd']);
    expect(splitArgs("a 'b c' d")).toEqual(['a', 'b c', 'd']);
    expect(splitArgs('-d "two  spaces"')).toEqual(['-d', 'two  spaces']);
  });

  it('groups words in Slack/macOS curly quotes “ ” and ‘ ’', () => {
    expect(splitArgs('a “b c” d')).toEqual(['a', 'b c', 'd']);
    expect(splitArgs('a ‘b c’ d')).toEqual(['a', 'b c', 'd']);
    // Some clients send a closing quote on both sides.
    expect(splitArgs('a ”b c” d')).toEqual(['a', 'b c', 'd']);
  });

  it('keeps the other kind of quote inside a quoted word', () => {
    expect(splitArgs(`"it's fine"`)).toEqual(["it's fine"]);
    expect(splitArgs(`'say "hi"'`)).toEqual(['say "hi"']);
    expect(splitArgs('“don’t”')).toEqual(['don’t']);
  });

  it('treats a typographic apostrophe ’ as a letter', () => {
    expect(splitArgs('it’s down')).toEqual(['it’s', 'down']);
  });

  it('joins quoted and unquoted parts of one word', () => {
    expect(splitArgs('a"b c"d')).toEqual(['ab cd']);
    expect(splitArgs('--description="GPU down"')).toEqual(['--description=GPU down']);
  });

  it('keeps empty quotes as an empty word', () => {
    expect(splitArgs('""')).toEqual(['']);
    expect(splitArgs("a '' b")).toEqual(['a', '', 'b']);
  });

  it('honours backslash escapes outside quotes', () => {
    expect(splitArgs('a\\ b c')).toEqual(['a b', 'c']);
    expect(splitArgs('\\"x')).toEqual(['"x']);
    expect(splitArgs("it\\'s")).toEqual(["it's"]);
    expect(splitArgs('\\\\')).toEqual(['\\']);
  });

  it('honours backslash escapes inside double quotes', () => {
    expect(splitArgs('"a\\"b"')).toEqual(['a"b']);
    expect(splitArgs('"a\\\\b"')).toEqual(['a\\b']);
  });

  it('keeps backslashes literally inside single quotes', () => {
    expect(splitArgs("'a\\b'")).toEqual(['a\\b']);
    expect(splitArgs("'C:\\path'")).toEqual(['C:\\path']);
  });

  it('keeps a trailing backslash', () => {
    expect(splitArgs('a\\')).toEqual(['a\\']);
    expect(splitArgs('\\')).toEqual(['\\']);
  });

  it('refuses an unterminated double quote with its position and the closing character', () => {
    const err = splitError('note "x y');
    expect(err.code).toBe('bot.command.unterminated_quote');
    expect(err.message).toBe('A quote opened at character 6 is never closed.');
    expect(err.hint).toBe('Close it with ", or drop the quote.');
  });

  it('reads an apostrophe inside a word as text, straight or curly', () => {
    expect(splitArgs("can't reach gpu-node-5's BMC")).toEqual(["can't", 'reach', "gpu-node-5's", 'BMC']);
    expect(splitArgs('node’s ‘down’')).toEqual(['node’s', 'down']);
  });

  it('refuses an unterminated single quote', () => {
    const err = splitError("note 'down");
    expect(err.code).toBe('bot.command.unterminated_quote');
    expect(err.message).toBe('A quote opened at character 6 is never closed.');
    expect(err.hint).toBe("Close it with ', or drop the quote.");
  });

  it('refuses unterminated curly quotes, naming the curly closer', () => {
    expect(splitError('“x').hint).toBe('Close it with ”, or drop the quote.');
    expect(splitError('‘x').hint).toBe('Close it with ’, or drop the quote.');
    expect(splitError('a “x"').message).toBe('A quote opened at character 3 is never closed.');
  });

  it('refuses a quote left open by an escaped closing quote', () => {
    expect(splitError('"abc\\"').code).toBe('bot.command.unterminated_quote');
  });

  describe('properties', () => {
    it('throws nothing but a BotError (unterminated_quote) on arbitrary text', () => {
      const quoteHeavy = fc
        .array(fc.constantFrom('"', "'", '“', '”', '‘', '’', '\\', ' ', '\t', 'a', 'b', '-', '='), {
          maxLength: 30,
        })
        .map((a) => a.join(''));
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), quoteHeavy), (text) => {
          try {
            const words = splitArgs(text);
            expect(Array.isArray(words)).toBe(true);
            for (const w of words) expect(typeof w).toBe('string');
          } catch (err) {
            if (!(err instanceof BotError)) throw err;
            expect(err.code).toBe('bot.command.unterminated_quote');
          }
        }),
        { numRuns: 1000 },
      );
    });

    const safeWord = fc.stringMatching(/^[A-Za-z0-9_.,:@#%+=/-]{1,12}$/);

    it('returns safe words joined by spaces unchanged', () => {
      fc.assert(
        fc.property(fc.array(safeWord, { maxLength: 10 }), (words) => {
          expect(splitArgs(words.join(' '))).toEqual(words);
        }),
        { numRuns: 1000 },
      );
    });

    it('returns any whitespace-free, quote-free words unchanged whatever whitespace separates them', () => {
      fc.assert(
        fc.property(
          fc.array(safeWord, { maxLength: 10 }),
          fc.constantFrom(' ', '  ', '\t', '\n', ' \t '),
          (words, sep) => {
            expect(splitArgs(words.join(sep))).toEqual(words);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('double-quoting a word without " or \\ gives it back as one word, spaces and all', () => {
      const inner = fc.string({ maxLength: 20 }).filter((s) => !s.includes('"') && !s.includes('\\'));
      fc.assert(
        fc.property(inner, (s) => {
          expect(splitArgs(`"${s}"`)).toEqual([s]);
        }),
        { numRuns: 1000 },
      );
    });
  });
});
