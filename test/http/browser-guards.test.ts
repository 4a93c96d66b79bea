import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostPolicy, hostPolicy } from '../../src/http/access.ts';
import { registerApi } from '../../src/http/api.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { registerWebhooks } from '../../src/http/webhooks.ts';
import type { AlertService } from '../../src/incidents/alerts.ts';
import { type RawAnswer, rawRequest } from '../helpers/raw-http.ts';
import { alertService } from '../incidents/alert-service.ts';
import { harness } from '../incidents/harness.ts';

const API_TOKEN = 'browser-guard-token-0123456789';

/** A raw request: fetch will not send a Host, Origin or Sec-Fetch-Site of the test's choosing. */
const raw = rawRequest;

/** The generic webhook body the attacker's page posted, under a group key of the test's own. */
function alertBody(groupKey: string): string {
  return JSON.stringify({
    groupKey,
    alerts: [{ name: 'DatacenterOnFire', status: 'firing', severity: 'page', node: 'gpu-node-1' }],
  });
}

interface Running {
  readonly port: number;
  close(): Promise<void>;
}

describe('browser attacks on a loopback bot', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  let alerts: AlertService;
  const servers: Server[] = [];

  async function start(hosts: HostPolicy | undefined, apiToken?: string): Promise<Running> {
    const router = new Router();
    registerApi(router, { store: h.store });
    registerWebhooks(router, { alerts, token: undefined });
    const server = createHttpServer({
      router,
      logger: pino({ level: 'silent' }),
      apiToken,
      ...(hosts ? { hosts } : {}),
    });
    servers.push(server);
    const { port } = await listen(server, 0, '127.0.0.1');
    return {
      port,
      close: async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  }

  let loopback: Running;
  const stored = async (groupKey: string) => h.store.listGroupAlerts(`generic:${groupKey}`);

  beforeAll(async () => {
    h = await harness();
    alerts = alertService(h, { groupBy: ['alertname'], nodeLabels: ['node'] });
    // The worker is not under test: only what the webhook stores.
    await alerts.stop();
    loopback = await start(undefined);
  });

  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await h.close();
  });

  describe('the JSON content type is matched exactly', () => {
    it.each([
      'text/plain;application/json',
      'text/plain; charset=application/json',
      'application/jsonp',
      'application/json-patch+json',
      'multipart/form-data; boundary=application/json',
      'application/x-www-form-urlencoded',
    ])('refuses content-type %s with 415 and stores nothing', async (type) => {
      const group = `mime-${type}`;
      const res = await raw(
        loopback.port,
        'POST',
        '/webhooks/generic',
        { 'content-type': type },
        alertBody(group),
      );
      expect(res.status).toBe(415);
      expect(res.json).toEqual({
        error: {
          code: 'bot.http.content_type',
          message: 'The request body must be JSON (content-type: application/json).',
        },
      });
      expect(await stored(group)).toEqual([]);
    });

    it.each(['application/json', 'Application/JSON; charset=UTF-8', 'application/json ; charset=utf-8'])(
      'takes content-type %s',
      async (type) => {
        const group = `mime-ok-${type}`;
        const res = await raw(
          loopback.port,
          'POST',
          '/webhooks/generic',
          { 'content-type': type },
          alertBody(group),
        );
        expect(res.status).toBe(200);
        expect(await stored(group)).toHaveLength(1);
      },
    );
  });

  describe('Host headers (DNS rebinding)', () => {
    it.each(['evil.example', 'evil.example:3000', '127.0.0.1.evil.example', '127.0.0.1@evil.example', 'a b'])(
      'refuses Host %s with 421 on /api and the webhooks, storing nothing',
      async (host) => {
        const api = await raw(loopback.port, 'GET', '/api/incidents', { host });
        expect(api.status).toBe(421);
        expect(api.json.error.code).toBe('bot.http.host');
        expect(api.json.error.message).toContain('does not name this bot');
        expect(api.json.error.hint).toContain('PUBLIC_URL');
        const group = `rebind-${host}`;
        const hook = await raw(
          loopback.port,
          'POST',
          '/webhooks/generic',
          { host, 'content-type': 'application/json' },
          alertBody(group),
        );
        expect(hook.status).toBe(421);
        expect(await stored(group)).toEqual([]);
      },
    );

    it.each([
      '127.0.0.1',
      '127.0.0.1:3000',
      '127.9.8.7:1',
      'localhost',
      'LOCALHOST:8080',
      '[::1]',
      '[::1]:3000',
    ])('takes the loopback Host %s', async (host) => {
      expect((await raw(loopback.port, 'GET', '/api/incidents', { host })).status).toBe(200);
    });

    it('answers /healthz and /readyz whatever the Host', async () => {
      expect((await raw(loopback.port, 'GET', '/healthz', { host: 'evil.example' })).status).toBe(200);
      expect((await raw(loopback.port, 'GET', '/readyz', { host: '10.1.2.3:3000' })).status).toBe(200);
    });

    it('takes PUBLIC_URL’s host and HOST, and refuses others', async () => {
      const bot = await start(
        hostPolicy({ host: 'bot.internal', publicUrl: 'https://incidents.example.com' }),
        API_TOKEN,
      );
      const auth = { authorization: `Bearer ${API_TOKEN}` };
      for (const host of [
        'incidents.example.com',
        'INCIDENTS.example.com:443',
        'bot.internal:3000',
        'localhost',
      ]) {
        expect((await raw(bot.port, 'GET', '/api/incidents', { ...auth, host })).status, host).toBe(200);
      }
      expect((await raw(bot.port, 'GET', '/api/incidents', { ...auth, host: 'evil.example' })).status).toBe(
        421,
      );
      await bot.close();
    });

    it('takes any Host on a wildcard HOST without PUBLIC_URL (a token is required there)', async () => {
      const bot = await start(hostPolicy({ host: '0.0.0.0' }), API_TOKEN);
      const auth = { authorization: `Bearer ${API_TOKEN}` };
      expect(
        (await raw(bot.port, 'GET', '/api/incidents', { ...auth, host: 'anything.example' })).status,
      ).toBe(200);
      await bot.close();
    });

    it('on a wildcard HOST with PUBLIC_URL, takes the machine’s own addresses and PUBLIC_URL’s host only', async () => {
      const bot = await start(
        hostPolicy({
          host: '0.0.0.0',
          publicUrl: 'https://incidents.example.com',
          localAddresses: ['10.0.0.5', 'fe80::1'],
        }),
        API_TOKEN,
      );
      const auth = { authorization: `Bearer ${API_TOKEN}` };
      for (const host of ['incidents.example.com', '10.0.0.5:3000', '[fe80::1]:3000', '127.0.0.1:3000']) {
        expect((await raw(bot.port, 'GET', '/api/incidents', { ...auth, host })).status, host).toBe(200);
      }
      expect((await raw(bot.port, 'GET', '/api/incidents', { ...auth, host: 'evil.example' })).status).toBe(
        421,
      );
      await bot.close();
    });
  });

  describe('cross-site requests that change things', () => {
    const post = (headers: Record<string, string>, group: string) =>
      raw(
        loopback.port,
        'POST',
        '/webhooks/generic',
        { 'content-type': 'application/json', ...headers },
        alertBody(group),
      );

    it.each([
      ['another site', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }],
      ['a page on another localhost port (same-site)', { 'sec-fetch-site': 'same-site' }],
      ['an Origin on another localhost port', { origin: 'http://localhost:9999' }],
      ['an Origin of another host on the same port', { origin: 'http://evil.example:80' }],
      ['an opaque (null) Origin', { origin: 'null' }],
    ] as const)('refuses %s with 403 and stores nothing', async (what, headers) => {
      const group = `cross-${what}`;
      const res = await post(headers, group);
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('bot.http.cross_site');
      expect(res.json.error.message).toContain("another site's page");
      expect(await stored(group)).toEqual([]);
    });

    it('takes the bot’s own page (same-origin), a typed URL (none) and scripts (no Origin)', async () => {
      const own = { origin: `http://127.0.0.1:${loopback.port}`, 'sec-fetch-site': 'same-origin' };
      expect((await post(own, 'own-page')).status).toBe(200);
      expect((await post({ 'sec-fetch-site': 'none' }, 'typed')).status).toBe(200);
      expect((await post({}, 'script')).status).toBe(200);
      const viaLocalhost = {
        host: `localhost:${loopback.port}`,
        origin: `http://localhost:${loopback.port}`,
      };
      expect((await post(viaLocalhost, 'localhost-page')).status).toBe(200);
    });

    it('lets another site read nothing but still GET (no state changes): CORS keeps the answer from it', async () => {
      const res = await raw(loopback.port, 'GET', '/api/incidents', {
        origin: 'http://evil.example',
        'sec-fetch-site': 'cross-site',
      });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('takes PUBLIC_URL as the Origin when a proxy rewrote the Host', async () => {
      const bot = await start(hostPolicy({ host: '127.0.0.1', publicUrl: 'https://incidents.example.com' }));
      const res = await raw(
        bot.port,
        'POST',
        '/webhooks/generic',
        {
          'content-type': 'application/json',
          origin: 'https://incidents.example.com',
          'sec-fetch-site': 'same-origin',
        },
        alertBody('public-origin'),
      );
      expect(res.status).toBe(200);
      await bot.close();
    });
  });

  describe('framing and sniffing', () => {
    it.each([
      ['GET', '/healthz'],
      ['GET', '/api/incidents'],
      ['GET', '/nope'],
      ['DELETE', '/api/incidents'],
    ])('%s %s carries X-Frame-Options, CSP frame-ancestors and nosniff', async (method, path) => {
      const res = await raw(loopback.port, method, path);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toBe("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    it('refusals carry them too', async () => {
      const res = await raw(loopback.port, 'GET', '/api/incidents', { host: 'evil.example' });
      expect(res.status).toBe(421);
      expect(res.headers['x-frame-options']).toBe('DENY');
    });
  });

  describe('the token cookie', () => {
    const cookieOf = (res: RawAnswer) => String(res.headers['set-cookie'] ?? '');

    it('is Secure when PUBLIC_URL is https', async () => {
      const bot = await start(
        hostPolicy({ host: '127.0.0.1', publicUrl: 'https://incidents.example.com' }),
        API_TOKEN,
      );
      const res = await raw(bot.port, 'GET', `/?token=${API_TOKEN}`);
      expect(res.status).toBe(303);
      expect(cookieOf(res)).toBe(
        `incident_bot_token=${API_TOKEN}; HttpOnly; SameSite=Strict; Path=/; Secure`,
      );
      await bot.close();
    });

    it('is Secure when the proxy says the browser came over https, and not over plain HTTP', async () => {
      const bot = await start(undefined, API_TOKEN);
      const secure = `incident_bot_token=${API_TOKEN}; HttpOnly; SameSite=Strict; Path=/; Secure`;
      const plain = `incident_bot_token=${API_TOKEN}; HttpOnly; SameSite=Strict; Path=/`;
      const get = (headers: Record<string, string>) => raw(bot.port, 'GET', `/?token=${API_TOKEN}`, headers);
      expect(cookieOf(await get({ 'x-forwarded-proto': 'https' }))).toBe(secure);
      expect(cookieOf(await get({ 'x-forwarded-proto': 'HTTPS, http' }))).toBe(secure);
      expect(cookieOf(await get({ forwarded: 'for=192.0.2.1;proto=https;host=incidents.example.com' }))).toBe(
        secure,
      );
      expect(cookieOf(await get({ forwarded: 'for=192.0.2.1; proto="https"' }))).toBe(secure);
      expect(cookieOf(await get({}))).toBe(plain);
      expect(cookieOf(await get({ 'x-forwarded-proto': 'http' }))).toBe(plain);
      expect(cookieOf(await get({ forwarded: 'for=192.0.2.1;proto=http' }))).toBe(plain);
      await bot.close();
    });
  });
});
