import { Gauge } from 'prom-client';
import { SEVERITIES, STATUSES } from '../core/index.ts';
import { registry } from '../metrics.ts';
import type { Store } from '../store/port.ts';
import type { Router } from './router.ts';

/** Incidents counted per scrape, newest first; beyond this the gauge covers the most recent. */
const MAX_COUNTED = 10_000;

/**
 * GET /metrics in Prometheus' text format. It needs API_TOKEN like /api when one is set
 * (Prometheus: `authorization: { credentials: … }` in the scrape config).
 */
export function registerMetrics(router: Router, deps: { store: Store }): void {
  const incidents = new Gauge({
    name: 'incident_bot_incidents',
    help: `Incidents by status and severity (the newest ${MAX_COUNTED})`,
    labelNames: ['status', 'severity'] as const,
    registers: [],
    async collect() {
      this.reset();
      for (const s of STATUSES) for (const v of SEVERITIES) this.set({ status: s, severity: v }, 0);
      for (const i of await deps.store.listIncidents({ limit: MAX_COUNTED })) {
        this.inc({ status: i.status, severity: i.severity });
      }
    },
  });
  const pending = new Gauge({
    name: 'incident_bot_alert_groups_pending',
    help: 'Alert groups with changes stored but not yet carried to an incident (the durable backlog)',
    registers: [],
    async collect() {
      this.set((await deps.store.listPendingAlertGroups(MAX_COUNTED)).length);
    },
  });
  // One bot per process in production; tests start several, each reading its own store.
  for (const metric of [incidents, pending]) {
    registry.removeSingleMetric((metric as unknown as { name: string }).name);
    registry.registerMetric(metric);
  }
  router.on('GET', '/metrics', async (_req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(body);
  });
}
