import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeSlack } from '../fakes/slack/index.ts';
import { startFakeSlack } from '../fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

/** A small seeded generator, so a failing run can be replayed with its seed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FAULT_SEED ?? 20261122);

/**
 * Slack answering 429s, 5xx and dropped connections on the calls an incident makes (the faults
 * change nothing on Slack's side, as a refused request does). The bot waits them out and retries:
 * one channel, one card kept current, every update posted once and on the timeline.
 */
describe(`Slack faults at random (seed ${SEED})`, () => {
  const tmp = tempDir();
  let fake: FakeSlack;
  let bot: BotProcess;

  beforeAll(async () => {
    fake = await startFakeSlack();
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_APP_TOKEN: fake.appToken,
      SLACK_API_URL: fake.url,
      SLACK_ANNOUNCE_CHANNEL: '#incidents',
    });
    await fake.waitForConnection();
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  it('loses nothing and doubles nothing', async () => {
    const random = prng(SEED);
    const methods = [
      'conversations.create',
      'chat.postMessage',
      'chat.update',
      'conversations.setTopic',
      'conversations.invite',
    ];
    for (const method of methods) {
      const pick = Math.floor(random() * 4);
      const fault =
        pick === 0
          ? ({ status: 429, retryAfter: 1 } as const)
          : pick === 1
            ? ({ status: 500 } as const)
            : pick === 2
              ? ({ status: 503 } as const)
              : ({ reset: true } as const);
      fake.failNext(method, fault, { times: 1 + Math.floor(random() * 2) });
    }
    await fake.as('U0ALICE').command('C0GENERAL', 'declare GPU node 5 fell off the bus --severity SEV2');
    const ours = () => fake.channels().filter((c) => /^inc-\d+-gpu-node-5-fell-off-the-bus$/.test(c.name));
    const channel = await waitFor(() => ours()[0], 'the incident channel', 30_000);
    const updates = ['Drained gpu-node-5.', 'Job restarted on gpu-node-6.', 'Error rate back to normal.'];
    for (const text of updates) {
      await fake.as('U0ALICE').command(channel.id, `update ${text}`);
    }
    await waitFor(
      () => updates.every((u) => fake.messages(channel.id).some((m) => m.byBot && m.text.includes(u))),
      'every update in the channel',
      30_000,
    );
    const isCard = (m: { byBot: boolean; blocks: unknown[] | undefined }) =>
      m.byBot && JSON.stringify(m.blocks ?? []).includes('Take command');
    // A post waiting out its retries lands after later ones: wait for it, do not assume order.
    await waitFor(() => fake.messages(channel.id).some(isCard), 'the card', 30_000);
    // One incident channel, whatever was retried.
    expect(ours()).toHaveLength(1);
    const botPosts = fake.messages(channel.id).filter((m) => m.byBot);
    for (const u of updates) expect(botPosts.filter((m) => m.text.includes(u))).toHaveLength(1);
    const cards = botPosts.filter(isCard);
    expect(cards).toHaveLength(1);
    const number = /^inc-(\d+)-/.exec(channel.name)![1];
    const { timeline } = (await (await fetch(`${bot.url}/api/incidents/${number}`)).json()) as any;
    const recorded = timeline.filter((e: any) => e.kind === 'update').map((e: any) => e.text);
    expect(recorded).toEqual(updates);
    // The faults were met, not skipped.
    expect(fake.calls().filter((c) => c.status !== 200).length).toBeGreaterThan(0);
  }, 90_000);

  it('uses the channel a lost conversations.create made instead of opening a second one', async () => {
    // Slack creates the channel but the answer is lost (a 500 after the fact); WebClient retries.
    fake.failNext('conversations.create', { status: 500, applied: true });
    await fake.as('U0ALICE').command('C0GENERAL', 'declare Lost answer to create --severity SEV3');
    const ours = () => fake.channels().filter((c) => c.name.endsWith('-lost-answer-to-create'));
    const channel = await waitFor(() => ours()[0], 'the channel', 30_000);
    await waitFor(
      () =>
        fake
          .messages(channel.id)
          .some((m) => m.byBot && JSON.stringify(m.blocks ?? []).includes('Take command')),
      'the card in that channel',
      30_000,
    );
    // Give a second channel time to appear if the bot were to make one, then count.
    await new Promise((r) => setTimeout(r, 500));
    expect(ours()).toHaveLength(1);
    const { incidents } = (await (await fetch(`${bot.url}/api/incidents`)).json()) as any;
    expect(incidents.find((i: any) => i.title === 'Lost answer to create').channelId).toBe(channel.id);
  }, 60_000);
});
