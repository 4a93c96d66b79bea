import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEVERITY_MAPPING,
  labelSeverity,
  severityFromLabels,
  severityMapping,
  severityOfAlerts,
} from '../../src/alerts/index.ts';
import type { Severity } from '../../src/core/severity.ts';

describe('severityFromLabels', () => {
  const table: [string, Severity][] = [
    ['page', 'SEV1'],
    ['emergency', 'SEV1'],
    ['critical', 'SEV2'],
    ['Critical', 'SEV2'],
    ['error', 'SEV2'],
    ['major', 'SEV2'],
    ['warning', 'SEV3'],
    [' warn ', 'SEV3'],
    ['info', 'SEV4'],
    ['none', 'SEV4'],
    ['sev1', 'SEV1'],
    ['SEV2', 'SEV2'],
    ['S3', 'SEV3'],
    ['P1', 'SEV1'],
    ['p4', 'SEV4'],
    ['4', 'SEV4'],
    ['sev5', 'SEV3'],
    ['whatever', 'SEV3'],
    ['constructor', 'SEV3'],
    ['__proto__', 'SEV3'],
  ];
  it.each(table)('severity=%j → %s', (value, sev) => {
    expect(severityFromLabels({ severity: value })).toBe(sev);
  });

  it('falls back when no label maps, and tries priority after severity', () => {
    expect(severityFromLabels({})).toBe('SEV3');
    expect(severityFromLabels({ priority: 'P2' })).toBe('SEV2');
    expect(severityFromLabels({ severity: 'odd', priority: 'P1' })).toBe('SEV1');
    expect(severityFromLabels({ severity: 'info', priority: 'P1' })).toBe('SEV4');
  });

  it('takes configured overrides on top of the defaults', () => {
    const mapping = severityMapping({ values: { Critical: 'SEV1' }, labelKeys: ['level'], fallback: 'SEV4' });
    expect(severityFromLabels({ level: 'critical' }, mapping)).toBe('SEV1');
    expect(severityFromLabels({ level: 'warning' }, mapping)).toBe('SEV3');
    expect(severityFromLabels({ severity: 'page' }, mapping)).toBe('SEV4');
    expect(DEFAULT_SEVERITY_MAPPING.values.critical).toBe('SEV2');
  });
});

describe('severityOfAlerts', () => {
  it('is the most severe of the alerts', () => {
    const alerts: { labels: Record<string, string> }[] = [
      { labels: { severity: 'warning' } },
      { labels: { severity: 'page' } },
      { labels: {} },
    ];
    expect(severityOfAlerts(alerts)).toBe('SEV1');
    expect(severityOfAlerts([{ labels: { severity: 'info' } }, { labels: { severity: 'warning' } }])).toBe(
      'SEV3',
    );
    expect(severityOfAlerts([])).toBe('SEV3');
  });
});

describe('labelSeverity', () => {
  it('is the most severe severity the labels name, or undefined when none maps', () => {
    expect(labelSeverity([{ labels: { severity: 'warning' } }, { labels: { severity: 'critical' } }])).toBe(
      'SEV2',
    );
    expect(labelSeverity([{ labels: { priority: 'p1' } }, { labels: { severity: 'info' } }])).toBe('SEV1');
    expect(labelSeverity([{ labels: { severity: 'whatever' } }, { labels: {} }])).toBeUndefined();
    expect(labelSeverity([])).toBeUndefined();
  });
});
