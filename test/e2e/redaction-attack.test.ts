import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, completion, FakeOpenAi } from '../fakes/openai/index.ts';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { goodNarrative, shownIds } from '../postmortem/scenario.ts';

/** A key of no known shape (a local gateway's), so only the configured-secret literal can catch it. */
const KEY = 'gw-local-7f3a9c2e5b1d4a60-opaque';

/** The README's example PII pattern, which JavaScript's engine ran in quadratic time. */
const CONFIG = `
postmortem:
  onResolve: false
  piiPatterns: ["[\\\\w.+-]+@[\\\\w-]+\\\\.[\\\\w.]+"]
`;

/** 40,000 characters (Slack's most) of one rule's own literals, over and over. */
const ADVERSARIAL = ['a.', 'eyJ-', '://a:', 'password="', '-----BEGIN A', 'a@a.', '.a', 'a-'].map((f) =>
  f.repeat(Math.ceil(40_000 / f.length)).slice(0, 40_000),
);

/**
 * The attack as it happened, in the real bot process on Slack (the fake, over Socket Mode): eight
 * pinned 40,000-character messages built to make the redactor's rules backtrack, then a
 * post-mortem drafted with a model. Before, redacting them held the event loop for tens of
 * seconds; `/healthz` must keep answering. And a model server that echoes its (non-`sk-`) key in
 * an error must not put it in the channel or the stored draft.
 */
describe('redaction under attack, end to end', () => {
  const tmp = tempDir();
  let slack: FakeSlack;
  let model: FakeOpenAi;
  let bot: BotProcess;
  let channel: string;

  beforeAll(async () => {
    slack = await startFakeSlack();
    model = await FakeOpenAi.start({ apiKey: KEY });
    model.fallback = (req) => completion(goodNarrative(shownIds(req)));
    writeFileSync(`${tmp.dir}/bot.yml`, CONFIG);
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      CONFIG_FILE: `${tmp.dir}/bot.yml`,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.url,
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: model.url,
      LLM_MODEL: 'fake-model',
    });
    await slack.waitForConnection();
    await slack.as('U0ALICE').command('C0GENERAL', 'declare GPU node 5 fell off the bus --severity SEV2');
    channel = (await waitFor(() => slack.channel('inc-1-gpu-node-5-fell-off-the-bus'), 'the channel')).id;
  }, 30_000);

  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
    await model?.close();
    tmp.remove();
  });

  const detail = async () => (await fetch(`${bot.url}/api/incidents/1`)).json() as Promise<any>;

  it('keeps /healthz answering while eight pinned 40,000-character messages are drafted into a post-mortem', async () => {
    const posted: string[] = [];
    for (const text of ADVERSARIAL) posted.push((await slack.as('U0BOB').post(channel, text)).ts);
    const messages = async () => (await detail()).timeline.filter((e: any) => e.kind === 'message');
    // Pinned once recorded: a 📌 on a message the timeline has not seen yet marks nothing.
    await waitFor(
      async () => (await messages()).length === ADVERSARIAL.length,
      'eight messages on the timeline',
    );
    for (const ts of posted) await slack.as('U0BOB').react(channel, ts, 'pushpin');
    const entries = await waitFor(async () => {
      const all = await messages();
      return all.every((e: any) => e.key) && all;
    }, 'all eight pinned');
    // The timeline keeps the first 4,000 characters of each, and says how much it left out.
    for (const e of entries) expect(e.text).toMatch(/^.{4000} … \[36,000 more characters not recorded\]$/s);

    // Poll /healthz all through the draft; the slowest answer is what a load balancer would see.
    let slowest = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const start = performance.now();
        const res = await fetch(`${bot.url}/healthz`);
        expect(res.status).toBe(200);
        slowest = Math.max(slowest, performance.now() - start);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await slack.as('U0ALICE').command(channel, 'postmortem');
      await waitFor(
        () => slack.files().find((f) => f.channel === channel && f.completed),
        'the post-mortem file',
        60_000,
      );
    } finally {
      polling = false;
      await poller;
    }
    expect(model.completions.length).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(1000);
  }, 90_000);

  it('keeps a key the model server echoes in an error out of the channel and the stored draft', async () => {
    model.enqueue(
      apiError(
        401,
        `Incorrect API key provided: ${KEY}. Check the gateway's key list.`,
        'invalid_request_error',
      ),
    );
    const before = slack.files().length;
    await slack.as('U0ALICE').command(channel, 'postmortem');
    await waitFor(() => slack.files().length > before && slack.files().at(-1)!.completed, 'the second draft');

    const stored = (await (await fetch(`${bot.url}/api/incidents/1/postmortem?format=json`)).json()) as any;
    expect(stored.postmortem).toMatchObject({ source: 'deterministic' });
    // The error did reach the draft and the channel, with the key blanked.
    expect(stored.postmortem.markdown).toContain(
      'The model server answered 401: Incorrect API key provided: [redacted]',
    );
    await waitFor(
      () => slack.messages(channel).some((m) => m.text.includes('Incorrect API key provided: [redacted]')),
      'the channel told why',
    );
    const everything = JSON.stringify({
      messages: slack.messages(channel),
      general: slack.messages('C0GENERAL'),
      files: slack.files(),
      ephemerals: slack.ephemerals(),
      stored,
    });
    expect(everything).not.toContain(KEY);
  }, 30_000);
});
