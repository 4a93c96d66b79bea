import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { registerCommands } from '../../scripts/discord-register.ts';
import {
  buttonsOf,
  type FakeDiscord,
  type FakeInteraction,
  startFakeDiscord,
} from '../fakes/discord/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The real bot process with the real discord.js client, against the in-repo fake Discord (REST
 * and gateway): a whole incident, approvals by role, redelivered interactions and the timeline.
 */
const CONFIG = `
policy:
  approvers: ['@sre']
incidents:
  responders: ['@sre']
discord:
  announceChannel: '#incidents'
`;

async function apiJson(bot: BotProcess, path: string): Promise<any> {
  const r = await fetch(`${bot.url}${path}`);
  return r.json();
}

function botEnv(fake: FakeDiscord, dir: string): Record<string, string> {
  return {
    DATABASE_URL: `sqlite:${dir}/bot.db`,
    CONFIG_FILE: `${dir}/bot.yml`,
    DISCORD_TOKEN: fake.token,
    DISCORD_GUILD_ID: fake.guildId,
    DISCORD_API_URL: fake.apiUrl,
  };
}

const answerTo = (fake: FakeDiscord, i: FakeInteraction) => waitFor(() => fake.answer(i), 'the answer');

describe('Discord, end to end', () => {
  const tmp = tempDir();
  let fake: FakeDiscord;
  let bot: BotProcess;
  let alice: string;
  let bob: string;
  let carol: string;

  beforeAll(async () => {
    fake = await startFakeDiscord();
    ({ alice, bob, carol } = fake.users);
    // The registration script against the fake: interactions below are typed by what it registered.
    const registered = await registerCommands({
      token: fake.token,
      guildId: fake.guildId,
      apiUrl: fake.apiUrl,
    });
    expect(registered.names.sort()).toEqual([...new Set(commands.map((c) => c.group))].sort());
    writeFileSync(`${tmp.dir}/bot.yml`, CONFIG);
    bot = await startBotProcess(botEnv(fake, tmp.dir));
    await fake.waitForConnection();
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  /** `/incident declare` by alice in #general, once its card is posted: each test declares its own. */
  async function declare(options: Record<string, unknown>): Promise<{ number: number; channel: string }> {
    const answer = await answerTo(
      fake,
      fake.as(alice).command(fake.channels.general, 'incident', 'declare', options),
    );
    const m = /^INC-(\d+) declared .*→ \[#(inc-[a-z0-9-]+)\]/.exec(answer.text);
    if (!m) throw new Error(`declare: ${answer.text}`);
    const channel = (await waitFor(() => fake.channel(m[2]!), 'the incident channel')).id;
    await waitFor(() => fake.messages(channel).find((x) => x.authorId === fake.botId), 'the card');
    return { number: Number(m[1]), channel };
  }

  it('declares: a channel under the category, responders by role, the card and the announcement', async () => {
    const cmd = fake.as(alice).command(fake.channels.general, 'incident', 'declare', {
      title: 'GPU node 5 fell off the bus',
      severity: 'SEV2',
    });
    const answer = await answerTo(fake, cmd);
    expect(answer.ephemeral).toBe(false);
    const number = Number(/^INC-(\d+) /.exec(answer.text)?.[1]);
    expect(answer.text).toMatch(
      new RegExp(
        `^INC-${number} declared \\(SEV2\\): GPU node 5 fell off the bus → \\[#inc-${number}-gpu-node-5-fell-off-the-bus\\]`,
      ),
    );

    const ch = await waitFor(
      () => fake.channel(`inc-${number}-gpu-node-5-fell-off-the-bus`),
      'the incident channel',
    );
    const channel = ch.id;
    expect(ch.parent_id).toBe(fake.category('Incidents')?.id);
    await waitFor(() => fake.channel(channel)?.topic?.includes('SEV2'), 'the topic');
    // Alice (the declarer) and the SRE role (the responders) have overwrites that let them in.
    await waitFor(
      () => ch.overwrites.some((o) => o.id === fake.roles.sre && o.type === 0),
      'the SRE overwrite',
    );
    expect(ch.overwrites.some((o) => o.id === alice && o.type === 1)).toBe(true);

    const card = await waitFor(
      () => fake.messages(channel).find((m) => m.authorId === fake.botId),
      'the card',
    );
    expect(card.embeds[0]?.title).toContain(`INC-${number}: GPU node 5 fell off the bus`);
    expect(buttonsOf(card).map((b) => b.label)).toEqual([
      'Take command',
      'Investigating',
      'Mark mitigated',
      'Raise to SEV1',
      'Lower to SEV3',
      'Resolve',
    ]);
    // Resolve asks first: Discord buttons have no confirmation of their own.
    expect(buttonsOf(card).find((b) => b.label === 'Resolve')?.customId).toMatch(/^ask:card:resolve:/);
    const announced = await waitFor(
      () => fake.messages(fake.channels.incidents).find((m) => m.content.includes(`INC-${number} declared`)),
      'the announcement',
    );
    expect(announced.content).toContain(`**INC-${number} declared** (SEV2)`);

    const detail = await apiJson(bot, `/api/incidents/${number}`);
    expect(detail.incident).toMatchObject({
      platform: 'discord',
      channelId: channel,
      cardMessageId: card.id,
    });
  });

  it('keeps a private incident to the declarer and the responders', async () => {
    const cmd = fake.as(bob).command(fake.channels.general, 'incident', 'declare', {
      title: 'Customer data in logs',
      private: true,
    });
    const answer = await answerTo(fake, cmd);
    expect(answer.ephemeral).toBe(true);
    const number = Number(/^INC-(\d+) declared/.exec(answer.text)?.[1]);
    const ch = await waitFor(
      () => fake.channel(`inc-${number}-customer-data-in-logs`),
      'the private channel',
    );
    await waitFor(() => fake.viewers(ch.id).includes(alice), 'the SRE role let in');
    expect(fake.viewers(ch.id)).toEqual(expect.arrayContaining([bob, alice, fake.botId]));
    expect(fake.viewers(ch.id)).not.toContain(carol);
    expect(fake.messages(fake.channels.incidents).some((m) => m.content.includes(`INC-${number}`))).toBe(
      false,
    );
  });

  it('announces a change made with a button as it does the command: in the channel, who did it, and in #incidents', async () => {
    const { number, channel } = await declare({
      title: 'Storage latency on the training pool',
      severity: 'SEV3',
    });
    const card = () => fake.messages(channel).find((m) => m.authorId === fake.botId)!;
    const announced = (text: string) =>
      waitFor(
        () => fake.messages(fake.channels.incidents).find((m) => m.content.includes(text)),
        `the announcement "${text}"`,
      );
    const mitigated = await answerTo(fake, fake.as(bob).click(channel, card().id, 'Mark mitigated'));
    // The clicker hears it privately; everyone else from the channel and #incidents.
    expect(mitigated).toMatchObject({ ephemeral: true, text: `INC-${number} is now mitigated.` });
    const told = await waitFor(
      () =>
        fake
          .messages(channel)
          .find((m) => m.authorId === fake.botId && m.content.includes('marked mitigated by')),
      'the channel told',
    );
    expect(told.content).toBe(`🩹 INC-${number} marked mitigated by <@${bob}>.`);
    await announced(`**INC-${number}** mitigated:`);

    // Resolve asks first (Discord buttons have no confirmation of their own), then resolves.
    await waitFor(() => buttonsOf(card()).some((b) => b.label === 'Resolve'), 'the redrawn card');
    const prompt = await answerTo(fake, fake.as(bob).click(channel, card().id, 'Resolve'));
    expect(prompt.ephemeral).toBe(true);
    const confirm = buttonsOf(prompt.message).find((b) => b.customId.startsWith('card:resolve:'))!;
    const resolved = await answerTo(fake, fake.as(bob).click(channel, prompt.message.id, confirm.customId));
    expect(resolved.text).toBe(`INC-${number} resolved.`);
    await waitFor(
      () =>
        fake
          .messages(channel)
          .find(
            (m) =>
              m.authorId === fake.botId && m.content.startsWith(`✅ INC-${number} resolved by <@${bob}>.`),
          ),
      'the resolve in the channel',
    );
    await announced(`**INC-${number}** resolved:`);
  });

  it('runs a drain once a second person from the SRE role approves, and refuses the others', async () => {
    const { number, channel } = await declare({ title: 'gpu-node-5 fell off the bus', severity: 'SEV2' });
    const drain = fake.as(alice).command(channel, 'node', 'drain', { node: 'gpu-node-5' });
    expect((await answerTo(fake, drain)).text).toMatch(/Requested drain of gpu-node-5/);
    const request = await waitFor(
      () =>
        fake
          .messages(channel)
          .find((m) => m.authorId === fake.botId && m.embeds[0]?.title?.startsWith('🛠️ drain gpu-node-5')),
      'the action message',
    );
    const approve = buttonsOf(request).find((b) => b.label === 'Approve')!;
    expect(approve.style).toBe(4);
    expect(approve.customId).toMatch(/^ask:act:approve:/);

    /** Clicks Approve, then the confirmation only the clicker sees; returns that second click. */
    const approveAs = async (user: string) => {
      const ask = fake.as(user).click(channel, request.id, 'Approve');
      const prompt = await answerTo(fake, ask);
      expect(prompt.ephemeral).toBe(true);
      const confirm = buttonsOf(prompt.message).find((b) => b.customId.startsWith('act:approve:'))!;
      return fake.as(user).click(channel, prompt.message.id, confirm.customId);
    };

    // The requester is told at once, not shown a confirmation that cannot count.
    const own = await answerTo(fake, fake.as(alice).click(channel, request.id, 'Approve'));
    expect(own.ephemeral).toBe(true);
    expect(own.text).toBe('❌ You requested this drain; at SEV2 someone else must approve it.');
    expect(buttonsOf(own.message)).toEqual([]);
    const other = await approveAs(carol);
    expect((await answerTo(fake, other)).text).toMatch(/may not approve a drain/);

    const click = await approveAs(bob);
    await waitFor(
      () => fake.message(channel, request.id)?.embeds[0]?.title?.includes('succeeded'),
      'the drain result',
    );
    expect((await answerTo(fake, click)).text).toMatch(/Approved: the drain of gpu-node-5 succeeded/);
    // Discord redelivers the same interaction; it acts once and is answered once.
    fake.redeliver(click);
    await new Promise((r) => setTimeout(r, 500));
    const { actions, timeline } = await apiJson(bot, `/api/incidents/${number}`);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ status: 'succeeded', requestedBy: alice, decidedBy: bob });
    expect(timeline.filter((e: any) => e.kind === 'action_approved')).toHaveLength(1);
    expect(fake.callsTo('POST', new RegExp(`/interactions/${click.id}/`)).map((c) => c.status)).toEqual([
      204,
    ]);
    expect(buttonsOf(fake.message(channel, request.id)!)).toEqual([]);
  });

  it('acts once on a redelivered command', async () => {
    const { number, channel } = await declare({ title: 'Vendor escalation' });
    const cmd = fake.as(bob).command(channel, 'incident', 'note', { text: 'vendor ticket 4411 opened' });
    fake.redeliver(cmd);
    await answerTo(fake, cmd);
    await new Promise((r) => setTimeout(r, 300));
    const { timeline } = await apiJson(bot, `/api/incidents/${number}`);
    expect(timeline.filter((e: any) => e.kind === 'note')).toHaveLength(1);
  });

  it('builds the timeline from the channel: messages, edits, deletions and 📌', async () => {
    const { number, channel } = await declare({ title: 'Xid 79 on GPU 4' });
    const said = fake.as(alice).post(channel, 'dmesg shows Xid 79 on GPU 4 <- hardware');
    const typo = fake.as(alice).post(channel, 'rebootign');
    fake.as(alice).edit(channel, typo.id, 'rebooting');
    const oops = fake.as(bob).post(channel, 'wrong channel');
    fake.as(bob).delete(channel, oops.id);
    const pinned = fake.as(bob).post(channel, 'root cause: PCIe riser');
    fake.as(bob).react(channel, said.id, '📌');
    fake.as(alice).pin(channel, pinned.id);
    await waitFor(async () => {
      const { timeline } = await apiJson(bot, `/api/incidents/${number}`);
      const msgs = timeline.filter((e: any) => e.kind === 'message');
      return msgs.length === 4 && msgs[0].key && msgs[1].editedAt && msgs[2].deletedAt && msgs[3].key;
    }, 'the timeline from the channel');
    const { timeline } = await apiJson(bot, `/api/incidents/${number}`);
    expect(timeline.filter((e: any) => e.kind === 'message').map((e: any) => [e.actorId, e.text])).toEqual([
      [alice, 'dmesg shows Xid 79 on GPU 4 <- hardware'],
      [alice, 'rebooting'],
      [bob, ''],
      [bob, 'root cause: PCIe riser'],
    ]);
    // The bot's own posts stay off the timeline; channel edits kept within Discord's allowance.
    expect(fake.calls.filter((c) => c.status === 429)).toEqual([]);
  });
});

describe('Discord without the Message Content intent', () => {
  const tmp = tempDir();
  let fake: FakeDiscord;

  beforeAll(async () => {
    fake = await startFakeDiscord({ disallowMessageContent: true });
    writeFileSync(`${tmp.dir}/bot.yml`, CONFIG);
  });
  afterAll(async () => {
    await fake?.close();
    tmp.remove();
  });

  it('refuses to start and says where to enable it', async () => {
    const failed = await startBotProcess(botEnv(fake, tmp.dir)).catch((err: Error) => err);
    expect(failed).toBeInstanceOf(Error);
    const text = (failed as Error).message;
    expect(text).toMatch(/exited with 1 before it was ready/);
    expect(text).toContain('gateway close code 4014');
    expect(text).toContain(
      'Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content Intent',
    );
    expect(fake.gateway.closes).toContain(4014);
  });
});
