import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigBody } from '../../bench/webhook-big-body.ts';
import { registerApi } from '../../src/http/api.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { registerWebhooks } from '../../src/http/webhooks.ts';
import type { AlertService } from '../../src/incidents/alerts.ts';
import { tempDir } from '../helpers/bot-process.ts';
import { alertService } from '../incidents/alert-service.ts';
import { harness } from '../incidents/harness.ts';

const ALERTS = 60_000;

/** The alert webhooks and /healthz on the real HTTP server, over a harness on a SQLite file. */
async function serve(h: Awaited<ReturnType<typeof harness>>, alerts: AlertService) {
  const router = new Router();
  registerApi(router, { store: h.store });
  registerWebhooks(router, { alerts, token: undefined });
  const server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
  const { url } = await listen(server, 0, '127.0.0.1');
  const close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { url, close };
}

/** GET /healthz back to back until stopped: each answer's time is how long the bot left it waiting. */
function probeHealthz(url: string) {
  let done = false;
  const times: number[] = [];
  const probing = (async () => {
    while (!done) {
      const t0 = performance.now();
      await (await fetch(`${url}/healthz`)).arrayBuffer();
      times.push(performance.now() - t0);
    }
  })();
  return {
    async stop() {
      done = true;
      await probing;
      return times;
    },
  };
}

/**
 * A storm's notification of 60,000 alerts (3.4 MiB, under the 4 MiB limit) through the HTTP
 * server, on a SQLite file as the bot runs. Before the receive path worked in slices, the bot
 * answered nothing else for the whole 1.5 s it took (measured: bench/webhook-big-body.ts).
 *
 * The alert worker is stopped: it carries stored alerts to incidents after the 200, which is not
 * the receive path under test here.
 */
describe('a 60,000-alert webhook body', () => {
  const tmp = tempDir();
  let h: Awaited<ReturnType<typeof harness>>;
  let alerts: AlertService;
  let http: Awaited<ReturnType<typeof serve>>;
  let url: string;

  beforeAll(async () => {
    h = await harness({ database: `${tmp.dir}/bot.db` });
    alerts = alertService(h, { groupBy: ['alertname'], nodeLabels: ['node'] });
    await alerts.stop();
    http = await serve(h, alerts);
    url = http.url;
  });

  afterAll(async () => {
    await http.close();
    await h.close();
    tmp.remove();
  });

  const post = (body: string) =>
    fetch(`${url}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('is stored whole, answered 200 after the commit, while /healthz keeps answering', async () => {
    const body = bigBody(ALERTS, 'storm-60k');
    expect(body.length).toBeLessThan(4 * 1024 * 1024);
    const probe = probeHealthz(url);
    const res = await post(body);
    const healthz = await probe.stop();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'stored', alerts: ALERTS, groups: ['generic:storm-60k'] });
    expect(await h.store.listGroupAlerts('generic:storm-60k')).toHaveLength(ALERTS);
    // Generous bounds: the bot answered others during the request, none of them waiting a second.
    expect(healthz.length).toBeGreaterThan(5);
    expect(Math.max(...healthz)).toBeLessThan(1_000);
  }, 60_000);

  it('is refused whole with 400 naming the first bad alert, storing nothing', async () => {
    const payload = JSON.parse(bigBody(ALERTS, 'storm-bad'));
    payload.alerts[45_000].startsAt = 'yesterday';
    payload.alerts[50_000].status = 'burning';
    const res = await post(JSON.stringify(payload));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as any;
    expect(error.code).toBe('bot.alerts.invalid_payload');
    expect(error.message).toMatch(
      /^alerts\[45000\]\.startsAt: expected an RFC 3339 timestamp.* \(and 1 more problem\)$/,
    );
    expect(await h.store.listGroupAlerts('generic:storm-bad')).toEqual([]);
  });

  it('names a bad field outside the alerts as a small body would', async () => {
    const payload = JSON.parse(bigBody(ALERTS, 'storm-typo'));
    payload.serverity = 'page';
    const big = await post(JSON.stringify(payload));
    const small = await post(JSON.stringify({ ...payload, alerts: payload.alerts.slice(0, 3) }));
    expect(big.status).toBe(400);
    expect(await big.json()).toEqual(await small.json());
    expect(await h.store.listGroupAlerts('generic:storm-typo')).toEqual([]);
  });

  it('counts one alert sent twice in one body once, the later status winning, across slices', async () => {
    const payload = JSON.parse(bigBody(5_000, 'storm-twice'));
    payload.alerts[4_999] = { ...payload.alerts[0], status: 'resolved' };
    expect((await post(JSON.stringify(payload))).status).toBe(200);
    const stored = await h.store.listGroupAlerts('generic:storm-twice');
    expect(stored).toHaveLength(4_999);
    const twice = stored.find((a) => a.labels.node === 'gpu-0')!;
    expect(twice).toMatchObject({ status: 'resolved', receivedCount: 2 });
  });
});

/**
 * After the 200, the worker carries the 60,000 alerts to their incident. SQLite answers
 * synchronously, so a carry written as a few big queries stalled the bot for 3 to 5 s (an index on
 * status walked every alert per update, one read took all 60,000 rows, triage resolved each of
 * 60,000 names); it works in pages and slices now.
 */
describe('carrying a 60,000-alert group to its incident', () => {
  const tmp = tempDir();
  let h: Awaited<ReturnType<typeof harness>>;
  let alerts: AlertService;
  let http: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    h = await harness({ database: `${tmp.dir}/bot.db` });
    alerts = alertService(h, { groupBy: ['alertname'], nodeLabels: ['node'], runbooks: h.runbooks });
    alerts.start();
    http = await serve(h, alerts);
  });

  afterAll(async () => {
    await alerts.stop();
    await http.close();
    await h.close();
    tmp.remove();
  });

  it('keeps /healthz answering while the worker opens the incident and carries every alert', async () => {
    const res = await fetch(`${http.url}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bigBody(ALERTS, 'storm-carry'),
    });
    expect(res.status).toBe(200);
    const probe = probeHealthz(http.url);
    await alerts.idle();
    const healthz = await probe.stop();
    const [incident] = await h.incidents.list();
    expect(await h.store.countIncidentAlerts(incident!.id)).toEqual({ firing: ALERTS, resolved: 0 });
    expect(await h.store.listPendingAlertGroups()).toEqual([]);
    expect(healthz.length).toBeGreaterThan(5);
    expect(Math.max(...healthz)).toBeLessThan(1_000);
  }, 60_000);
});
