import { randomUUID } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BotError } from '../../src/core/index.ts';
import { registerApi } from '../../src/http/api.ts';
import { Router, readJson, sendJson } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import type { KyselyStore } from '../../src/store/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';

const TOKEN = 'test-token-0123456789abcdef';
const UNAUTHORIZED = {
  error: {
    code: 'bot.http.unauthorized',
    message: 'This bot requires API_TOKEN.',
    hint: 'Send Authorization: Bearer <API_TOKEN>, or open /?token=<API_TOKEN> once in the browser.',
  },
};

interface Running {
  readonly url: string;
  readonly port: number;
  readonly store: KyselyStore;
  readonly server: Server;
  close(): Promise<void>;
}

async function startServer(apiToken: string | undefined): Promise<Running> {
  const opened = await openSqliteStore(':memory:');
  const router = new Router();
  registerApi(router, { store: opened.store });
  // Routes only this test has: body reading and the error handler.
  router.on('POST', '/test/echo', async (req, res) => sendJson(res, 200, { got: await readJson(req, 100) }));
  router.on('POST', '/test/echo-default', async (req, res) => {
    const body = await readJson(req);
    sendJson(res, 200, { length: JSON.stringify(body).length });
  });
  router.on('GET', '/test/boom', async () => {
    throw new Error('kaboom: internal detail');
  });
  router.on('GET', '/test/items/:a/:b', async (_req, res, params) => sendJson(res, 200, params));
  const server = createHttpServer({ router, logger: createLogger('silent'), apiToken });
  const { url, port } = await listen(server, 0, '127.0.0.1');
  return {
    url,
    port,
    store: opened.store,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await opened.close();
    },
  };
}

/** A raw request, path sent verbatim (fetch would normalise it). */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const newIncident = (title: string, createdAt: string) => ({
  id: randomUUID(),
  title,
  description: `about ${title}`,
  severity: 'SEV2' as const,
  private: false,
  platform: 'sandbox',
  createdBy: 'U1',
  createdAt: new Date(createdAt),
});

describe('HTTP server without API_TOKEN', () => {
  let bot: Running;
  beforeAll(async () => {
    bot = await startServer(undefined);
  });
  afterAll(async () => {
    await bot.close();
  });

  it('listen reports the URL with the real port', () => {
    expect(bot.port).toBeGreaterThan(0);
    expect(bot.url).toBe(`http://127.0.0.1:${bot.port}`);
  });

  it('GET /healthz is 200 {status:"ok"} as uncached JSON', async () => {
    const res = await fetch(`${bot.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('HEAD /healthz is answered like GET', async () => {
    const res = await fetch(`${bot.url}/healthz`, { method: 'HEAD' });
    expect(res.status).toBe(200);
  });

  it('unknown paths are 404 JSON', async () => {
    const res = await fetch(`${bot.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ error: { code: 'bot.http.not_found', message: 'Nothing at /nope.' } });
  });

  it('a known path with the wrong method is 405', async () => {
    const res = await fetch(`${bot.url}/healthz`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual({
      error: { code: 'bot.http.method', message: 'POST is not allowed on /healthz.' },
    });
    const del = await fetch(`${bot.url}/api/incidents/1`, { method: 'DELETE' });
    expect(del.status).toBe(405);
  });

  it('/api/incidents is open and empty at first', async () => {
    const res = await fetch(`${bot.url}/api/incidents`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ incidents: [] });
  });

  it('GET /api/incidents?status=bogus is 400 naming status', async () => {
    const res = await fetch(`${bot.url}/api/incidents?status=bogus`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; hint: string } };
    expect(body.error.code).toBe('bot.http.bad_query');
    expect(body.error.message).toMatch(/^status\b/);
    expect(body.error.hint).toBe(
      'status takes a comma-separated list of declared, investigating, mitigated, resolved, closed; limit 1-1000.',
    );
  });

  it.each(['0', '1001', 'abc', '2.5'])('GET /api/incidents?limit=%s is 400 naming limit', async (limit) => {
    const res = await fetch(`${bot.url}/api/incidents?limit=${limit}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bot.http.bad_query');
    expect(body.error.message).toMatch(/^limit\b/);
  });

  it('GET /api/incidents/42 is 404', async () => {
    const res = await fetch(`${bot.url}/api/incidents/42`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: 'bot.incident.not_found', message: 'There is no incident 42.' },
    });
    expect((await fetch(`${bot.url}/api/incidents/INC-42`)).status).toBe(404);
    expect((await fetch(`${bot.url}/api/incidents/${randomUUID()}`)).status).toBe(404);
  });

  it('lists incidents newest first, filters by status and limit, and shows one in detail', async () => {
    const first = await bot.store.createIncident(
      newIncident('Xid 79 on gpu-node-3', '2026-01-02T03:04:05.000Z'),
    );
    const second = await bot.store.createIncident(
      newIncident('OOM on gpu-node-7', '2026-01-02T04:00:00.000Z'),
    );
    await bot.store.updateIncident(second.id, second.version, {
      status: 'resolved',
      resolvedAt: new Date('2026-01-02T05:00:00.000Z'),
      updatedAt: new Date('2026-01-02T05:00:00.000Z'),
    });

    const all = (await (await fetch(`${bot.url}/api/incidents`)).json()) as {
      incidents: { ref: string; title: string; createdAt: string; status: string }[];
    };
    expect(all.incidents.map((i) => [i.ref, i.status])).toEqual([
      [`INC-${second.number}`, 'resolved'],
      [`INC-${first.number}`, 'declared'],
    ]);
    expect(all.incidents[1]).toMatchObject({
      id: first.id,
      number: first.number,
      title: 'Xid 79 on gpu-node-3',
      createdAt: '2026-01-02T03:04:05.000Z',
    });

    const open = (await (await fetch(`${bot.url}/api/incidents?status=declared,investigating`)).json()) as {
      incidents: { id: string }[];
    };
    expect(open.incidents.map((i) => i.id)).toEqual([first.id]);

    const limited = (await (await fetch(`${bot.url}/api/incidents?limit=1`)).json()) as {
      incidents: { id: string }[];
    };
    expect(limited.incidents.map((i) => i.id)).toEqual([second.id]);

    for (const key of [String(first.number), `INC-${first.number}`, `inc-${first.number}`, first.id]) {
      const res = await fetch(`${bot.url}/api/incidents/${key}`);
      expect(res.status).toBe(200);
      const detail = (await res.json()) as Record<string, unknown>;
      expect(detail).toEqual({
        incident: expect.objectContaining({ id: first.id, ref: `INC-${first.number}`, status: 'declared' }),
        roles: [],
        timeline: [],
        actions: [],
      });
    }
  });

  it('decodes route parameters', async () => {
    const res = await fetch(`${bot.url}/test/items/a%20b/%E2%9C%93`);
    expect(await res.json()).toEqual({ a: 'a b', b: '✓' });
  });

  // Regression: router.match calls decodeURIComponent unguarded; a malformed escape is a URIError, answered
  // as a 500 "internal" error (and logged as a server bug) instead of a 4xx.
  it('answers a malformed percent-escape in a path parameter with a 4xx, not 500', async () => {
    const res = await rawGet(bot.port, '/api/incidents/%E0%A4%A');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('answers an unexpected handler error with a generic 500 that hides the cause', async () => {
    const res = await fetch(`${bot.url}/test/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: {
        code: 'bot.internal',
        message: 'Something went wrong on the bot’s side; the log has the details.',
      },
    });
    expect(text).not.toContain('kaboom');
  });

  describe('request bodies (readJson)', () => {
    it('reads a JSON body', async () => {
      const res = await fetch(`${bot.url}/test/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ a: 1 }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ got: { a: 1 } });
    });

    it('accepts a body of exactly the limit', async () => {
      const body = JSON.stringify({ p: 'x'.repeat(92) });
      expect(body.length).toBe(100);
      const res = await fetch(`${bot.url}/test/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(200);
    });

    it('refuses a body over the limit with 413', async () => {
      const res = await fetch(`${bot.url}/test/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ p: 'x'.repeat(93) }),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({
        error: { code: 'bot.http.too_large', message: 'The request body is over 100 bytes.' },
      });
    });

    it('refuses a body over the default 64 KiB limit with 413', async () => {
      const res = await fetch(`${bot.url}/test/echo-default`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ p: 'x'.repeat(70 * 1024) }),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({
        error: { code: 'bot.http.too_large', message: 'The request body is over 65536 bytes.' },
      });
    });

    it('refuses a non-JSON content-type with 415', async () => {
      const res = await fetch(`${bot.url}/test/echo`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{"a":1}',
      });
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({
        error: {
          code: 'bot.http.content_type',
          message: 'The request body must be JSON (content-type: application/json).',
        },
      });
    });

    it('refuses invalid JSON with 400', async () => {
      const res = await fetch(`${bot.url}/test/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: { code: 'bot.http.bad_json', message: 'The request body is not valid JSON.' },
      });
    });
  });
});

describe('HTTP server with API_TOKEN', () => {
  let bot: Running;
  beforeAll(async () => {
    bot = await startServer(TOKEN);
  });
  afterAll(async () => {
    await bot.close();
  });

  it('refuses /api/incidents without a token: 401 JSON with a hint', async () => {
    const res = await fetch(`${bot.url}/api/incidents`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual(UNAUTHORIZED);
  });

  it('accepts Authorization: Bearer <token>', async () => {
    const res = await fetch(`${bot.url}/api/incidents`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ incidents: [] });
  });

  it.each([
    ['a wrong token', 'Bearer wrong'],
    ['a wrong token of the same length', `Bearer ${'x'.repeat(TOKEN.length)}`],
    ['the token with a suffix', `Bearer ${TOKEN}x`],
    ['an empty bearer', 'Bearer '],
    ['basic auth', `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`],
  ])('refuses %s with 401', async (_what, authorization) => {
    const res = await fetch(`${bot.url}/api/incidents`, { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(UNAUTHORIZED);
  });

  it('keeps /healthz open', async () => {
    const res = await fetch(`${bot.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown paths with 401 before revealing 404', async () => {
    expect((await fetch(`${bot.url}/nope`)).status).toBe(401);
    const res = await fetch(`${bot.url}/nope`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
  });

  it('/?token=<token> sets an HttpOnly cookie and redirects with 303; the cookie then authorizes', async () => {
    const res = await fetch(`${bot.url}/?token=${TOKEN}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toBe(`incident_bot_token=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`);

    const cookie = setCookie.split(';')[0]!;
    const api = await fetch(`${bot.url}/api/incidents`, { headers: { cookie } });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ incidents: [] });

    const withOthers = await fetch(`${bot.url}/api/incidents`, {
      headers: { cookie: `theme=dark; ${cookie}; other=1` },
    });
    expect(withOthers.status).toBe(200);
  });

  it('redirects to the page, without the token', async () => {
    const res = await fetch(`${bot.url}/api/incidents?token=${TOKEN}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });

  it('refuses a wrong ?token= and a wrong cookie', async () => {
    const res = await fetch(`${bot.url}/?token=wrong-token`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    const api = await fetch(`${bot.url}/api/incidents`, { headers: { cookie: 'incident_bot_token=wrong' } });
    expect(api.status).toBe(401);
  });

  // Regression: presentedToken() calls decodeURIComponent on the cookie unguarded; a malformed cookie value
  // throws URIError and the request is answered 500 instead of 401.
  it('answers a malformed token cookie with 401, not 500', async () => {
    const res = await rawGet(bot.port, '/api/incidents', { cookie: 'incident_bot_token=%E0%A4%A' });
    expect(res.status).toBe(401);
  });

  // Regression: the redirect's Location is url.pathname, which can start with `//`
  // (`/.//evil.example` normalises to `//evil.example`), a protocol-relative URL to another host.
  it('never redirects off-site after ?token=', async () => {
    const res = await rawGet(bot.port, `/.//evil.example/?token=${TOKEN}`);
    expect(res.status).toBe(303);
    expect(String(res.headers.location)).not.toMatch(/^\/\//);
  });
});

describe('listen', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      if (s.listening) await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  it('rejects when the port is taken', async () => {
    const router = new Router();
    const a = createHttpServer({ router, logger: createLogger('silent'), apiToken: undefined });
    const b = createHttpServer({ router, logger: createLogger('silent'), apiToken: undefined });
    servers.push(a, b);
    const { port } = await listen(a, 0, '127.0.0.1');
    const err = await listen(b, port, '127.0.0.1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BotError);
    expect(err).toMatchObject({
      code: 'bot.http.listen_failed',
      message: `Cannot listen on 127.0.0.1:${port}: the address is already in use.`,
      hint: 'Stop the other process, or choose another PORT / HOST.',
    });
    expect((err as BotError).cause).toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('Router', () => {
  const noop = async () => {};

  it('matches exact paths and :params, escapes regex characters, and tells a wrong method apart', () => {
    const router = new Router().on('GET', '/a.b/:id', noop).on('POST', '/x', noop);
    const hit = router.match('GET', '/a.b/42');
    expect(hit).toMatchObject({ params: { id: '42' } });
    expect(router.match('GET', '/aXb/42')).toBeUndefined();
    expect(router.match('GET', '/a.b/42/more')).toBeUndefined();
    expect(router.match('GET', '/x')).toBe('method');
    expect(router.match('HEAD', '/a.b/1')).toMatchObject({ params: { id: '1' } });
    expect(router.match('GET', '/nothing')).toBeUndefined();
  });
});

describe('logger redaction', () => {
  function capture(): { lines: string[]; stream: Writable } {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { lines, stream };
  }

  it('blanks API_TOKEN and an authorization header', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);
    logger.info({ API_TOKEN: 'secret-value', headers: { authorization: 'Bearer x' } }, 'config loaded');
    const out = lines.join('');
    expect(out).not.toContain('secret-value');
    expect(out).not.toContain('Bearer x');
    const rec = JSON.parse(out) as Record<string, unknown>;
    expect(rec).toMatchObject({
      msg: 'config loaded',
      app: 'incident-bot',
      API_TOKEN: '[redacted]',
      headers: { authorization: '[redacted]' },
    });
  });

  it('blanks secrets nested in a config object, request headers and cookies', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);
    logger.info({
      config: { API_TOKEN: 'nested-api-secret', SLACK_BOT_TOKEN: 'xoxb-secret', OPENAI_API_KEY: 'sk-secret' },
      req: { headers: { authorization: 'Bearer req-secret', cookie: 'incident_bot_token=cookie-secret' } },
      adapter: { token: 'adapter-secret', password: 'pw-secret', privateKey: 'key-secret' },
      token: 'top-token-secret',
    });
    const out = lines.join('');
    for (const secret of [
      'nested-api-secret',
      'xoxb-secret',
      'sk-secret',
      'req-secret',
      'cookie-secret',
      'adapter-secret',
      'pw-secret',
      'key-secret',
      'top-token-secret',
    ]) {
      expect(out).not.toContain(secret);
    }
  });

  // Regression: redact paths are case-sensitive; outgoing request options (fetch, SDK clients)
  // usually spell the header `Authorization`, which is logged in clear.
  it('blanks a capitalised Authorization header', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);
    logger.info({ headers: { Authorization: 'Bearer cap-secret' } }, 'outgoing request');
    expect(lines.join('')).not.toContain('cap-secret');
  });

  it('writes nothing at level silent', () => {
    const { lines, stream } = capture();
    const logger = createLogger('silent', stream);
    logger.error({ API_TOKEN: 'x' }, 'nope');
    expect(lines).toEqual([]);
  });
});
