import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApi } from '../../src/http/api.ts';
import { registerMetrics } from '../../src/http/metrics.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import type { AlertService } from '../../src/incidents/alerts.ts';
import { fixture } from '../alerts/fixtures.ts';
import { alertService } from '../incidents/alert-service.ts';
import { alice, harness } from '../incidents/harness.ts';

describe('GET /metrics, /healthz and /readyz', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  let alerts: AlertService;
  let server: Server;
  let url: string;
  let ready = false;

  beforeAll(async () => {
    h = await harness();
    alerts = alertService(h, { groupBy: ['alertname'], nodeLabels: ['node'] });
    alerts.start();
    const router = new Router();
    registerApi(router, { store: h.store, ready: () => ready });
    registerMetrics(router, { store: h.store });
    server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
    ({ url } = await listen(server, 0, '127.0.0.1'));
  });

  afterAll(async () => {
    await alerts.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await h.close();
  });

  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts incidents by status and severity, alerts received and carried, and the event-loop lag', async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    const received0 = value(before, 'incident_bot_alerts_received_total{source="alertmanager"}') ?? 0;
    const carried0 = value(before, 'incident_bot_alert_changes_carried_total') ?? 0;
    const body = fixture('alertmanager-firing');
    await alerts.receive('alertmanager', body);
    await alerts.receive('alertmanager', body); // a resend
    await alerts.idle();
    await h.declare('SEV1', 'Everything is down');
    const [, first] = await h.incidents.list();
    await h.incidents.changeStatus(first!, 'investigating', alice);

    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(value(text, 'incident_bot_incidents{status="declared",severity="SEV1"}')).toBe(1);
    expect(value(text, 'incident_bot_incidents{status="investigating",severity="SEV2"}')).toBe(1);
    expect(value(text, 'incident_bot_incidents{status="resolved",severity="SEV4"}')).toBe(0);
    expect(value(text, 'incident_bot_alerts_received_total{source="alertmanager"}')).toBe(received0 + 2);
    // The resend was received but carried nothing.
    expect(value(text, 'incident_bot_alert_changes_carried_total')).toBe(carried0 + 1);
    expect(value(text, 'incident_bot_alert_groups_pending')).toBe(0);
    expect(text).toContain('incident_bot_nodejs_eventloop_lag_seconds');
  });

  it('tells liveness from readiness', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const starting = await fetch(`${url}/readyz`);
    expect(starting.status).toBe(503);
    expect(await starting.json()).toEqual({
      status: 'not_ready',
      checks: { store: 'ok', platforms: 'starting' },
    });
    ready = true;
    const up = await fetch(`${url}/readyz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ready', checks: { store: 'ok', platforms: 'ok' } });
  });
});
