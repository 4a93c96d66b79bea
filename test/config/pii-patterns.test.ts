import { describe, expect, it } from 'vitest';
import { ConfigError, parseFileConfig } from '../../src/config-file.ts';

/** The problems a file's ConfigError lists (or a failure when the file was accepted). */
function problems(yaml: string): readonly string[] {
  try {
    parseFileConfig(yaml, 'bot.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError, but the file was accepted');
}

describe('config file: postmortem.piiPatterns run on RE2', () => {
  it('takes the README example and /source/flags', () => {
    const file = parseFileConfig(
      'postmortem:\n  piiPatterns: ["[\\\\w.+-]+@[\\\\w-]+\\\\.[\\\\w.]+", "/customer-[a-z]+/i"]\n',
      'bot.yml',
    );
    expect(file.postmortem.piiPatterns).toEqual(['[\\w.+-]+@[\\w-]+\\.[\\w.]+', '/customer-[a-z]+/i']);
  });

  it('refuses at start-up a pattern RE2 cannot run, naming the line, the pattern and why', () => {
    const found = problems(
      [
        'postmortem:',
        '  piiPatterns:',
        '    - "[\\\\w.+-]+@[\\\\w-]+\\\\.[\\\\w.]+"',
        '    - "(\\\\w+) \\\\1"',
        '    - "(?<=id=)\\\\d+"',
        '    - "(unclosed"',
        '',
      ].join('\n'),
    );
    expect(found).toEqual([
      expect.stringMatching(
        /^bot\.yml:4: postmortem\.piiPatterns\.1: "\(\\\\w\+\) \\\\1" cannot be used: it uses a backreference \(\\1\), which the linear-time engine \(RE2\) cannot run/,
      ),
      expect.stringMatching(
        /^bot\.yml:5: postmortem\.piiPatterns\.2: .* cannot be used: it uses a lookbehind/,
      ),
      expect.stringMatching(
        /^bot\.yml:6: postmortem\.piiPatterns\.3: "\(unclosed" cannot be used: it is not a pattern RE2 can run/,
      ),
    ]);
  });
});
