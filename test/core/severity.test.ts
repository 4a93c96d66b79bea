import { describe, expect, it } from 'vitest';
import type { Severity } from '../../src/core/severity.ts';
import { isMoreSevere, parseSeverity, responseTargetLabel, SEVERITIES } from '../../src/core/severity.ts';
import { catchBotError } from './fixtures.ts';

describe('responseTargetLabel', () => {
  it.each([
    ['SEV1', 'immediate'],
    ['SEV2', '< 15 min'],
    ['SEV3', '< 1 h'],
    ['SEV4', '< 4 h'],
  ] as const)('%s → %s', (sev, label) => {
    expect(responseTargetLabel(sev)).toBe(label);
  });
});

describe('parseSeverity', () => {
  const accepted: [string, Severity][] = [];
  for (const n of [1, 2, 3, 4]) {
    const sev = `SEV${n}` as Severity;
    for (const form of [`SEV${n}`, `sev${n}`, `Sev${n}`, `${n}`, `P${n}`, `p${n}`, `S${n}`, `s${n}`]) {
      accepted.push([form, sev]);
    }
  }
  it.each(accepted)('accepts %j as %s', (input, sev) => {
    expect(parseSeverity(input)).toBe(sev);
  });

  it.each([
    [' SEV2 ', 'SEV2'],
    ['sev 2', 'SEV2'],
    ['SEV-2', 'SEV2'],
    ['\tp3\n', 'SEV3'],
  ] as const)('tolerates spacing and a dash: %j → %s', (input, sev) => {
    expect(parseSeverity(input)).toBe(sev);
  });

  it.each([
    '',
    '   ',
    'SEV0',
    'SEV5',
    '0',
    '5',
    'P0',
    'sev12',
    '22',
    'SEV',
    'critical',
    'high',
    'SEVERITY2',
    'X2',
    '2a',
    'sev2 please',
    'SEV２',
    '1.0',
  ])('refuses %j with bot.severity.unknown', (input) => {
    const err = catchBotError(() => parseSeverity(input));
    expect(err.code).toBe('bot.severity.unknown');
    expect(err.message).toBe(`Unknown severity "${input}".`);
    expect(err.hint).toBe('Use one of SEV1, SEV2, SEV3, SEV4 (SEV1 is the most severe).');
  });
});

describe('isMoreSevere', () => {
  const pairs: [Severity, Severity, boolean][] = [];
  SEVERITIES.forEach((a, i) => {
    SEVERITIES.forEach((b, j) => {
      pairs.push([a, b, i < j]);
    });
  });
  it.each(pairs)('isMoreSevere(%s, %s) is %s', (a, b, expected) => {
    expect(isMoreSevere(a, b)).toBe(expected);
  });
});
