import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completion, FakeOpenAi, hang } from '../fakes/openai/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';
import { waitFor } from '../helpers/wait.ts';
import { goodNarrative, shownIds } from '../postmortem/scenario.ts';

const KEY = 'sk-e2e-llm-timeout-0123456789';
const TIMEOUT_S = 2;

/**
 * Issue 8 (item 5): resolving with the post-mortem model hanging (the fake OpenAI-compatible
 * server accepts the request and never answers; the real `openai` client in the real bot gives up
 * after LLM_TIMEOUT_SECONDS). The incident resolves at once, the deterministic draft is posted once
 * with the reason the model was not used, no request is retried (the client is built with
 * maxRetries: 0, and a timeout is not one of the answers narrate() asks again for), the timeline
 * loses nothing, and the model is used again once it answers.
 * (test/e2e/postmortem.test.ts covers a model that answers.) One bot and one model server for the
 * file; each test declares its own incident and says how the model behaves, and counts the
 * model's requests from where they stood when it began.
 */
describe('post-mortem on resolve with the model timing out, end to end', () => {
  const tmp = tempDir();
  let fake: FakeOpenAi;
  let bot: BotProcess;
  let alice: SandboxClient;

  const said = [
    'dmesg on gpu-node-5: Xid 79 for GPU 4, fallen off the bus',
    'the qwen2-72b job checkpointed at step 41200',
    'BMC shows a PCIe link down on slot 4',
  ];

  const textOf = (r: any): string => r?.reply?.message?.text ?? '';
  const postsIn = (channel: string) => async (header: RegExp) =>
    (await alice.messages(channel)).filter((m) => !m.visibleTo && header.test(m.message.header ?? ''));
  const postmortemOf = async (n: number) =>
    ((await (await fetch(`${bot.url}/api/incidents/${n}/postmortem?format=json`)).json()) as any).postmortem;

  beforeAll(async () => {
    fake = await FakeOpenAi.start({ apiKey: KEY });
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: fake.url,
      LLM_MODEL: 'fake-model',
      LLM_TIMEOUT_SECONDS: String(TIMEOUT_S),
    });
    alice = new SandboxClient(bot.url, 'alice');
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  it('resolves at once, posts the deterministic draft once with why the model was not used, and loses nothing', async () => {
    // The model server takes the request and never answers.
    fake.fallback = hang;
    const [completions, abandoned] = [fake.completions.length, fake.abandoned.length];
    const { number: n, channel: ch } = await alice.declare('"gpu-node-5 fell off the bus" --severity SEV2');
    const channel = ch.id as string;
    const posts = postsIn(channel);
    const first = await alice.send(channel, said[0]!);
    // 📌 a key event: the deterministic draft lists key events beside the milestones.
    const pinned = await alice.request('POST', `/sandbox/api/messages/${first.message.id}/pin`, {
      user: 'bob',
      on: true,
    });
    expect(pinned.body).toMatchObject({ changed: true });
    await alice.as('bob').send(channel, said[1]!);
    await alice.send(channel, said[2]!);
    await alice.send(channel, '/incident update Drained gpu-node-5; the job restarted on gpu-node-6.');
    const resolved = await alice.send(channel, '/incident resolve');
    expect(replyText(resolved)).toMatch(/resolved/i);
    // The resolve did not wait for the model: it is still holding the request.
    expect(fake.abandoned).toHaveLength(abandoned);
    expect((await alice.incident(n)).incident.status).toBe('resolved');

    const note = await waitFor(
      async () => (await posts(new RegExp(`^📝 Post-mortem draft v1 for INC-${n}$`)))[0],
      'the post-mortem note',
      15_000,
    );
    expect(note.message.text).toBe(
      `📝 Post-mortem draft v1 for INC-${n}: the deterministic draft. The model did not answer within ${TIMEOUT_S * 1000} ms. The deterministic draft was used. Its narrative sections are questions for the author.`,
    );
    await waitFor(
      async () => (await posts(new RegExp(`^📎 INC-${n} post-mortem draft v1$`))).length > 0,
      'the file',
      5000,
    );

    // One request, abandoned by the bot's client at its timeout; none after it.
    expect(fake.completions).toHaveLength(completions + 1);
    expect(fake.abandoned).toHaveLength(abandoned + 1);
    // Long enough for a retry (the openai client's first backoff is about half a second) or a
    // second draft to show up.
    await new Promise((r) => setTimeout(r, 1500));
    expect(fake.completions).toHaveLength(completions + 1);
    expect(await posts(/^📝 Post-mortem draft/)).toHaveLength(1);
    expect(await posts(new RegExp(`^📎 INC-${n} post-mortem draft`))).toHaveLength(1);

    const meta = await postmortemOf(n);
    expect(meta).toMatchObject({ source: 'deterministic', model: null, version: 1 });
    expect(meta.note).toContain(`The model did not answer within ${TIMEOUT_S * 1000} ms.`);

    // The timeline lost nothing, and the draft carries it.
    const { timeline } = await alice.incident(n);
    expect(timeline.filter((e: any) => e.kind === 'message').map((e: any) => e.text)).toEqual(said);
    expect(timeline.filter((e: any) => e.kind === 'update')).toHaveLength(1);
    expect(timeline.filter((e: any) => e.kind === 'status' && /resolved/.test(e.text))).toHaveLength(1);
    expect(timeline.filter((e: any) => e.kind === 'note').map((e: any) => e.text)).toEqual([
      'Post-mortem draft v1 (deterministic)',
    ]);
    expect(timeline.find((e: any) => e.text === said[0]).key).toBe(true);
    const markdown = await (await fetch(`${bot.url}/api/incidents/${n}/postmortem`)).text();
    // The record's part: milestones and key events (the pinned message, the update).
    expect(markdown).toMatch(/\| Incident declared \|/);
    expect(markdown).toMatch(/\| Resolved \|/);
    expect(markdown).toContain(said[0]);
    expect(markdown).toContain('Drained gpu-node-5; the job restarted on gpu-node-6.');
    expect(markdown).toContain(`The model did not answer within ${TIMEOUT_S * 1000} ms.`);
  });

  it('answers other commands while a draft waits on the model, and drafts once per request', async () => {
    fake.fallback = hang;
    const [completions, abandoned] = [fake.completions.length, fake.abandoned.length];
    const { number: n, channel: ch } = await alice.declare('"NCCL timeouts on rack 2"');
    const channel = ch.id as string;
    const started = Date.now();
    const drafting = alice.send(channel, '/incident postmortem');
    // While that draft waits on the hanging model, the bot answers at once.
    const timeline = await alice.send(channel, '/incident timeline');
    expect(replyText(timeline)).toContain(`INC-${n}`);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_S * 1000);
    expect(textOf(await drafting)).toBe(
      `Post-mortem draft v1 for INC-${n} posted in the channel: deterministic (The model did not answer within ${TIMEOUT_S * 1000} ms. The deterministic draft was used.).`,
    );
    expect(fake.completions).toHaveLength(completions + 1);
    expect(fake.abandoned).toHaveLength(abandoned + 1);
    expect(await postsIn(channel)(new RegExp(`^📝 Post-mortem draft v1 for INC-${n}$`))).toHaveLength(1);
  });

  it('uses the model again as soon as it answers, with no double post and no lost timeline entry', async () => {
    fake.fallback = hang;
    const completions = fake.completions.length;
    const { number: n, channel: ch } = await alice.declare('"ECC storm on gpu-node-7"');
    const channel = ch.id as string;
    const posts = postsIn(channel);
    await alice.send(channel, said[0]!);
    expect(textOf(await alice.send(channel, '/incident postmortem'))).toContain('deterministic');

    fake.fallback = (req) => completion(goodNarrative(shownIds(req)));
    const reply = await alice.send(channel, '/incident postmortem');
    expect(textOf(reply)).toBe(
      `Post-mortem draft v2 for INC-${n} posted in the channel: written with fake-model.`,
    );
    expect(fake.completions).toHaveLength(completions + 2);
    expect(await postmortemOf(n)).toMatchObject({ source: 'llm', model: 'fake-model', version: 2 });

    expect((await alice.channels()).filter((c: any) => c.name.startsWith(`inc-${n}-`))).toHaveLength(1);
    for (const v of [1, 2]) {
      expect(await posts(new RegExp(`^📝 Post-mortem draft v${v} for INC-${n}$`))).toHaveLength(1);
      expect(await posts(new RegExp(`^📎 INC-${n} post-mortem draft v${v}$`))).toHaveLength(1);
    }
    const { timeline } = await alice.incident(n);
    expect(timeline.filter((e: any) => e.kind === 'message').map((e: any) => e.text)).toEqual([said[0]]);
    expect(timeline.filter((e: any) => e.kind === 'note').map((e: any) => e.text)).toEqual([
      'Post-mortem draft v1 (deterministic)',
      'Post-mortem draft v2 (model fake-model)',
    ]);
    expect(bot.output.filter((l) => l.includes('"level":50'))).toEqual([]);
  });
});
