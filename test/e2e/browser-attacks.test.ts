import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { rawRequest } from '../helpers/raw-http.ts';

/** What a browser sends, Host, Origin and Sec-Fetch-* included (fetch would not let us). */
const raw = (url: string, method: string, path: string, headers: Record<string, string>, body?: string) =>
  rawRequest(new URL(url).port, method, path, headers, body);

const SEV1 = JSON.stringify({
  alerts: [
    { name: 'DatacenterOnFire', status: 'firing', severity: 'page', node: 'gpu-node-1', summary: 'forged' },
  ],
});

/** Everything a page on http://evil.example adds to a CORS "simple request". */
const EVIL_PAGE = {
  origin: 'http://evil.example',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  'content-type': 'text/plain;application/json',
};

describe('browser attacks on the default bot (loopback, no tokens)', () => {
  const tmp = tempDir();
  let bot: BotProcess;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
  });
  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  const incidents = async () => ((await (await fetch(`${bot.url}/api/incidents`)).json()) as any).incidents;

  /** Runs the attack and checks it opened no incident (the alert worker had time to). */
  const opensNothing = async (attack: () => Promise<void>) => {
    const before = (await incidents()).length;
    await attack();
    await new Promise((r) => setTimeout(r, 300));
    expect(await incidents()).toHaveLength(before);
  };

  it('refuses the cross-site simple request that opened SEV1 incidents, and opens nothing', async () => {
    await opensNothing(async () => {
      const res = await raw(bot.url, 'POST', '/webhooks/generic', EVIL_PAGE, SEV1);
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('bot.http.cross_site');
      // The same body without the browser's headers, as an old browser might send it: not JSON.
      const bare = await raw(
        bot.url,
        'POST',
        '/webhooks/generic',
        { 'content-type': 'text/plain;application/json' },
        SEV1,
      );
      expect(bare.status).toBe(415);
      expect(bare.json.error.code).toBe('bot.http.content_type');
    });
  });

  it('refuses a rebound DNS name in Host, on the page, the API and the webhooks, and opens nothing', async () => {
    await opensNothing(async () => {
      const host = { host: `evil.example:${new URL(bot.url).port}` };
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/api/incidents'],
        ['GET', '/sandbox/api/workspace?user=alice'],
      ]) {
        const res = await raw(bot.url, method!, path!, host);
        expect(res.status, path).toBe(421);
        expect(res.json.error.code).toBe('bot.http.host');
      }
      const hook = await raw(
        bot.url,
        'POST',
        '/webhooks/generic',
        { ...host, 'content-type': 'application/json' },
        SEV1,
      );
      expect(hook.status).toBe(421);
    });
  });

  it('refuses a page on another localhost port clicking in the sandbox, and opens nothing', async () => {
    await opensNothing(async () => {
      const general = (
        (await (await fetch(`${bot.url}/sandbox/api/workspace?user=alice`)).json()) as any
      ).channels.find((c: any) => c.name === 'general').id;
      const body = JSON.stringify({
        user: 'alice',
        channelId: general,
        text: '/incident declare forged --severity SEV1',
      });
      const res = await raw(
        bot.url,
        'POST',
        '/sandbox/api/send',
        {
          'content-type': 'application/json',
          origin: 'http://localhost:8081',
          'sec-fetch-site': 'same-site',
        },
        body,
      );
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('bot.http.cross_site');
    });
  });

  it('sends the anti-framing and nosniff headers with the page', async () => {
    const res = await fetch(`${bot.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('a bot behind a TLS proxy (PUBLIC_URL)', () => {
  const tmp = tempDir();
  const API_TOKEN = 'public-url-token-0123456789';
  let bot: BotProcess;

  beforeAll(async () => {
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      API_TOKEN,
      PUBLIC_URL: 'https://incidents.example.com',
    });
  });
  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  it('takes PUBLIC_URL’s host, refuses another, and sets a Secure cookie', async () => {
    const ok = await raw(bot.url, 'GET', `/?token=${API_TOKEN}`, { host: 'incidents.example.com' });
    expect(ok.status).toBe(303);
    expect(String(ok.headers['set-cookie'])).toBe(
      `incident_bot_token=${API_TOKEN}; HttpOnly; SameSite=Strict; Path=/; Secure`,
    );
    const other = await raw(bot.url, 'GET', '/api/incidents', {
      host: 'evil.example',
      authorization: `Bearer ${API_TOKEN}`,
    });
    expect(other.status).toBe(421);
  });
});
