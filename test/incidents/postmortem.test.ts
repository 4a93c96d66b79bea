import { afterEach, describe, expect, it } from 'vitest';
import { apiError, completion, FakeOpenAi } from '../fakes/openai/index.ts';
import { goodNarrative, shownIds } from '../postmortem/scenario.ts';
import { alice, bob, harness } from './harness.ts';

const KEY = 'sk-test-publisher-0123456789';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(withModel: boolean, onResolve = true) {
  const fake = withModel ? await FakeOpenAi.start({ apiKey: KEY }) : undefined;
  const h = await harness({
    postmortem: {
      onResolve,
      ...(fake ? { apiKey: KEY, baseUrl: fake.url, model: 'fake-model', timeoutMs: 2000 } : {}),
    },
  });
  cleanups.push(async () => {
    await h.postmortem.idle();
    await h.close();
    await fake?.close();
  });
  let incident = await h.declare('SEV2', 'gpu-node-5 fell off the bus');
  h.clock.advance(60_000);
  await h.services.history.recordMessage(incident, 'm1', 'dmesg shows Xid 79 on GPU 4', bob, h.clock.now());
  h.clock.advance(120_000);
  incident = await h.incidents.postUpdate(incident, 'Drained gpu-node-5; job moved to gpu-node-6.', alice);
  return { h, fake, incident };
}

describe('post-mortem drafts in the channel', () => {
  it('drafts on resolve: a message saying how, and the Markdown file, and a timeline note', async () => {
    const { h, incident } = await setup(false);
    h.clock.advance(600_000);
    await h.incidents.changeStatus(incident, 'resolved', alice);
    await h.postmortem.idle();
    const stored = await h.store.getPostmortem(incident.id);
    expect(stored).toMatchObject({ source: 'deterministic', version: 1 });
    const posts = await h.messages(incident.channelId!);
    const said = posts.find((m) => m.message.header === '📝 Post-mortem draft v1 for INC-1')!;
    expect(said.message.text).toBe(
      '📝 Post-mortem draft v1 for INC-1: the deterministic draft. No model is configured (no API key). Its narrative sections are questions for the author.',
    );
    const file = posts.find((m) => m.message.header === '📎 INC-1 post-mortem draft v1')!;
    expect(file.message.context).toEqual(['INC-1-postmortem.md']);
    // The sandbox keeps the file itself with the message: the page offers it as a download.
    expect(file.file).toEqual({ filename: 'INC-1-postmortem.md', content: stored!.markdown });
    expect(file.message.sections).toBeUndefined();
    // Resolved straight from declared: one entry acknowledged, mitigated and resolved it, and a
    // question pointing at it names it once.
    const lists = [...stored!.markdown.matchAll(/\(timeline: ([^)]*)\)/g)].map((m) => m[1]!.split(', '));
    expect(lists.length).toBeGreaterThan(0);
    for (const ids of lists) expect(new Set(ids).size).toBe(ids.length);
    const notes = (await h.store.listTimeline(incident.id)).filter((e) => e.kind === 'note');
    expect(notes.map((e) => e.text)).toContain('Post-mortem draft v1 (deterministic)');
  });

  it('links the API path where PUBLIC_URL says the bot is, and names it as code where it does not', async () => {
    const h = await harness({ postmortem: { onResolve: true }, publicUrl: 'https://bot.example.com/' });
    cleanups.push(() => h.close());
    const incident = await h.declare('SEV3');
    await h.incidents.changeStatus(incident, 'resolved', alice);
    await h.postmortem.idle();
    await h.app.uow.idle();
    const said = (await h.messages(incident.channelId!)).find((m) => m.message.header?.startsWith('📝'))!;
    expect(said.message.sections?.[1]).toContain(
      'Also at <https://bot.example.com/api/incidents/1/postmortem|/api/incidents/1/postmortem>.',
    );
    const { h: plain, incident: other } = await setup(false);
    await plain.incidents.changeStatus(other, 'resolved', alice);
    await plain.postmortem.idle();
    await plain.app.uow.idle();
    const bare = (await plain.messages(other.channelId!)).find((m) => m.message.header?.startsWith('📝'))!;
    expect(bare.message.sections?.[1]).toContain('Also at `/api/incidents/1/postmortem`.');
  });

  it('does not draft on resolve when turned off', async () => {
    const { h, incident } = await setup(false, false);
    await h.incidents.changeStatus(incident, 'resolved', alice);
    await h.postmortem.idle();
    expect(await h.store.getPostmortem(incident.id)).toBeUndefined();
  });

  it('/incident postmortem drafts with the model, citing real timeline entries, and again as v2', async () => {
    const { h, fake, incident } = await setup(true, false);
    fake!.enqueue((req) => completion(goodNarrative(shownIds(req))));
    const reply = await h.command('incident', 'postmortem', incident.channelId!);
    expect(reply.visibility).toBe('ephemeral');
    expect(reply.message.text).toBe(
      'Post-mortem draft v1 for INC-1 posted in the channel: written with fake-model.',
    );
    const stored = (await h.store.getPostmortem(incident.id))!;
    expect(stored).toMatchObject({ source: 'llm', model: 'fake-model' });
    const ids = new Set((await h.store.listTimeline(incident.id)).map((e) => e.id));
    const cited = [...stored.markdown.matchAll(/\[#(\d+)\]/g)].map((m) => Number(m[1]));
    expect(cited.length).toBeGreaterThan(0);
    for (const id of cited) expect(ids.has(id)).toBe(true);

    // The model is down the second time: the deterministic draft, and the channel is told why.
    fake!.enqueue(apiError(500, 'overloaded'), apiError(500, 'overloaded'));
    const again = await h.command('incident', 'postmortem', incident.channelId!);
    expect(again.message.text).toMatch(
      /^Post-mortem draft v2 for INC-1 posted in the channel: deterministic \(/,
    );
    const posts = await h.messages(incident.channelId!);
    expect(posts.some((m) => m.message.header === '📝 Post-mortem draft v2 for INC-1')).toBe(true);
    expect((await h.store.getPostmortem(incident.id))!.source).toBe('deterministic');
  });
});
