import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The real bot process with the real Bolt app in Socket Mode, against the in-repo fake Slack:
 * a whole incident, approvals, retries and the timeline from the channel.
 */
const POLICY = `
policy:
  approvers: ['@sre']
incidents:
  responders: ['@sre']
`;

async function apiJson(bot: BotProcess, path: string): Promise<any> {
  const r = await fetch(`${bot.url}${path}`);
  return r.json();
}

/**
 * The bot's answer through this command's or click's own response_url: an answer to an earlier
 * click arriving late cannot be mistaken for it.
 */
async function answerTo(fake: FakeSlack, sent: { payload: { response_url?: string } }): Promise<string> {
  const url = sent.payload.response_url;
  const post = await waitFor(() => fake.responseUrlPosts().find((p) => p.url === url), 'an answer');
  const body = post.body as { text?: string; blocks?: unknown };
  return `${body?.text ?? ''}\n${JSON.stringify(body?.blocks ?? [])}`;
}

describe('Slack in Socket Mode, end to end', () => {
  const tmp = tempDir();
  let fake: FakeSlack;
  let bot: BotProcess;
  /**
   * An incident the tests that only add records of their own (a note, an update, messages) write
   * to, each reading back only what it wrote: declaring one per test would spend Slack's Tier 2
   * budget (conversations.create, setTopic: 20 a minute) that the bot rightly paces.
   */
  let records: { number: number; channel: string };

  beforeAll(async () => {
    fake = await startFakeSlack();
    writeFileSync(`${tmp.dir}/bot.yml`, POLICY);
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      CONFIG_FILE: `${tmp.dir}/bot.yml`,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_APP_TOKEN: fake.appToken,
      SLACK_API_URL: fake.url,
      SLACK_ANNOUNCE_CHANNEL: '#incidents',
    });
    await fake.waitForConnection();
    records = await declare('Records from the channel');
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  /**
   * `/incident declare <args>` typed by alice in #general, once its channel has the card and the
   * announcement is out: each test declares the incident it works on.
   */
  async function declare(args: string): Promise<{ number: number; channel: string; answer: string }> {
    const cmd = await fake.as('U0ALICE').command('C0GENERAL', `declare ${args}`);
    const answer = await answerTo(fake, cmd);
    const m = /^INC-(\d+) declared .*→ <#(C[A-Z0-9]+)/.exec(answer);
    if (!m) throw new Error(`declare ${args}: ${answer}`);
    const [number, channel] = [Number(m[1]), m[2]!];
    await waitFor(() => fake.messages(channel).find((x) => x.byBot), 'the card');
    await waitFor(
      () => fake.messages('C0INCIDENTS').find((x) => x.text.includes(`INC-${number} declared`)),
      'the announcement',
    );
    return { number, channel, answer };
  }

  it('declares by text: channel, topic, invitations, card and announcement', async () => {
    const cmd = await fake
      .as('U0ALICE')
      .command('C0GENERAL', 'declare GPU node 5 fell off the bus --severity SEV2');
    // Acked at once, with the work done after the ack.
    expect(cmd.delivery.ms).toBeLessThan(3000);
    const answer = await answerTo(fake, cmd);
    expect(answer).toMatch(/^INC-\d+ declared \(SEV2\): GPU node 5 fell off the bus → <#C/);
    const number = Number(/^INC-(\d+)/.exec(answer)![1]);

    const ch = await waitFor(
      () => fake.channel(`inc-${number}-gpu-node-5-fell-off-the-bus`),
      'the incident channel',
    );
    const channel = ch.id;
    await waitFor(() => fake.channel(channel)?.topic.includes('SEV2'), 'the topic');
    // The declarer and the @sre group (alice, bob) are invited; carol is not.
    expect(fake.channel(channel)!.members).toEqual(expect.arrayContaining(['U0ALICE', 'U0BOB', 'U0BOT']));
    expect(fake.channel(channel)!.members).not.toContain('U0CAROL');

    const card = await waitFor(() => fake.messages(channel).find((m) => m.byBot), 'the card');
    expect(JSON.stringify(card.blocks)).toContain(`INC-${number}: GPU node 5 fell off the bus`);
    expect(fake.buttons(channel, card.ts).map((b) => b.label)).toEqual([
      'Take command',
      'Investigating',
      'Mark mitigated',
      'Raise to SEV1',
      'Lower to SEV3',
      'Resolve',
    ]);
    const announced = await waitFor(
      () => fake.messages('C0INCIDENTS').find((m) => m.text.includes(`INC-${number} declared`)),
      'the announcement',
    );
    expect(announced.text).toMatch(new RegExp(`INC-${number} declared\\* \\(SEV2\\)`));

    // Slack keeps the bot's own posts out of the timeline; the API shows where it lives.
    const detail = await apiJson(bot, `/api/incidents/${number}`);
    expect(detail.incident).toMatchObject({ platform: 'slack', channelId: channel, cardMessageId: card.ts });
  });

  it('declares through the modal when /incident declare has no arguments', async () => {
    const before = new Set(fake.views().map((v) => v.id));
    const cmd = await fake.as('U0BOB').command('C0GENERAL', 'declare');
    const view = await waitFor(
      () => fake.views().find((v) => v.callbackId === 'incident_declare' && !before.has(v.id)),
      'the modal',
    );
    expect(view.userId).toBe('U0BOB');
    expect(cmd.triggerId).toBeTruthy();
    // A missing title is refused in the form itself, in /incident declare's own words.
    const bad = await fake.as('U0BOB').submit(view.id, { title: { title: '   ' } });
    expect(bad.delivery.response).toEqual({
      response_action: 'errors',
      errors: { title: 'The title is empty.' },
    });
    await fake.as('U0BOB').submit(view.id, {
      title: { title: 'Inference p99 over 2 s' },
      severity: { severity: 'SEV3' },
      description: { description: 'vLLM queue depth climbing on the inference pool' },
    });
    const ch = await waitFor(
      () =>
        fake
          .channels()
          .find((c) => /^inc-\d+-inference-p99-over-2-s$/.test(c.name) && c.members.includes('U0BOB')),
      'the modal incident with its declarer',
    );
    const number = Number(/^inc-(\d+)-/.exec(ch.name)![1]);
    const detail = await apiJson(bot, `/api/incidents/${number}`);
    expect(detail.incident).toMatchObject({
      title: 'Inference p99 over 2 s',
      severity: 'SEV3',
      description: 'vLLM queue depth climbing on the inference pool',
      createdBy: 'U0BOB',
    });
  });

  it('keeps the card current and records status, severity and roles', async () => {
    const { number, channel } = await declare('Inference pool degraded --severity SEV2');
    const card = fake.messages(channel).find((m) => m.byBot)!;
    await fake.as('U0ALICE').command(channel, 'status investigating');
    await fake.as('U0ALICE').click(channel, card.ts, 'Take command');
    const raise = await fake.as('U0BOB').click(channel, card.ts, 'Raise to SEV1');
    await fake.redeliver(raise);
    await waitFor(() => {
      const text = JSON.stringify(fake.message(channel, card.ts)?.blocks);
      return text.includes('investigating') && text.includes('<@U0ALICE>');
    }, 'the updated card');
    await waitFor(
      () => fake.channel(channel)?.topic.includes('IC: alice'),
      'the topic with the commander',
      // conversations.setTopic is Tier 2 (about 20 a minute): the bot paces it.
      10_000,
    );
    const { incident, timeline } = await apiJson(bot, `/api/incidents/${number}`);
    expect(timeline.map((e: any) => e.kind)).toEqual(expect.arrayContaining(['declared', 'status', 'role']));
    expect(incident.severity).toBe('SEV1');
    expect(timeline.filter((e: any) => e.kind === 'severity')).toHaveLength(1);
  });

  it('announces a change made with a button as it does the command: in the channel, who did it, and in #incidents', async () => {
    const { number, channel } = await declare('Storage latency on the training pool --severity SEV3');
    const card = fake.messages(channel).find((m) => m.byBot)!;
    const raise = await fake.as('U0BOB').click(channel, card.ts, 'Raise to SEV2');
    expect(await answerTo(fake, raise)).toMatch(new RegExp(`^INC-${number} is now SEV2\\.\\n`));
    await waitFor(
      () =>
        fake.messages('C0INCIDENTS').find((m) => m.text.includes(`INC-${number}* raised to SEV2 (was SEV3)`)),
      'the raise announced',
    );
    const mitigated = await fake.as('U0BOB').click(channel, card.ts, 'Mark mitigated');
    // The clicker hears it privately; everyone else from the channel and #incidents.
    expect(await answerTo(fake, mitigated)).toMatch(new RegExp(`^INC-${number} is now mitigated\\.\\n`));
    const inChannel = await waitFor(
      () =>
        fake.messages(channel).find((m) => m.byBot && m.text.includes(`INC-${number} marked mitigated by`)),
      'the channel told',
    );
    expect(inChannel.text).toBe(`🩹 INC-${number} marked mitigated by <@U0BOB>.`);
    await waitFor(
      () => fake.messages('C0INCIDENTS').find((m) => m.text.includes(`INC-${number}* mitigated:`)),
      'the announcement',
    );
    await waitFor(
      () => fake.buttons(channel, card.ts).some((b) => b.label === 'Resolve'),
      'the redrawn card',
    );
    const resolved = await fake.as('U0BOB').click(channel, card.ts, 'Resolve');
    expect(await answerTo(fake, resolved)).toMatch(new RegExp(`^INC-${number} resolved\\.\\n`));
    await waitFor(
      () =>
        fake
          .messages(channel)
          .find((m) => m.byBot && m.text.startsWith(`✅ INC-${number} resolved by <@U0BOB>.`)),
      'the resolve in the channel',
    );
    await waitFor(
      () => fake.messages('C0INCIDENTS').find((m) => m.text.includes(`INC-${number}* resolved:`)),
      'the resolve announced',
    );
  });

  it('runs a drain once a second person from @sre approves, and refuses the others', async () => {
    const { number, channel } = await declare('gpu-node-5 fell off the bus --severity SEV1');
    const drain = await fake.as('U0ALICE').command(channel, 'drain gpu-node-5', { command: '/node' });
    expect(await answerTo(fake, drain)).toMatch(/Requested drain of gpu-node-5/);
    const request = await waitFor(
      () => fake.messages(channel).find((m) => m.byBot && m.text.startsWith('🛠️ drain gpu-node-5')),
      'the action message',
    );
    const approve = fake.buttons(channel, request.ts).find((b) => b.label === 'Approve')!;
    expect(approve.style).toBe('danger');
    // Slack would draw a confirmation dialog for whoever clicks, the requester too, who cannot
    // approve at SEV1: the bot asks itself instead, only those it would not refuse.
    expect(approve.confirm).toBeUndefined();
    expect(approve.actionId).toMatch(/^ask:act:approve:/);
    const own = await fake.as('U0ALICE').click(channel, request.ts, approve.actionId);
    expect(await answerTo(fake, own)).toMatch(
      /^❌ You requested this drain; at SEV1 someone else must approve it\./,
    );
    expect(
      fake
        .ephemerals({ channel, user: 'U0ALICE' })
        .some((e) => JSON.stringify(e.blocks).includes('Yes, drain')),
    ).toBe(false);

    /** Clicks Approve, then the real button of the question only the clicker sees; that second click. */
    const approveAs = async (user: string) => {
      const ask = await fake.as(user).click(channel, request.ts, approve.actionId);
      expect(await answerTo(fake, ask)).toMatch(/^Run drain on gpu-node-5\?/);
      const question = fake.ephemerals({ channel, user }).at(-1)!;
      expect(question.blocks?.length).toBeGreaterThan(0);
      return { question, click: await fake.as(user).click(channel, question.ts, 'Yes, drain') };
    };

    // "Not yet" takes the question away and does nothing.
    const asked = await fake.as('U0BOB').click(channel, request.ts, approve.actionId);
    await answerTo(fake, asked);
    const question = fake.ephemerals({ channel, user: 'U0BOB' }).at(-1)!;
    await fake.as('U0BOB').click(channel, question.ts, 'Not yet');
    await waitFor(
      () => !fake.ephemerals({ channel, user: 'U0BOB' }).some((e) => e.ts === question.ts),
      'the question gone',
    );
    expect((await apiJson(bot, `/api/incidents/${number}`)).actions[0].status).toBe('requested');

    const carol = (await approveAs('U0CAROL')).click;
    expect(await answerTo(fake, carol)).toMatch(/may not approve a drain/);

    const { click } = await approveAs('U0BOB');
    await waitFor(() => fake.message(channel, request.ts)?.text.includes('succeeded'), 'the drain result');
    // Slack redelivers; the same click acts once.
    await fake.redeliver(click);
    const { actions, timeline } = await apiJson(bot, `/api/incidents/${number}`);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ status: 'succeeded', requestedBy: 'U0ALICE', decidedBy: 'U0BOB' });
    expect(timeline.filter((e: any) => e.kind === 'action_approved')).toHaveLength(1);
    expect(fake.buttons(channel, request.ts)).toEqual([]);
  });

  it('acts once on a redelivered command', async () => {
    const { number, channel } = records;
    const cmd = await fake.as('U0BOB').command(channel, 'note vendor ticket 4411 opened');
    await fake.redeliver(cmd);
    await waitFor(async () => {
      const { timeline } = await apiJson(bot, `/api/incidents/${number}`);
      return timeline.some((e: any) => e.kind === 'note' && e.text.includes('vendor ticket 4411'));
    }, 'the note');
    const { timeline } = await apiJson(bot, `/api/incidents/${number}`);
    expect(
      timeline.filter((e: any) => e.kind === 'note' && e.text.includes('vendor ticket 4411')),
    ).toHaveLength(1);
  });

  it('handles a command whose answer has nowhere to go, saying so in the log only', async () => {
    // Sent from a channel the bot cannot see, with a response_url that no longer works.
    const { payload } = fake.build.slashCommand({ user: 'U0ALICE', channel: 'general', text: 'status' });
    const lost = {
      ...payload,
      channel_id: 'C0NOTVISIBLE',
      response_url: `${new URL(fake.url).origin}/commands/T0GONE/gone`,
    };
    const before = bot.output.length;
    await fake.deliver('command', lost);
    const warned = await waitFor(
      () => bot.output.slice(before).find((l) => l.includes('could not show the reply')),
      'the warning',
    );
    expect(warned).toContain('C0NOTVISIBLE');
    expect(bot.output.slice(before).some((l) => l.includes('handling a Slack event failed'))).toBe(false);
    // Still serving.
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  });

  it('waits out a 429 with Retry-After and still posts the update', async () => {
    const { channel } = records;
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await fake.as('U0BOB').command(channel, 'update Drained gpu-node-5; training resumed on gpu-node-6');
    const update = await waitFor(
      () =>
        fake
          .messages(channel)
          .find((m) => m.byBot && m.text.includes('Drained gpu-node-5; training resumed')),
      'the update after the 429',
      10_000,
    );
    expect(update).toBeTruthy();
    const posts = fake.calls('chat.postMessage');
    const limited = posts.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(posts[limited + 1]!.at - posts[limited]!.at).toBeGreaterThanOrEqual(900);
  });

  it('builds the timeline from the channel: messages, threads, edits, deletions and 📌', async () => {
    const { number, channel } = records;
    const alice = fake.as('U0ALICE');
    const said = await alice.post(channel, 'dmesg shows Xid 79 on GPU 4 &lt;- hardware');
    await alice.post(channel, 'checking the BMC', { threadTs: said.ts });
    const typo = await alice.post(channel, 'rebootign');
    await alice.edit(channel, typo.ts, 'rebooting');
    const oops = await alice.post(channel, 'wrong channel');
    await alice.delete(channel, oops.ts);
    await fake.as('U0BOB').react(channel, said.ts, 'pushpin');
    await waitFor(async () => {
      const { timeline } = await apiJson(bot, `/api/incidents/${number}`);
      const msgs = timeline.filter((e: any) => e.kind === 'message');
      return msgs.length === 4 && msgs[0].key && msgs[3].deletedAt && msgs[2].editedAt;
    }, 'the timeline from the channel');
    const { timeline } = await apiJson(bot, `/api/incidents/${number}`);
    const msgs = timeline.filter((e: any) => e.kind === 'message');
    expect(msgs.map((e: any) => [e.actorId, e.text])).toEqual([
      ['U0ALICE', 'dmesg shows Xid 79 on GPU 4 <- hardware'],
      ['U0ALICE', 'checking the BMC'],
      ['U0ALICE', 'rebooting'],
      ['U0ALICE', ''],
    ]);
    // Times are shown in each person's own zone: alice's timeline is in Europe/Berlin.
    const asked = await alice.command(channel, 'timeline --key');
    expect(await answerTo(fake, asked)).toContain('Times in Europe/Berlin.');
  });
});
