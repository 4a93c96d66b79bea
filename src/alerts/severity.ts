import { isMoreSevere, type Severity } from '../core/severity.ts';
import type { Labels } from './types.ts';

/**
 * How alert labels become an incident severity. Defaults (case-insensitive label values):
 *
 * | value                                      | severity |
 * |--------------------------------------------|----------|
 * | page, emergency, disaster, fatal           | SEV1     |
 * | critical, error, major, high               | SEV2     |
 * | warning, warn, minor, medium, moderate     | SEV3     |
 * | info, informational, notice, low, none     | SEV4     |
 * | sev1..sev4, s1..s4, p1..p4, 1..4           | SEVn     |
 *
 * `critical` is SEV2, not SEV1: Prometheus rules call many single-node faults critical, and SEV1
 * means a total outage. Teams that page on `critical` map it to SEV1 in config. The label keys are
 * tried in order (`severity`, then `priority`); an alert none of them maps gets `fallback` (SEV3).
 */
export interface SeverityMapping {
  readonly labelKeys: readonly string[];
  /** Lower-case label value → severity; checked before the sevN / pN / N pattern. */
  readonly values: Readonly<Record<string, Severity>>;
  readonly fallback: Severity;
}

export const DEFAULT_SEVERITY_MAPPING: SeverityMapping = {
  labelKeys: ['severity', 'priority'],
  values: {
    page: 'SEV1',
    emergency: 'SEV1',
    disaster: 'SEV1',
    fatal: 'SEV1',
    critical: 'SEV2',
    error: 'SEV2',
    major: 'SEV2',
    high: 'SEV2',
    warning: 'SEV3',
    warn: 'SEV3',
    minor: 'SEV3',
    medium: 'SEV3',
    moderate: 'SEV3',
    info: 'SEV4',
    informational: 'SEV4',
    notice: 'SEV4',
    low: 'SEV4',
    none: 'SEV4',
  },
  fallback: 'SEV3',
};

/** Defaults with overrides: `values` entries add to (or replace) the default table. */
export function severityMapping(overrides: Partial<SeverityMapping> = {}): SeverityMapping {
  const values: Record<string, Severity> = { ...DEFAULT_SEVERITY_MAPPING.values };
  for (const [k, v] of Object.entries(overrides.values ?? {})) values[k.trim().toLowerCase()] = v;
  return {
    labelKeys: overrides.labelKeys ?? DEFAULT_SEVERITY_MAPPING.labelKeys,
    values,
    fallback: overrides.fallback ?? DEFAULT_SEVERITY_MAPPING.fallback,
  };
}

const NUMBERED = /^(?:sev|s|p)?-?([1-4])$/;

function mapValue(raw: string, mapping: SeverityMapping): Severity | undefined {
  const value = raw.trim().toLowerCase();
  if (Object.hasOwn(mapping.values, value)) return mapping.values[value];
  const m = NUMBERED.exec(value);
  return m ? (`SEV${m[1]}` as Severity) : undefined;
}

/** The most severe severity the alerts' labels say, or undefined when no label maps to one. */
export function labelSeverity(
  alerts: readonly { readonly labels: Labels }[],
  mapping: SeverityMapping = DEFAULT_SEVERITY_MAPPING,
): Severity | undefined {
  let worst: Severity | undefined;
  for (const a of alerts) {
    for (const key of mapping.labelKeys) {
      const raw = a.labels[key];
      const sev = raw === undefined ? undefined : mapValue(raw, mapping);
      if (!sev) continue;
      if (!worst || isMoreSevere(sev, worst)) worst = sev;
      break;
    }
  }
  return worst;
}

/** The severity one alert's labels say, or the mapping's fallback. */
export function severityFromLabels(
  labels: Labels,
  mapping: SeverityMapping = DEFAULT_SEVERITY_MAPPING,
): Severity {
  for (const key of mapping.labelKeys) {
    const raw = labels[key];
    if (raw === undefined) continue;
    const sev = mapValue(raw, mapping);
    if (sev) return sev;
  }
  return mapping.fallback;
}

/** The most severe of the alerts' severities (a batch, an incident's alerts). */
export function severityOfAlerts(
  alerts: readonly { readonly labels: Labels }[],
  mapping: SeverityMapping = DEFAULT_SEVERITY_MAPPING,
): Severity {
  let worst: Severity | undefined;
  for (const a of alerts) {
    const sev = severityFromLabels(a.labels, mapping);
    if (!worst || isMoreSevere(sev, worst)) worst = sev;
  }
  return worst ?? mapping.fallback;
}
