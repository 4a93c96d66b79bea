import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The bot's Prometheus metrics, served at GET /metrics. Counters are incremented where things
 * happen; gauges that describe stored state (incidents by status, the alert backlog) are read from
 * the store when scraped (see src/http/metrics.ts). Default Node metrics include the event-loop lag
 * (`nodejs_eventloop_lag_seconds`). One registry per process, not prom-client's global one.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'incident_bot_' });

export const alertsReceived = new Counter({
  name: 'incident_bot_alerts_received_total',
  help: 'Alerts received by the webhooks (resends included), by source',
  labelNames: ['source'] as const,
  registers: [registry],
});

export const alertChangesCarried = new Counter({
  name: 'incident_bot_alert_changes_carried_total',
  help: 'Alert status changes carried to incidents (a new alert, a resolve, a re-fire); received minus carried is what deduplication dropped',
  registers: [registry],
});

export const alertIncidentsOpened = new Counter({
  name: 'incident_bot_alert_incidents_opened_total',
  help: 'Alert groups that opened their own incident (own) or joined the storm incident (storm)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const chatCalls = new Counter({
  name: 'incident_bot_chat_api_calls_total',
  help: 'Chat platform API calls, by platform, method and outcome (ok, error)',
  labelNames: ['platform', 'method', 'outcome'] as const,
  registers: [registry],
});

export const chatRateLimited = new Counter({
  name: 'incident_bot_chat_rate_limited_total',
  help: 'Rate-limit answers (HTTP 429) from a chat platform, each waited out and retried',
  labelNames: ['platform'] as const,
  registers: [registry],
});

export const actionsFinished = new Counter({
  name: 'incident_bot_actions_finished_total',
  help: 'Mitigations that reached a final state, by kind and status (succeeded, failed, cancelled, expired, unknown)',
  labelNames: ['kind', 'status'] as const,
  registers: [registry],
});
