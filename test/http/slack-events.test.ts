import { request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundHandler } from '../../src/chat/port.ts';
import { SlackChat } from '../../src/chat/slack/adapter.ts';
import { boltLogger } from '../../src/chat/slack/bolt-logger.ts';
import {
  MountedHttpReceiver,
  SLACK_BODY_LIMIT,
  SLACK_IN_FLIGHT_LIMIT,
} from '../../src/chat/slack/receiver.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, HTTP_TIMEOUTS, listen } from '../../src/http/server.ts';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { waitFor } from '../helpers/wait.ts';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: any;
}

/**
 * Opens a request to /slack/events that announces `length` bytes, sends `sent` of them and
 * then holds the connection, as the attacker did; resolves with the answer while the body is
 * still unfinished. `release()` closes the connection.
 */
function unfinished(
  port: number,
  headers: Record<string, string>,
  length: number,
  sent: number,
): { answer: Promise<Answer>; release(): void } {
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/slack/events',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': String(length), ...headers },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text || 'null') }),
      );
    });
    req.on('error', reject);
  });
  req.write(Buffer.alloc(sent, 'x'));
  return {
    answer,
    release: () => {
      req.destroy();
    },
  };
}

const now = () => Math.floor(Date.now() / 1000);
/** Headers that look signed (the signature is junk, which only the whole body could tell). */
const looksSigned = (ts = now()) => ({
  'x-slack-signature': `v0=${'0'.repeat(64)}`,
  'x-slack-request-timestamp': String(ts),
});

describe('/slack/events before the signature check', () => {
  let fake: FakeSlack;
  let chat: SlackChat;
  let receiver: MountedHttpReceiver;
  let server: Server;
  let port: number;
  let url: string;
  const inbound: string[] = [];
  const handler: InboundHandler = async (event) => {
    inbound.push(event.type);
    return undefined;
  };

  beforeAll(async () => {
    fake = await startFakeSlack();
    const logger = pino({ level: 'silent' });
    // The real adapter in HTTP mode, mounted on the bot's own server as main.ts mounts it.
    chat = new SlackChat({
      botToken: fake.botToken,
      signingSecret: fake.signingSecret,
      apiUrl: fake.url,
      logger,
    });
    receiver = chat.httpReceiver!;
    const router = new Router();
    router.on('POST', '/slack/events', async (req, res) => receiver.handle(req, res));
    server = createHttpServer({ router, logger, apiToken: undefined });
    ({ port, url } = await listen(server, 0, '127.0.0.1'));
    await chat.start(handler);
    fake.useHttp(`${url}/slack/events`);
  });

  afterAll(async () => {
    await chat?.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await fake?.close();
  });

  it('refuses 100 unsigned, unfinished requests at once with 401, holding none of their bodies', async () => {
    const held = Array.from({ length: 100 }, () => unfinished(port, {}, 4 * 1024 * 1024, 16 * 1024));
    const answers = await Promise.all(held.map((r) => r.answer));
    expect(receiver.inFlightBytes).toBe(0);
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.json).toEqual({
        error: {
          code: 'bot.slack.unsigned',
          message: expect.stringContaining('no Slack signature'),
          hint: expect.stringContaining('signing secret'),
        },
      });
    }
    for (const r of held) r.release();
  });

  it.each([
    ['ten minutes old', now() - 600],
    ['two minutes ahead', now() + 120],
    ['not a number', Number.NaN],
  ])('refuses a timestamp %s at once with 401, before reading the body', async (_what, ts) => {
    const r = unfinished(port, looksSigned(ts), 512 * 1024, 1024);
    const a = await r.answer;
    r.release();
    expect(a.status).toBe(401);
    expect(a.json.error.code).toBe('bot.slack.stale');
  });

  it('refuses a body announced over the cap at once with 413', async () => {
    const r = unfinished(port, looksSigned(), SLACK_BODY_LIMIT + 1, 1024);
    const a = await r.answer;
    r.release();
    expect(a.status).toBe(413);
    expect(a.json.error.code).toBe('bot.slack.too_large');
  });

  it('caps the bytes of unverified bodies in flight: the rest get 503 with Retry-After', async () => {
    // 100 requests that look signed, each announcing 1 MiB and sending 1 KiB of it.
    const held = Array.from({ length: 100 }, () => unfinished(port, looksSigned(), SLACK_BODY_LIMIT, 1024));
    const admitted = SLACK_IN_FLIGHT_LIMIT / SLACK_BODY_LIMIT;
    const answers: Answer[] = [];
    for (const r of held)
      void r.answer.then(
        (a) => answers.push(a),
        () => undefined,
      );
    await waitFor(
      () => answers.length === held.length - admitted,
      'the requests past the budget to be refused',
    );
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.headers['retry-after']).toBe('1');
      expect(a.json.error.code).toBe('bot.slack.busy');
    }
    // What the bot holds for them is the cap, however many came: not 100 MiB.
    expect(receiver.inFlightBytes).toBe(SLACK_IN_FLIGHT_LIMIT);
    for (const r of held) r.release();
    await waitFor(() => receiver.inFlightBytes === 0, 'the budget to be given back');
    expect(answers).toHaveLength(held.length - admitted);
  });

  it('still takes signed requests: the URL check and a slash command', async () => {
    const check = await fake.postSigned(
      `${url}/slack/events`,
      'event',
      fake.build.urlVerification('still-here'),
    );
    expect(check.status).toBe(200);
    expect(check.body).toContain('still-here');
    const cmd = await fake.as('U0CAROL').command('C0GENERAL', 'help');
    expect(cmd.delivery.status).toBe(200);
    await waitFor(() => inbound.includes('command'), 'the command to reach the bot');
    expect(receiver.inFlightBytes).toBe(0);
  });

  it('takes a signed request with a timestamp a little ahead (clock skew), refuses a forged one', async () => {
    const ahead = await fake.postSigned(`${url}/slack/events`, 'event', fake.build.urlVerification('skew'), {
      timestamp: now() + 30,
    });
    expect(ahead.status).toBe(200);
    const forged = await fake.postSigned(`${url}/slack/events`, 'event', fake.build.urlVerification('x'), {
      forgeSignature: true,
    });
    expect(forged.status).toBe(401);
    expect((forged.json as any).error.code).toBe('bot.slack.bad_signature');
    const future = await fake.postSigned(`${url}/slack/events`, 'event', fake.build.urlVerification('x'), {
      timestamp: now() + 3600,
    });
    expect(future.status).toBe(401);
    expect((future.json as any).error.code).toBe('bot.slack.stale');
  });

  it("answers Slack's unsigned ssl_check with 200, and nothing else unsigned", async () => {
    const post = (body: string) =>
      fetch(`${url}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    expect((await post('ssl_check=1&token=legacy-token')).status).toBe(200);
    // Bolt's ssl_check once let a smuggled payload through (bolt-js #2897): it never reaches Bolt here.
    const smuggled = await post(
      `ssl_check=1&payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U0X' } }))}`,
    );
    expect(smuggled.status).toBe(200);
    expect((await post('command=%2Fincident&text=declare')).status).toBe(401);
    expect(inbound.filter((t) => t !== 'command')).toEqual([]);
  });
});

describe('/slack/events body deadline', () => {
  it('refuses a signed-looking body that trickles for longer than Slack would wait, with 408', async () => {
    const receiver = new MountedHttpReceiver({
      signingSecret: 'deadline-secret-0123456789',
      logger: boltLogger(pino({ level: 'silent' })),
      bodyDeadlineMs: 200,
    });
    const router = new Router();
    router.on('POST', '/slack/events', async (req, res) => receiver.handle(req, res));
    const server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
    const { port } = await listen(server, 0, '127.0.0.1');
    try {
      const r = unfinished(port, looksSigned(), 64 * 1024, 1024);
      const a = await r.answer;
      r.release();
      expect(a.status).toBe(408);
      expect(a.json.error.code).toBe('bot.slack.slow');
      await waitFor(() => receiver.inFlightBytes === 0, 'the budget to be given back');
    } finally {
      server.closeAllConnections();
      await new Promise((res) => server.close(res));
    }
  });
});

describe('slow clients on the HTTP server', () => {
  it('uses timeouts that cut slow clients off, and checks them every second', () => {
    const server = createHttpServer({
      router: new Router(),
      logger: pino({ level: 'silent' }),
      apiToken: undefined,
    });
    expect(server.headersTimeout).toBe(HTTP_TIMEOUTS.headersTimeout);
    expect(server.requestTimeout).toBe(HTTP_TIMEOUTS.requestTimeout);
    expect(server.keepAliveTimeout).toBe(HTTP_TIMEOUTS.keepAliveTimeout);
  });

  it('answers a client that never finishes its headers with 408 and closes, one that trickles its body too, and one that is not HTTP with 400', async () => {
    const router = new Router();
    router.on('POST', '/sink', async (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const server = createHttpServer({
      router,
      logger: pino({ level: 'silent' }),
      apiToken: undefined,
      timeouts: { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 },
    });
    const { port } = await listen(server, 0, '127.0.0.1');
    const until = (socket: Socket) =>
      new Promise<string>((resolve) => {
        let got = '';
        socket.on('data', (d) => {
          got += d.toString();
        });
        socket.on('close', () => resolve(got));
        socket.on('error', () => undefined);
      });
    try {
      const headers = connect(port, '127.0.0.1');
      headers.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      const garbage = connect(port, '127.0.0.1');
      garbage.write('NOT HTTP AT ALL\r\n\r\n');
      const body = connect(port, '127.0.0.1');
      body.write('POST /sink HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nabc');
      // Bounded generously: the point is that they are cut off at all, not how fast.
      const [a, b, c] = await Promise.race([
        Promise.all([until(headers), until(body), until(garbage)]),
        new Promise<never>((_, rej) =>
          setTimeout(() => rej(new Error('slow clients were never cut off')), 10_000),
        ),
      ]);
      for (const answer of [a, b]) {
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
        // Node's own refusal, as one line of JSON like every other.
        expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code).toBe('bot.http.timeout');
      }
      expect(c).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(c.slice(c.indexOf('\r\n\r\n') + 4)).error.code).toBe('bot.http.bad_request');
    } finally {
      server.closeAllConnections();
      await new Promise((res) => server.close(res));
    }
  });
});
