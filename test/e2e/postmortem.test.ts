import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completion, FakeOpenAi } from '../fakes/openai/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { SandboxClient } from '../helpers/sandbox-client.ts';
import { waitFor } from '../helpers/wait.ts';
import { goodNarrative, shownIds } from '../postmortem/scenario.ts';

const KEY = 'sk-e2e-postmortem-0123456789';
const SECRET = 'xoxb-1111111111-2222222222-secretsecretsecret';

/**
 * Resolving an incident in the sandbox drafts its post-mortem with the model (the fake
 * OpenAI-compatible server, reached by the real openai client in the real bot process): the
 * Markdown lands in the channel and at the API, and every citation leads to a timeline entry.
 */
describe('post-mortem on resolve, end to end', () => {
  const tmp = tempDir();
  let fake: FakeOpenAi;
  let bot: BotProcess;
  let alice: SandboxClient;

  beforeAll(async () => {
    fake = await FakeOpenAi.start({ apiKey: KEY });
    // A careful model: prose only, citing entries it was shown.
    fake.fallback = (req) => completion(goodNarrative(shownIds(req)));
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: fake.url,
      LLM_MODEL: 'fake-model',
    });
    alice = new SandboxClient(bot.url, 'alice');
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  it('posts a cited draft when the incident is resolved, and never sends a secret to the model', async () => {
    const general = (await alice.channel('general')).id;
    await alice.send(general, '/incident declare gpu-node-5 fell off the bus --severity SEV2');
    const channel = (await alice.channel('inc-1-gpu-node-5-fell-off-the-bus')).id;
    await alice.send(channel, 'dmesg on gpu-node-5: Xid 79 for GPU 4');
    await alice.as('bob').send(channel, `grafana token for the dashboard: ${SECRET}`);
    await alice.send(channel, '/incident update Drained gpu-node-5; the job restarted on gpu-node-6.');
    await alice.send(channel, '/incident resolve');

    const file = await waitFor(
      async () =>
        (await alice.messages(channel)).find((m) => m.message.header === '📎 INC-1 post-mortem draft v1'),
      'the post-mortem file in the channel',
      15_000,
    );
    expect(file.message.context).toEqual(['INC-1-postmortem.md']);
    const res = await fetch(`${bot.url}/api/incidents/1/postmortem`);
    expect(res.status).toBe(200);
    const markdown = await res.text();
    expect(markdown).toContain('gpu-node-5 fell off the bus');
    const { timeline } = (await alice.incident(1)) as { timeline: { id: number }[] };
    const ids = new Set(timeline.map((e) => e.id));
    const cited = [...markdown.matchAll(/\[#(\d+)\]/g)].map((m) => Number(m[1]));
    expect(cited.length).toBeGreaterThan(0);
    for (const id of cited) expect(ids.has(id)).toBe(true);
    const meta = (await (await fetch(`${bot.url}/api/incidents/1/postmortem?format=json`)).json()) as any;
    expect(meta.postmortem).toMatchObject({ source: 'llm', model: 'fake-model', version: 1 });

    expect(fake.completions.length).toBeGreaterThan(0);
    for (const req of fake.completions) expect(req.raw).not.toContain(SECRET);
  });
});
