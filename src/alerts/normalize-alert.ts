import { fingerprintFor, httpUrl, runbookUrlFrom, summaryFrom } from './labels.ts';
import { parseTimestamp } from './time.ts';
import type { AlertStatus, Labels, NormalizedAlert } from './types.ts';

/** The fields every source carries, before normalisation. */
export interface RawAlert {
  readonly status: AlertStatus;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt?: string | undefined;
  readonly endsAt?: string | undefined;
  readonly generatorURL?: string | undefined;
  readonly fingerprint?: string | undefined;
}

export const UNNAMED_ALERT = 'unnamed';

export function normalizeAlert(raw: RawAlert, receivedAt: Date): NormalizedAlert {
  const labels = { ...raw.labels };
  const annotations = { ...raw.annotations };
  const generatorUrl = httpUrl(raw.generatorURL);
  const runbookUrl = runbookUrlFrom(annotations);
  const summary = summaryFrom(annotations);
  return {
    fingerprint: raw.fingerprint || fingerprintFor(labels),
    status: raw.status,
    // Alerts posted straight to Alertmanager's API may lack one; refusing them would lose them.
    name: labels.alertname || UNNAMED_ALERT,
    labels,
    annotations,
    // A zero or missing start is the moment it reached us: the best the bot knows.
    startsAt: parseTimestamp(raw.startsAt) ?? new Date(receivedAt.getTime()),
    endsAt: parseTimestamp(raw.endsAt),
    ...(generatorUrl ? { generatorUrl } : {}),
    ...(runbookUrl ? { runbookUrl } : {}),
    ...(summary ? { summary } : {}),
  };
}
