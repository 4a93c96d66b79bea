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
  const bearer = (token: string) => ({ authorization: token });

  it('takes only the matching bearer token when a token is set, from anywhere', () => {
    expect(webhookAccess('10.0.0.5', bearer(`Bearer ${WEBHOOK_TOKEN}`), WEBHOOK_TOKEN)).toBe('ok');
    expect(webhookAccess('10.0.0.5', bearer(`bearer ${WEBHOOK_TOKEN}`), WEBHOOK_TOKEN)).toBe('ok');
    expect(webhookAccess('127.0.0.1', {}, WEBHOOK_TOKEN)).toBe('refused');
    expect(webhookAccess('127.0.0.1', bearer(`Bearer ${WEBHOOK_TOKEN}x`), WEBHOOK_TOKEN)).toBe('refused');
    expect(webhookAccess('127.0.0.1', bearer(`Basic ${WEBHOOK_TOKEN}`), WEBHOOK_TOKEN)).toBe('refused');
    // Behind a proxy, the token is what counts.
    const proxied = { ...bearer(`Bearer ${WEBHOOK_TOKEN}`), 'x-forwarded-for': '203.0.113.7' };
    expect(webhookAccess('127.0.0.1', proxied, WEBHOOK_TOKEN)).toBe('ok');
  });

  it('without a token, lets in callers on this machine only', () => {
    for (const local of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(webhookAccess(local, {}, undefined)).toBe('ok');
    }
    for (const remote of ['10.0.0.5', '::ffff:10.0.0.5', '2001:db8::1', undefined]) {
      expect(webhookAccess(remote, {}, undefined)).toBe('refused');
    }
  });

  it('without a token, tells a call a proxy on this machine forwarded apart', () => {
    for (const header of ['forwarded', 'x-forwarded-for', 'x-real-ip']) {
      expect(webhookAccess('127.0.0.1', { [header]: '203.0.113.7' }, undefined)).toBe('proxied');
    }
  });
});

describe('POST /webhooks/:source without WEBHOOK_TOKEN', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  let alerts: AlertService;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    h = await harness();
    alerts = alertService(h, { groupBy: ['alertname'], nodeLabels: ['node'] });
    const router = new Router();
    registerWebhooks(router, { alerts, token: undefined });
    server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
    ({ url } = await listen(server, 0, '127.0.0.1'));
  });

  afterAll(async () => {
    await alerts.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await h.close();
  });

  const payload = (groupKey: string) => JSON.stringify({ ...fixture('alertmanager-firing'), groupKey });

  it('takes a call from this machine', async () => {
    const res = await fetch(`${url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload('direct'),
    });
    expect(res.status).toBe(200);
    expect(await h.store.listGroupAlerts('alertmanager:direct')).toHaveLength(1);
  });

  it.each([
    ['X-Forwarded-For', { 'x-forwarded-for': '203.0.113.7' }],
    ['Forwarded', { forwarded: 'for=203.0.113.7;proto=https' }],
    ['X-Real-IP', { 'x-real-ip': '203.0.113.7' }],
  ])(
    'refuses a call carrying %s with 403 saying to set WEBHOOK_TOKEN, storing nothing',
    async (name, headers) => {
      const group = `proxied-${name}`;
      const res = await fetch(`${url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload(group),
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        error: {
          code: 'bot.webhook.proxied',
          message: `This webhook call came through a proxy (it carries ${name}), and without WEBHOOK_TOKEN the webhooks take calls only from this machine.`,
          hint: 'Set WEBHOOK_TOKEN on the bot (openssl rand -hex 32) and send it as a bearer token: Alertmanager http_config.authorization.credentials, Grafana the Authorization header.',
        },
      });
      expect(await h.store.listGroupAlerts(`alertmanager:${group}`)).toEqual([]);
    },
  );
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
