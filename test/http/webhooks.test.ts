import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { registerWebhooks, WEBHOOK_BODY_LIMIT, webhookAccess } from '../../src/http/webhooks.ts';
import type { AlertService } from '../../src/incidents/alerts.ts';
import { fixture } from '../alerts/fixtures.ts';
import { alertService } from '../incidents/alert-service.ts';
import { harness } from '../incidents/harness.ts';

const WEBHOOK_TOKEN = 'webhook-token-0123456789';
const API_TOKEN = 'api-token-0123456789abcdef';

describe('webhookAccess', () => {
  it('takes only the matching bearer token when a token is set, from anywhere', () => {
    expect(webhookAccess('10.0.0.5', `Bearer ${WEBHOOK_TOKEN}`, WEBHOOK_TOKEN)).toBe('ok');
    expect(webhookAccess('10.0.0.5', `bearer ${WEBHOOK_TOKEN}`, WEBHOOK_TOKEN)).toBe('ok');
    expect(webhookAccess('127.0.0.1', undefined, WEBHOOK_TOKEN)).toBe('refused');
    expect(webhookAccess('127.0.0.1', `Bearer ${WEBHOOK_TOKEN}x`, WEBHOOK_TOKEN)).toBe('refused');
    expect(webhookAccess('127.0.0.1', `Basic ${WEBHOOK_TOKEN}`, WEBHOOK_TOKEN)).toBe('refused');
  });

  it('without a token, lets in callers on this machine only', () => {
    for (const local of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(webhookAccess(local, undefined, undefined)).toBe('ok');
    }
    for (const remote of ['10.0.0.5', '::ffff:10.0.0.5', '2001:db8::1', undefined]) {
      expect(webhookAccess(remote, undefined, undefined)).toBe('refused');
    }
  });
});

describe('POST /webhooks/:source', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  let alerts: AlertService;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    h = await harness();
    alerts = alertService(h, { groupBy: ['alertname'], nodeLabels: ['node'] });
    const router = new Router();
    registerWebhooks(router, { alerts, token: WEBHOOK_TOKEN });
    // API_TOKEN guards the API and sandbox; the webhooks answer to WEBHOOK_TOKEN instead.
    server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: API_TOKEN });
    ({ url } = await listen(server, 0, '127.0.0.1'));
  });

  afterAll(async () => {
    await alerts.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await h.close();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${WEBHOOK_TOKEN}`,
        ...headers,
      },
      body,
    });

  it('stores a valid Alertmanager payload and answers 200 with what it stored', async () => {
    const res = await post('/webhooks/alertmanager', JSON.stringify(fixture('alertmanager-firing')));
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body).toEqual({
      status: 'stored',
      alerts: 1,
      groups: [
        'alertmanager:{}/{severity=~"critical|page"}:{alertname="GpuXidError", cluster="train-a", node="gpu-node-5"}',
      ],
    });
    expect(await h.store.listGroupAlerts(body.groups[0])).toHaveLength(1);
  });

  it.each(['grafana-firing', 'generic'] as const)('stores the %s fixture', async (name) => {
    const source = name === 'generic' ? 'generic' : 'grafana';
    const res = await post(`/webhooks/${source}`, JSON.stringify(fixture(name)));
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body.alerts).toBeGreaterThan(0);
    for (const g of body.groups) expect(g.startsWith(`${source}:`)).toBe(true);
  });

  it('refuses a missing or wrong token with 401, storing nothing', async () => {
    const payload = fixture('alertmanager-firing');
    payload.groupKey = 'refused-group';
    for (const authorization of ['', 'Bearer wrong-token-0123456789', `Bearer ${API_TOKEN}`]) {
      const res = await post('/webhooks/alertmanager', JSON.stringify(payload), { authorization });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('bot.webhook.unauthorized');
    }
    expect(await h.store.listGroupAlerts('alertmanager:refused-group')).toEqual([]);
  });

  it('refuses a malformed payload with 400 naming the field, storing nothing', async () => {
    const payload = fixture('alertmanager-batched');
    payload.groupKey = 'malformed-group';
    payload.alerts[3].startsAt = 'yesterday';
    const res = await post('/webhooks/alertmanager', JSON.stringify(payload));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as any;
    expect(error.code).toBe('bot.alerts.invalid_payload');
    expect(error.message).toMatch(/^alerts\[3\]\.startsAt: /);
    expect(await h.store.listGroupAlerts('alertmanager:malformed-group')).toEqual([]);
  });

  it('refuses bodies that are not JSON, too large, or for an unknown source', async () => {
    expect((await post('/webhooks/alertmanager', '{"version":')).status).toBe(400);
    expect((await post('/webhooks/alertmanager', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    const big = JSON.stringify({ padding: 'x'.repeat(WEBHOOK_BODY_LIMIT) });
    const tooLarge = await post('/webhooks/alertmanager', big);
    expect(tooLarge.status).toBe(413);
    const unknown = await post('/webhooks/nagios', '{}');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.hint).toBe(
      'Use one of: /webhooks/alertmanager, /webhooks/grafana, /webhooks/generic.',
    );
    expect((await fetch(`${url}/webhooks/alertmanager`)).status).toBe(405);
  });
});
