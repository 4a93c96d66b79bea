/** The three webhook sources the bot understands. */
export const ALERT_SOURCES = ['alertmanager', 'grafana', 'generic'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export type AlertStatus = 'firing' | 'resolved';

export type Labels = Readonly<Record<string, string>>;

/** One alert, the same whatever sent it. */
export interface NormalizedAlert {
  /** As sent, or a stable sha256 of the sorted labels when the sender gave none. */
  readonly fingerprint: string;
  readonly status: AlertStatus;
  /** The `alertname` label. */
  readonly name: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt: Date;
  /** Null while unset (Alertmanager and Grafana send Go's zero time, 0001-01-01T00:00:00Z). */
  readonly endsAt: Date | null;
  /** http(s) only: it becomes a link in chat. */
  readonly generatorUrl?: string;
  /** The `runbook_url` annotation, http(s) only. */
  readonly runbookUrl?: string;
  /** The `summary`, else `description`, else `message` annotation. */
  readonly summary?: string;
}

/** One delivery: the alerts of one group, as one webhook call carried them. */
export interface NormalizedBatch {
  readonly source: AlertSource;
  /** The sender's group key, or one derived from a label set (see groupKeyFor). */
  readonly groupKey: string;
  readonly status: AlertStatus;
  readonly receiver?: string;
  readonly externalUrl?: string;
  /** The generic payload's free-text `source` (e.g. `nagios`); absent for the other senders. */
  readonly origin?: string;
  /** Alerts the sender left out (Alertmanager's `max_alerts`); they are not lost, just not here. */
  readonly truncatedAlerts: number;
  readonly alerts: readonly NormalizedAlert[];
}

export interface NormalizeOptions {
  /** When the payload arrived: the start of a generic alert that gives none. */
  readonly receivedAt: Date;
  /** Labels that make a derived group key; default DEFAULT_GROUP_BY. */
  readonly groupBy?: readonly string[];
}
