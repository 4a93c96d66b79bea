/**
 * A POSIX `sh` word splitter, enough to read back what the adapter sends: single quotes, double
 * quotes, backslashes. Anything the shell would act on outside quotes (operators, expansions,
 * globs, comments) is reported in `unquoted`, which is how tests prove that input never reaches
 * a shell as syntax.
 */
export interface ShellWords {
  readonly words: string[];
  /** Characters a shell would interpret, seen outside quotes (and `$`/backtick inside double quotes). */
  readonly unquoted: string[];
}

const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')', '\n']);
const EXPANSIONS = new Set(['$', '`']);
const GLOBS = new Set(['*', '?', '[', ']', '{', '}']);

export function splitWords(line: string): ShellWords {
  const words: string[] = [];
  const unquoted: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) {
        unquoted.push('unterminated quote');
        word += line.slice(i + 1);
        inWord = true;
        break;
      }
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        const d = line[j] ?? '';
        if (d === '\\' && '$`"\\\n'.includes(line[j + 1] ?? '')) {
          word += line[j + 1];
          j++;
        } else {
          if (EXPANSIONS.has(d)) unquoted.push(d);
          word += d;
        }
      }
      if (j >= line.length) unquoted.push('unterminated quote');
      inWord = true;
      i = j;
    } else if (c === '\\') {
      word += line[i + 1] ?? '';
      inWord = true;
      i++;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      if (OPERATORS.has(c) || EXPANSIONS.has(c) || GLOBS.has(c)) unquoted.push(c);
      if (!inWord && (c === '#' || c === '~')) unquoted.push(c);
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { words, unquoted };
}
