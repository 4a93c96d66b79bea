import { afterAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { SandboxClient } from '../helpers/sandbox-client.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * A webhook's 200 means the alerts are on disk. Here the bot is killed (SIGKILL, no shutdown) at
 * once after acknowledging a burst of alerts for several groups, wherever its worker had got to
 * (nothing carried, some groups, all of them), then restarted on the same SQLite file: every group ends with exactly one incident holding all
 * of its alerts, and a resend after the restart changes nothing.
 */
describe('kill -9 right after acknowledging alerts', () => {
  const tmp = tempDir();
  let bot: BotProcess | undefined;

  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  const payload = (group: number) => ({
    version: '4',
    groupKey: `{}:{alertname="NodeDown", group="${group}"}`,
    status: 'firing',
    receiver: 'incident-bot',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    truncatedAlerts: 0,
    alerts: [0, 1, 2].map((i) => ({
      status: 'firing',
      labels: { alertname: 'NodeDown', group: String(group), node: `db-${group}-${i}`, severity: 'warning' },
      annotations: { summary: `db-${group}-${i} is down` },
      startsAt: '2026-11-22T03:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: `g${group}-a${i}`,
    })),
  });
  const post = (b: BotProcess, body: unknown) =>
    fetch(`${b.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('carries every acknowledged alert after the restart, one incident per group', async () => {
    const env = { DATABASE_URL: `sqlite:${tmp.dir}/bot.db` };
    bot = await startBotProcess(env);
    const groups = [1, 2, 3, 4];
    const answers = await Promise.all(groups.map((g) => post(bot!, payload(g))));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await bot.kill();

    bot = await startBotProcess(env);
    const alice = new SandboxClient(bot.url, 'alice');
    const incidents = await waitFor(
      async () => {
        const list = (await alice.request('GET', '/api/incidents')).body.incidents as any[];
        return list.length >= groups.length && list;
      },
      'an incident per group after the restart',
      15_000,
    );
    expect(incidents).toHaveLength(groups.length);
    // Each incident holds its group's three alerts, once.
    for (const incident of incidents) {
      const detail = await waitFor(async () => {
        const d = await alice.incident(incident.number);
        const entries = d.timeline.filter((e: any) => e.kind === 'alert');
        return entries.length > 0 && d;
      }, `the alerts of INC-${incident.number}`);
      const alertEntries = detail.timeline.filter((e: any) => e.kind === 'alert');
      expect(alertEntries).toHaveLength(1);
      expect(alertEntries[0].text).toMatch(/^3 firing: /);
    }
    // Alertmanager resends after the restart: nothing new.
    expect((await post(bot, payload(1))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(((await alice.request('GET', '/api/incidents')).body.incidents as any[]).length).toBe(
      groups.length,
    );
  });
});
