import { request, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { registerWebhooks, WEBHOOK_BODY_LIMIT } from '../../src/http/webhooks.ts';
import type { AlertService } from '../../src/incidents/alerts.ts';
import { alertService } from '../incidents/alert-service.ts';
import { harness } from '../incidents/harness.ts';

interface Outcome {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: any;
  /** An error the client saw on its side (a reset while sending, say), after or instead of the answer. */
  readonly clientError: string | undefined;
}

/**
 * A well-behaved client: sends its whole body (announced with content-length, or chunked), reads
 * the answer, and reports whatever error its socket saw until it closed.
 */
function send(port: number, body: Buffer, how: 'content-length' | 'chunked'): Promise<Outcome> {
  return new Promise((resolve) => {
    let status = 0;
    let headers: Outcome['headers'] = {};
    let text = '';
    let clientError: string | undefined;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/webhooks/generic',
        agent: false,
        headers: {
          'content-type': 'application/json',
          ...(how === 'content-length'
            ? { 'content-length': body.length }
            : { 'transfer-encoding': 'chunked' }),
        },
      },
      (res) => {
        status = res.statusCode ?? 0;
        headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      clientError = err.code ?? err.message;
    });
    req.on('close', () => {
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status, headers, json, clientError });
    });
    // In 64 KiB writes, each after the last was taken, as a client streaming from disk would:
    // the server, not the kernel's buffers, decides how the connection ends.
    void (async () => {
      for (let i = 0; i < body.length && !req.destroyed; i += 64 * 1024) {
        await new Promise<void>((done) => req.write(body.subarray(i, i + 64 * 1024), () => done()));
      }
      if (!req.destroyed) req.end();
    })();
  });
}

const TOO_LARGE = {
  error: {
    code: 'bot.http.too_large',
    message: `The request body is over ${WEBHOOK_BODY_LIMIT} bytes.`,
    hint: expect.stringContaining('max_alerts'),
  },
};

describe('a webhook body over the limit', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  let alerts: AlertService;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    h = await harness();
    alerts = alertService(h, { groupBy: ['alertname'], nodeLabels: ['node'] });
    await alerts.stop();
    const router = new Router();
    registerWebhooks(router, { alerts, token: undefined });
    server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
    ({ port } = await listen(server, 0, '127.0.0.1'));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await h.close();
  });

  // 5 MiB of a JSON string: valid JSON, just too much of it.
  const fiveMiB = Buffer.from(JSON.stringify({ padding: 'x'.repeat(5 * 1024 * 1024) }));

  it.each(['content-length', 'chunked'] as const)(
    'sent with %s, gets the 413 JSON answer and a clean close, not a reset',
    async (how) => {
      const out = await send(port, fiveMiB, how);
      expect(out.clientError).toBeUndefined();
      expect(out.status).toBe(413);
      expect(out.headers.connection).toBe('close');
      expect(out.json).toEqual(TOO_LARGE);
    },
  );

  // fetch keeps connections alive and sends while it reads: a server that closes with the body
  // unread resets some of them (4 of 12 before the fix), and fetch then throws instead of answering.
  it('answers fetch with the 413 every time, 12 in a row', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/webhooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: fiveMiB,
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual(TOO_LARGE);
    }
  });

  it('answers at once when content-length already says too much, then drains what follows', async () => {
    const announced = 5 * 1024 * 1024;
    const out = await new Promise<{ status: number; json: any; clientError?: string }>((resolve) => {
      let status = 0;
      let text = '';
      let clientError: string | undefined;
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/webhooks/generic',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': announced },
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        clientError = err.code;
      });
      // The answer comes while only 1 KiB of the 5 MiB was sent; the client then sends the rest.
      req.on('response', (res) => {
        status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        req.end(Buffer.alloc(announced - 1024, ' '));
      });
      req.on('close', () =>
        resolve({ status, json: JSON.parse(text || 'null'), ...(clientError ? { clientError } : {}) }),
      );
      req.write(Buffer.alloc(1024, ' '));
    });
    expect(out).toEqual({ status: 413, json: TOO_LARGE });
  });

  it('still takes a body of the limit, and answers afterwards', async () => {
    const atLimit = Buffer.alloc(WEBHOOK_BODY_LIMIT, ' ');
    atLimit.write('{"alerts":[{"name":"AtTheLimit","status":"firing"}]}');
    const out = await send(port, atLimit, 'content-length');
    expect(out.clientError).toBeUndefined();
    expect(out.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/webhooks/nope`, { method: 'POST' })).status).toBe(404);
  });
});

describe('a refusal before the body is read', () => {
  it('ends cleanly too: 12 unauthenticated 5 MiB posts in a row all read their 401', async () => {
    const router = new Router();
    router.on('POST', '/sandbox/api/send', async (_req, res) => {
      res.end('never');
    });
    const server = createHttpServer({
      router,
      logger: pino({ level: 'silent' }),
      apiToken: 'body-limits-token-0123456789',
    });
    const { url } = await listen(server, 0, '127.0.0.1');
    try {
      const body = Buffer.alloc(5 * 1024 * 1024, ' ');
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${url}/sandbox/api/send`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(res.status).toBe(401);
        expect(((await res.json()) as any).error.code).toBe('bot.http.unauthorized');
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
