import { formatDuration } from './duration.ts';
import { BotError } from './errors.ts';

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface SeverityInfo {
  readonly severity: Severity;
  readonly impact: string;
  /** How soon someone must be working on it; 0 means immediately. */
  readonly responseTargetMinutes: number;
  readonly example: string;
}

export const SEVERITY_INFO: Record<Severity, SeverityInfo> = {
  SEV1: { severity: 'SEV1', impact: 'Total outage', responseTargetMinutes: 0, example: 'all inference down' },
  SEV2: {
    severity: 'SEV2',
    impact: 'Major degradation',
    responseTargetMinutes: 15,
    example: 'half of requests failing',
  },
  SEV3: {
    severity: 'SEV3',
    impact: 'Partial impact',
    responseTargetMinutes: 60,
    example: 'one workload down',
  },
  SEV4: {
    severity: 'SEV4',
    impact: 'Minor issue',
    responseTargetMinutes: 240,
    example: 'performance degraded',
  },
};

export function responseTargetLabel(sev: Severity): string {
  const m = SEVERITY_INFO[sev].responseTargetMinutes;
  if (m === 0) return 'immediate';
  return `< ${formatDuration(m * 60_000)}`;
}

/** What a severity may be, as refusals say it: "must be …", "Use …". */
export const SEVERITY_WORDS = 'one of SEV1, SEV2, SEV3, SEV4 (SEV1 is the most severe)';

/**
 * The one reading of a severity word, for commands, forms and chat options alike. Accepts `SEV2`,
 * `sev2`, `2`, `S2`, `P2`: people type all of them at 3 a.m. Undefined when it is none of them.
 */
export function toSeverity(input: string): Severity | undefined {
  const m = /^\s*(?:sev|s|p)?\s*-?([1-4])\s*$/i.exec(input);
  return m ? (`SEV${m[1]}` as Severity) : undefined;
}

export function parseSeverity(input: string): Severity {
  const severity = toSeverity(input);
  if (severity) return severity;
  throw new BotError('bot.severity.unknown', `Unknown severity "${input}".`, {
    hint: `Use ${SEVERITY_WORDS}.`,
  });
}

export function isMoreSevere(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b);
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}
