import { afterAll, describe, expect, it } from 'vitest';
import { xid79Notification } from '../alerts/fixtures.ts';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { freshSchema, pgSuite, urlWithSchema } from '../store/postgres-db.ts';

/**
 * Issue 8 (item 5): `kill -9` at random points of the whole flow, alert → channel → approval →
 * action, then a restart on the same database, on SQLite and on PostgreSQL, with the real Slack
 * adapter against the fake Slack (which outlives the bot, so what was posted stays visible). Each
 * run ends with one channel, each message once, the drain run at most once and every timeline entry
 * there once. A failure prints the command that replays it (FAULT_SEED is the first round's seed);
 * FAULT_ROUNDS runs more rounds.
 */
const GIVEN_SEED = process.env.FAULT_SEED === undefined ? undefined : Number(process.env.FAULT_SEED);
const SEED = GIVEN_SEED ?? Date.now() % 1_000_000;
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 2);
/** Round n's seed: FAULT_SEED + n on both databases when given, else different ones per database. */
const seedFor = (database: 'sqlite' | 'postgres', round: number) =>
  GIVEN_SEED !== undefined ? GIVEN_SEED + round : SEED + (database === 'postgres' ? 1000 : 0) + round;

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runFlow(env: Record<string, string>, seed: number): Promise<void> {
  const rand = random(seed);
  // Slack answering in 100 ms keeps calls in flight long enough for the kills to land among them.
  const fake: FakeSlack = await startFakeSlack({ latencyMs: 100 });
  const kills: string[] = [];
  let bot: BotProcess | undefined;
  const fullEnv = {
    ...env,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: fake.signingSecret,
    SLACK_API_URL: fake.url,
    SLACK_ANNOUNCE_CHANNEL: '#incidents',
  };
  const start = async () => {
    bot = await startBotProcess(fullEnv);
    fake.useHttp(`${bot.url}/slack/events`);
    return bot;
  };
  /**
   * Runs `trigger` and kills the bot (SIGKILL) at a random point of what follows: as the Nth Slack
   * Web API call arrives, N random up to `maxCalls`, that call either taken by Slack with its answer
   * lost or never taken; if fewer calls come within `maxMs`, then. Then starts it again.
   */
  const crashDuring = async (
    what: string,
    maxCalls: number,
    maxMs: number,
    trigger: () => Promise<unknown>,
  ) => {
    const atCall = 1 + Math.floor(rand() * maxCalls);
    const taken = rand() < 0.5;
    let calls = 0;
    let killing: Promise<void> | undefined;
    const atNth = new Promise<string>((resolve) => {
      fake.onCall(async (method) => {
        if (killing) return 'drop';
        calls += 1;
        if (calls < atCall) return undefined;
        killing = bot!.kill();
        await killing;
        resolve(
          `${what}: at Slack call ${calls} (${method}, ${taken ? 'taken, answer lost' : 'never taken'})`,
        );
        return taken ? undefined : 'drop';
      });
    });
    const pending = trigger().catch(() => undefined);
    const how = await Promise.race([atNth, sleep(maxMs).then(() => undefined)]);
    if (!how) {
      killing ??= bot!.kill();
      kills.push(`${what}: after ${calls} Slack calls (${maxMs} ms)`);
    } else {
      kills.push(how);
    }
    await killing;
    fake.onCall(undefined);
    await pending;
    await start();
  };
  const api = async (path: string) => (await (await fetch(`${bot!.url}${path}`)).json()) as any;
  const suite = env.DATABASE_URL!.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';
  const describeRun = () =>
    `seed ${seed} (replay: FAULT_SEED=${seed} FAULT_ROUNDS=1 npx vitest run test/e2e/crash-flow.test.ts -t ${suite}); kills: ${kills.join(', ')}`;

  try {
    await start();
    // 1. The alert: acknowledged, then the process dies somewhere in opening the incident.
    await crashDuring('after the alert', 14, 6000, () =>
      fetch(`${bot!.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(xid79Notification()),
      }),
    );
    const channel = await waitFor(
      () => fake.channels().find((c) => c.name.startsWith('inc-1-')),
      `the incident channel (${describeRun()})`,
      20_000,
    );
    const requestMessage = () =>
      fake.messages(channel.id).find((m) => m.byBot && m.text.startsWith('🛠️ drain gpu-node-5'));
    // The runbook's triage requests the drain; a triage the crash cut off is not run again (the
    // channel is told), so then a person requests it, as they would.
    const first = await waitFor(
      () =>
        requestMessage() ??
        fake.messages(channel.id).find((m) => m.byBot && m.text.includes('was cut off by a restart')),
      `the drain request (${describeRun()})`,
      30_000,
    );
    // What the restart left pending lands within moments (the request may follow the note).
    if (!first.text.startsWith('🛠️')) await sleep(1500);
    if (!requestMessage()) {
      kills.push('(triage cut off: drain requested by hand)');
      await fake.as('U0ALICE').command(channel.id, 'drain gpu-node-5', { command: '/node' });
    }
    const request = await waitFor(requestMessage, `the drain request (${describeRun()})`, 10_000);

    // 2. The approval: the process dies somewhere between the click and the drain's result.
    // A drain Alice requested by hand may not be approved by her, so its Approve asks first
    // (`ask:`): the question comes only to Bob, and its own button approves. One the bot requested
    // has Slack's confirm dialog, which the fake's click stands for.
    const approve = async () => {
      const button = fake.buttons(channel.id, request.ts).find((b) => b.label === 'Approve');
      if (!button) return;
      const asked = fake.ephemerals({ channel: channel.id, user: 'U0BOB' }).length;
      await fake.as('U0BOB').click(channel.id, request.ts, button.actionId);
      if (!button.actionId.startsWith('ask:')) return;
      const question = await waitFor(
        () =>
          fake
            .ephemerals({ channel: channel.id, user: 'U0BOB' })
            .slice(asked)
            .find((e) => e.blocks?.length),
        'the question the Approve button asks',
        3000,
      ).catch(() => undefined); // a process killed before it answered asks nothing
      if (question) await fake.as('U0BOB').click(channel.id, question.ts, (b) => b.label.startsWith('Yes'));
    };
    await crashDuring('after the approving click', 7, 4000, approve);
    // A click the dead process never answered: Bob clicks again, as a person would.
    const action = async () => (await api('/api/incidents/1')).actions.find((a: any) => a.kind === 'drain');
    if ((await action())?.status === 'requested') await approve();
    // An action cut off after its approval is reported at the restart: on SQLite, and on PostgreSQL
    // by a replica with a stable REPLICA_ID (the action records its runner). Without one it stays
    // approved or running for 15 minutes (another replica may be running it).
    const recoveryWaits = env.DATABASE_URL!.startsWith('postgres') && env.REPLICA_ID === undefined;
    await waitFor(
      async () => ['succeeded', 'failed', 'unknown'].includes((await action())?.status),
      `the drain to settle (${describeRun()})`,
      10_000,
    ).catch(async (err) => {
      const status = (await action())?.status;
      if (!recoveryWaits || !['approved', 'running'].includes(status)) throw err;
    });

    // 3. A status update: the process dies while posting it.
    await crashDuring('after /incident update', 4, 3000, () =>
      fake.as('U0ALICE').command(channel.id, 'update Drained gpu-node-5, watching', { command: '/incident' }),
    );
    const updated = async () =>
      (await api('/api/incidents/1')).timeline.some((e: any) => e.kind === 'update');
    if (!(await updated())) {
      await fake
        .as('U0ALICE')
        .command(channel.id, 'update Drained gpu-node-5, watching', { command: '/incident' });
    }
    await waitFor(
      () => fake.messages(channel.id).some((m) => m.byBot && m.text.startsWith('Status update for INC-1')),
      `the update in the channel (${describeRun()})`,
      20_000,
    );
    // Whatever is still pending is delivered by the restarted process's sweep: wait until the
    // outbox is empty (an entry waiting for an earlier one retries a few seconds later).
    await waitFor(async () => (await api('/api/incidents/1')).incident.channelId, 'the channel recorded');
    await waitFor(
      async () => /^incident_bot_outbox_pending 0$/m.test(await (await fetch(`${bot!.url}/metrics`)).text()),
      `the outbox to empty (${describeRun()})`,
      30_000,
    );

    // One incident, one channel: a create retried after a crash adopted the first one's channel.
    const detail = await api('/api/incidents/1');
    const settled = detail.actions.find((a: any) => a.kind === 'drain');
    expect(detail.incident.number, describeRun()).toBe(1);
    expect((await fetch(`${bot!.url}/api/incidents/2`)).status, describeRun()).toBe(404);
    expect(
      fake.channels().filter((c) => c.name.startsWith('inc-')),
      `channels; ${describeRun()}`,
    ).toHaveLength(1);
    expect(detail.incident.channelId, describeRun()).toBe(channel.id);
    const posts = fake.messages(channel.id).filter((m) => m.byBot);
    const count = (test: (text: string) => boolean) => posts.filter((m) => test(m.text)).length;
    // Each message once.
    expect(
      count((t) => /^\S+ INC-1\b.* — SEV\d/.test(t)),
      `the card; ${describeRun()}`,
    ).toBe(1);
    expect(
      count((t) => t.startsWith('🔥 1 alert firing')),
      `the alert; ${describeRun()}`,
    ).toBe(1);
    expect(
      count((t) => t.startsWith('📘')),
      `the runbook; ${describeRun()}`,
    ).toBe(1);
    expect(
      count((t) => t.startsWith('🛠️ drain gpu-node-5')),
      `the request; ${describeRun()}`,
    ).toBe(1);
    expect(
      count((t) => t.startsWith('Status update for INC-1')),
      `the update; ${describeRun()}`,
    ).toBe(1);
    const outcomes = count((t) => /^(✅|❌) drain of gpu-node-5|^⚠️ The bot stopped/.test(t));
    const cutOff = recoveryWaits && ['approved', 'running'].includes(settled.status);
    expect(['succeeded', 'failed', 'unknown', ...(recoveryWaits ? ['approved', 'running'] : [])]).toContain(
      settled.status,
    );
    expect(outcomes, `the drain's outcome; ${describeRun()}`).toBe(cutOff ? 0 : 1);
    // The drain: one action, run at most once.
    const drains = detail.actions.filter((a: any) => a.kind === 'drain');
    expect(drains, `drain actions; ${describeRun()}`).toHaveLength(1);
    const kinds = detail.timeline.map((e: any) => e.kind);
    const n = (kind: string) => kinds.filter((k: string) => k === kind).length;
    expect(n('declared'), describeRun()).toBe(1);
    expect(n('alert'), describeRun()).toBe(1);
    expect(n('action_requested'), describeRun()).toBe(1);
    expect(n('action_approved'), describeRun()).toBe(1);
    expect(n('action_result'), describeRun()).toBe(cutOff ? 0 : 1);
    expect(n('update'), describeRun()).toBe(1);
    // The announcement, once.
    const announce = fake.channel('incidents')!;
    expect(
      fake.messages(announce.id).filter((m) => m.byBot && m.text.includes('INC-1 declared')),
      `the announcement; ${describeRun()}`,
    ).toHaveLength(1);
  } catch (err) {
    // FAULT_DEBUG=1: what each channel holds and what the bot last logged.
    if (process.env.FAULT_DEBUG) {
      console.log(bot?.output.slice(-40).join('\n'));
      for (const c of fake.channels())
        console.log(c.name, JSON.stringify(fake.messages(c.id).map((m) => [m.ts, m.text.slice(0, 50)])));
      console.log(JSON.stringify((await api('/api/incidents/1').catch(() => ({}))).actions ?? null));
      console.log(JSON.stringify(fake.calls('conversations.history').length));
    }
    throw err;
  } finally {
    await bot?.stop();
    await fake.close();
  }
}

describe('kill -9 at random points of alert → channel → approval → action (SQLite)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  for (let round = 0; round < ROUNDS; round++) {
    it(`ends with one channel, each message once and the drain run at most once (round ${round + 1})`, async () => {
      await runFlow({ DATABASE_URL: `sqlite:${tmp.dir}/bot-${round}.db` }, seedFor('sqlite', round));
    }, 120_000);
  }
});

const pgDescribe = await pgSuite(describe, 'the PostgreSQL crash-flow test');

pgDescribe('kill -9 at random points of alert → channel → approval → action (PostgreSQL)', () => {
  for (let round = 0; round < ROUNDS; round++) {
    it(`ends with one channel, each message once and the drain run at most once (round ${round + 1})`, async () => {
      const { schema, drop } = await freshSchema();
      try {
        // A stable REPLICA_ID: the restarted replica takes back its own leases at once.
        await runFlow(
          { DATABASE_URL: urlWithSchema(schema), REPLICA_ID: 'bot-0' },
          seedFor('postgres', round),
        );
      } finally {
        await drop();
      }
    }, 120_000);
  }
});
