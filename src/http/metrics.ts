import type { Registry } from 'prom-client';
import { SEVERITIES, STATUSES } from '../core/index.ts';
import { tallies } from '../metrics.ts';
import type { Store } from '../store/port.ts';
import type { Router } from './router.ts';

/** Pending alert groups counted per scrape at most. */
const MAX_COUNTED = 10_000;

/**
 * GET /metrics in Prometheus' text format. It needs API_TOKEN like /api when one is set
 * (Prometheus: `authorization: { credentials: … }` in the scrape config). prom-client is loaded
 * on the first scrape; Node's default metrics (event-loop lag among them) start then too.
 */
export function registerMetrics(router: Router, deps: { store: Store }): void {
  let registry: Promise<Registry> | undefined;
  router.on('GET', '/metrics', async (_req, res) => {
    registry ??= build(deps.store);
    const reg = await registry;
    const body = await reg.metrics();
    res.writeHead(200, { 'content-type': reg.contentType, 'cache-control': 'no-store' });
    res.end(body);
  });
}

async function build(store: Store): Promise<Registry> {
  const { Counter, Gauge, Registry, collectDefaultMetrics } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'incident_bot_' });
  for (const tally of tallies) {
    new Counter({
      name: tally.name,
      help: tally.help,
      labelNames: tally.labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, value } of tally.entries()) this.inc(labels, value);
      },
    });
  }
  new Gauge({
    name: 'incident_bot_incidents',
    help: 'Incidents by status and severity',
    labelNames: ['status', 'severity'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of STATUSES) for (const v of SEVERITIES) this.set({ status: s, severity: v }, 0);
      for (const c of await store.countIncidentsByStatusAndSeverity()) {
        this.set({ status: c.status, severity: c.severity }, c.count);
      }
    },
  });
  new Gauge({
    name: 'incident_bot_alert_groups_pending',
    help: 'Alert groups with changes stored but not yet carried to an incident (the durable backlog)',
    registers: [registry],
    async collect() {
      this.set((await store.listPendingAlertGroups(MAX_COUNTED)).length);
    },
  });
  new Gauge({
    name: 'incident_bot_outbox_pending',
    help: 'Chat calls decided on and not yet delivered (the outbox depth)',
    registers: [registry],
    async collect() {
      this.set(await store.countPendingOutbox());
    },
  });
  return registry;
}
