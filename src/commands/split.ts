import { BotError } from '../core/index.ts';

/**
 * Splits command text into words the way a shell user expects, without a shell: "double" and
 * 'single' quotes group words, a backslash escapes the next character inside double quotes and
 * outside quotes. A single quote opens a quote only at the start of a word, so "can't" is a word. Slack and macOS turn straight quotes into curly ones, so “ ” and ‘ ’ count too.
 */
const OPEN_TO_CLOSE: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’', '”': '”' };

export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | null = null;
  let quoteStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== null) {
      if (ch === quote) {
        quote = null;
      } else if (ch === '\\' && quote === '"' && i + 1 < text.length) {
        current += text[++i];
      } else {
        current += ch;
      }
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      continue;
    }
    const close = OPEN_TO_CLOSE[ch];
    // An apostrophe inside a word ("can't", "node’s") is text, not a quote.
    const isApostrophe = (ch === "'" || ch === '‘') && inWord;
    inWord = true;
    if (close !== undefined && !isApostrophe) {
      quote = close;
      quoteStart = i;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
    } else {
      current += ch;
    }
  }
  if (quote !== null) {
    throw new BotError(
      'bot.command.unterminated_quote',
      `A quote opened at character ${quoteStart + 1} is never closed.`,
      {
        hint: `Close it with ${quote}, or drop the quote.`,
      },
    );
  }
  if (inWord) words.push(current);
  return words;
}
