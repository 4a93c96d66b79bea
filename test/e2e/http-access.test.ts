import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';

const API_TOKEN = 'loopback-api-token-0123456789';

async function call(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

async function generalId(url: string, headers: Record<string, string>): Promise<string> {
  const res = await call(`${url}/sandbox/api/workspace?user=alice`, 'GET', headers);
  return res.json.channels.find((c: { name: string }) => c.name === 'general').id;
}

/** What the attacker reached behind a same-host proxy: /api, /metrics and the sandbox. */
const GUARDED: readonly [string, string, unknown?][] = [
  ['GET', '/api/incidents'],
  ['GET', '/metrics'],
  ['GET', '/'],
  ['GET', '/sandbox/api/workspace?user=alice'],
  ['POST', '/sandbox/api/send', { user: 'alice', channelId: 'C-none', text: '/incident declare forged' }],
];

describe('a bot on 127.0.0.1 with API_TOKEN set', () => {
  const tmp = tempDir();
  let bot: BotProcess;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db`, API_TOKEN });
  });
  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  it.each(GUARDED)('enforces the token on %s %s, whatever HOST is', async (method, path, body) => {
    const res = await call(`${bot.url}${path}`, method, {}, body);
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('bot.http.unauthorized');
    expect(res.json.error.hint).toContain('Authorization: Bearer <API_TOKEN>');
  });

  it('answers the same calls with the token', async () => {
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    expect((await call(`${bot.url}/api/incidents`, 'GET', auth)).json).toEqual({ incidents: [] });
    expect((await fetch(`${bot.url}/metrics`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${bot.url}/`, { headers: auth })).status).toBe(200);
  });

  it('keeps /healthz and /readyz open', async () => {
    expect((await call(`${bot.url}/healthz`, 'GET')).status).toBe(200);
    expect((await call(`${bot.url}/readyz`, 'GET')).status).toBe(200);
  });

  it('refuses a declare in #general without the token, and writes nothing', async () => {
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    const general = await generalId(bot.url, auth);
    const declare = { user: 'alice', channelId: general, text: '/incident declare forged --severity SEV1' };
    expect((await call(`${bot.url}/sandbox/api/send`, 'POST', {}, declare)).status).toBe(401);
    expect((await call(`${bot.url}/api/incidents`, 'GET', auth)).json.incidents).toEqual([]);
  });
});

describe('a bot on 127.0.0.1 without API_TOKEN, reached through a proxy', () => {
  const tmp = tempDir();
  let bot: BotProcess;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
  });
  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  const PROXIED: readonly Record<string, string>[] = [
    { 'x-forwarded-for': '203.0.113.7' },
    { forwarded: 'for=203.0.113.7;proto=https' },
    { 'x-real-ip': '203.0.113.7' },
  ];

  it.each(
    GUARDED.flatMap(([method, path, body]) =>
      PROXIED.map((h) => [method, path, Object.keys(h)[0]!, h, body] as const),
    ),
  )(
    'refuses %s %s carrying %s with 403, saying to set API_TOKEN',
    async (method, path, _name, headers, body) => {
      const res = await call(`${bot.url}${path}`, method, headers, body);
      expect(res.status).toBe(403);
      expect(res.json).toEqual({
        error: {
          code: 'bot.http.proxied',
          message: expect.stringContaining('came through a proxy'),
          hint: expect.stringContaining('Set API_TOKEN'),
        },
      });
    },
  );

  it('keeps /healthz and /readyz open through the proxy', async () => {
    for (const headers of PROXIED) {
      expect((await call(`${bot.url}/healthz`, 'GET', headers)).status).toBe(200);
      expect((await call(`${bot.url}/readyz`, 'GET', headers)).status).toBe(200);
    }
  });

  it('refuses a proxied declare in #general and writes nothing, while this machine is still served', async () => {
    const general = await generalId(bot.url, {});
    const declare = { user: 'alice', channelId: general, text: '/incident declare forged --severity SEV1' };
    for (const headers of PROXIED) {
      expect((await call(`${bot.url}/sandbox/api/send`, 'POST', headers, declare)).status).toBe(403);
    }
    expect((await call(`${bot.url}/api/incidents`, 'GET')).json).toEqual({ incidents: [] });
  });
});

/** The start-up warnings as the log has them: `{ level: 40, variable, because, msg }`. */
function warnings(bot: BotProcess): { variable: string; because: string[]; msg: string }[] {
  return bot.output.flatMap((line) => {
    try {
      const rec = JSON.parse(line);
      return rec.level === 40 && rec.variable ? [rec] : [];
    } catch {
      return [];
    }
  });
}

describe('start-up warnings for tokens a proxy would need', () => {
  const tmp = tempDir();
  let bare: BotProcess;
  let published: BotProcess;

  beforeAll(async () => {
    bare = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bare.db` });
    published = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/published.db`,
      PUBLIC_URL: 'https://incidents.example.com',
    });
  });
  afterAll(async () => {
    await bare?.stop();
    await published?.stop();
    tmp.remove();
  });

  it('warns about nothing on a plain loopback bot', () => {
    expect(warnings(bare)).toEqual([]);
  });

  it('warns, naming the variable and why, when PUBLIC_URL says a proxy is in front', () => {
    const found = warnings(published);
    expect(found.map((w) => w.variable)).toEqual(['WEBHOOK_TOKEN', 'API_TOKEN']);
    for (const w of found) {
      expect(w.because).toEqual(['PUBLIC_URL=https://incidents.example.com is served through a proxy']);
      expect(w.msg).toContain(`Set ${w.variable}`);
    }
  });

  it('still refuses proxied calls there', async () => {
    const res = await call(
      `${published.url}/webhooks/generic`,
      'POST',
      { 'x-forwarded-for': '203.0.113.7' },
      {},
    );
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('bot.webhook.proxied');
  });
});
