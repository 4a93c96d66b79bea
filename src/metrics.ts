/**
 * The bot's counters, kept as plain numbers where things happen. GET /metrics (src/http/metrics.ts)
 * turns them into prom-client metrics on the first scrape, so a bot nobody scrapes never loads
 * prom-client (about 12 MB).
 */
export class Tally<L extends string = never> {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[] = [],
  ) {
    tallies.push(this as unknown as Tally<string>);
  }

  inc(labels: Record<L, string>, by?: number): void;
  inc(by?: number): void;
  inc(a?: Record<L, string> | number, b = 1): void {
    const labels = typeof a === 'object' ? (a as Record<string, string>) : {};
    const by = typeof a === 'number' ? a : b;
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels: { ...labels }, value: by });
  }

  entries(): { labels: Record<string, string>; value: number }[] {
    return [...this.values.values()];
  }
}

export const tallies: Tally<string>[] = [];

export const alertsReceived = new Tally(
  'incident_bot_alerts_received_total',
  'Alerts received by the webhooks (resends included), by source',
  ['source'],
);

export const alertChangesCarried = new Tally(
  'incident_bot_alert_changes_carried_total',
  'Alert status changes carried to incidents (a new alert, a resolve, a re-fire); received minus carried is what deduplication dropped',
);

export const alertIncidentsOpened = new Tally(
  'incident_bot_alert_incidents_opened_total',
  'Alert groups that opened their own incident (own) or joined the storm incident (storm)',
  ['kind'],
);

export const chatCalls = new Tally(
  'incident_bot_chat_api_calls_total',
  'Chat platform API calls, by platform, method and outcome (ok, error)',
  ['platform', 'method', 'outcome'],
);

export const chatRateLimited = new Tally(
  'incident_bot_chat_rate_limited_total',
  'Rate-limit answers (HTTP 429) from a chat platform, each waited out and retried',
  ['platform'],
);

export const actionsFinished = new Tally(
  'incident_bot_actions_finished_total',
  'Mitigations that reached a final state, by kind and status (succeeded, failed, cancelled, expired, unknown)',
  ['kind', 'status'],
);

export const outboxDelivered = new Tally(
  'incident_bot_outbox_deliveries_total',
  'Outbox deliveries of chat calls, by op and outcome (ok, retry, failed)',
  ['op', 'outcome'],
);
