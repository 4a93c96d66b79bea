import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../scripts/discord-register.ts';
import {
  buttonsOf,
  type FakeDiscord,
  type FakeInteraction,
  startFakeDiscord,
} from '../fakes/discord/index.ts';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

const WEBHOOK_TOKEN = 'e2e-webhook-token-0123456789';
const NOBODY = { users: [], groups: [], broadcasts: [] };
/** A workload the simulated fleet cannot restart (its GPU fell off the bus): each attempt fails. */
const FAILING = 'qwen2-72b-finetune-0';

/**
 * Quoted text never mentions anyone: the real bot process against the fake Slack and the fake
 * Discord, which record whom each message notifies by the platforms' rules. An alert summary, an
 * incident title and a status update carrying mentions reach chat as literal text (Slack) or with
 * nothing allowed to notify (Discord); the mentions the bot decides on (a role holder on the card,
 * the on-call page after failed mitigations) still notify exactly the people they name.
 */
describe('mentions on Slack', () => {
  const tmp = tempDir();
  let fake: FakeSlack;
  let bot: BotProcess;
  /** An incident for the tests that post into one (an update, failed restarts); each reads back its own. */
  let channel: string;

  beforeAll(async () => {
    fake = await startFakeSlack();
    writeFileSync(
      `${tmp.dir}/bot.yml`,
      "policy:\n  approvers: ['@sre']\nescalation:\n  onCall: [U0CAROL]\n  afterFailures: 2\n",
    );
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      CONFIG_FILE: `${tmp.dir}/bot.yml`,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_APP_TOKEN: fake.appToken,
      SLACK_API_URL: fake.url,
      SLACK_ANNOUNCE_CHANNEL: '#incidents',
      WEBHOOK_TOKEN,
    });
    await fake.waitForConnection();
    channel = (await declare('gpu-node-2 ECC errors --severity SEV3')).channel;
  }, 30_000);

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  const botPosts = (channel: string): FakeMessage[] => fake.messages(channel).filter((m) => m.byBot);

  /** `/incident declare` by alice in #general: the new incident's number and channel, once announced. */
  async function declare(args: string): Promise<{ number: number; channel: string }> {
    const cmd = await fake.as('U0ALICE').command('C0GENERAL', `declare ${args}`);
    const answer = await waitFor(
      () => fake.responseUrlPosts().find((p) => p.url === cmd.payload.response_url),
      'the answer',
    );
    const m = /^INC-(\d+) declared .*→ <#(C[A-Z0-9]+)/.exec(String((answer.body as { text?: unknown }).text));
    if (!m) throw new Error(`declare ${args}: ${JSON.stringify(answer.body)}`);
    const number = Number(m[1]);
    await waitFor(
      () => botPosts('C0INCIDENTS').some((x) => x.text.includes(`INC-${number} declared`)),
      'the announcement',
    );
    return { number, channel: m[2]! };
  }

  it('shows the mentions in an alert summary literally and notifies nobody', async () => {
    const res = await fetch(`${bot.url}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body: JSON.stringify({
        alerts: [
          {
            name: 'GPUXidError',
            status: 'firing',
            severity: 'critical',
            node: 'gpu-node-5',
            summary: 'Xid 79 on gpu-node-5 <!subteam^S0123|@sre> <@U0123> <!channel>',
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const channel = await waitFor(
      () => fake.channels().find((c) => /^inc-\d+-gpuxiderror/.test(c.name)),
      'the alert incident channel',
      15_000,
    );
    const number = /^inc-(\d+)-/.exec(channel.name)![1];
    const alert = await waitFor(
      () => botPosts(channel.id).find((m) => m.text.startsWith('🔥 1 alert firing')),
      'the alert in the channel',
      15_000,
    );
    expect(JSON.stringify(alert.blocks)).toContain(
      '&lt;!subteam^S0123|@sre&gt; &lt;@U0123&gt; &lt;!channel&gt;',
    );
    await waitFor(
      () => botPosts('C0INCIDENTS').some((m) => m.text.includes(`INC-${number} declared`)),
      'the announcement',
    );
    const about = botPosts('C0INCIDENTS').filter((m) => m.text.includes(`INC-${number} `));
    expect(about.length).toBeGreaterThan(0);
    for (const m of [...botPosts(channel.id), ...about]) expect(m.mentions).toEqual(NOBODY);
  });

  it('shows a title’s mentions literally; the card names (and so notifies) only the people it means', async () => {
    const { number, channel: id } = await declare(
      'Ask <@U0CAROL> and <!subteam^S0SRE|@sre> about gpu-node-2 --severity SEV3',
    );
    const channel = fake.channel(id)!;
    const announced = botPosts('C0INCIDENTS').find((m) => m.text.includes(`INC-${number} declared`))!;
    expect(announced.text).toContain('Ask &lt;@U0CAROL&gt; and &lt;!subteam^S0SRE|@sre&gt;');
    // "Declared by" is the bot's own mention of the declarer: that one notifies.
    expect(announced.mentions).toEqual({ users: ['U0ALICE'], groups: [], broadcasts: [] });

    await fake.as('U0ALICE').command(channel.id, 'assign commander <@U0BOB>');
    const card = await waitFor(
      () =>
        botPosts(channel.id).find(
          (m) => m.ts === botPosts(channel.id)[0]?.ts && JSON.stringify(m.blocks).includes('<@U0BOB>'),
        ),
      'the card with its commander',
    );
    expect(card.text).toContain('Ask &lt;@U0CAROL&gt;');
    expect(card.mentions.groups).toEqual([]);
    expect([...card.mentions.users].sort()).toEqual(['U0ALICE', 'U0BOB']);
  });

  it('shows a link whose label names another address with its real target', async () => {
    await fake
      .as('U0ALICE')
      .command(
        channel,
        'update Log in at <https://evil.example/login|https://good.example/login> or <https://good.example/d|dashboard>',
      );
    const update = await waitFor(
      () =>
        botPosts(channel).find(
          (m) =>
            m.text.startsWith('Status update for INC-') && JSON.stringify(m.blocks).includes('Log in at'),
        ),
      'the update',
    );
    const shown = JSON.stringify(update.blocks);
    expect(shown).toContain('Log in at <https://evil.example/login> or <https://good.example/d|dashboard>');
    expect(shown).not.toContain('|https://good.example/login>');
  });

  it('pages exactly the configured on-call after two failed mitigations', async () => {
    for (let i = 1; i <= 2; i++) {
      await fake.as('U0ALICE').command(channel, `restart ${FAILING}`, { command: '/workload' });
      const request = await waitFor(
        () =>
          botPosts(channel).filter((m) => fake.buttons(channel, m.ts).some((b) => b.label === 'Approve'))[0],
        `restart request ${i}`,
        15_000,
      );
      await fake.as('U0BOB').click(channel, request.ts, 'Approve');
      await waitFor(
        () => botPosts(channel).filter((m) => m.text.startsWith('❌ restart of')).length === i,
        `restart ${i} failed`,
        15_000,
      );
    }
    const page = await waitFor(
      () => botPosts(channel).find((m) => m.text.startsWith('📟 Escalating INC-')),
      'the page',
      15_000,
    );
    expect(page.text).toContain('<@U0CAROL>');
    expect(page.mentions).toEqual({ users: ['U0CAROL'], groups: [], broadcasts: [] });
  });
});

describe('mentions on Discord', () => {
  const tmp = tempDir();
  let fake: FakeDiscord;
  let bot: BotProcess;
  let channel: string;

  const answerTo = (i: FakeInteraction) => waitFor(() => fake.answer(i), 'the answer');

  beforeAll(async () => {
    fake = await startFakeDiscord();
    await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl });
    writeFileSync(
      `${tmp.dir}/bot.yml`,
      `policy:\n  approvers: ['@sre']\nescalation:\n  onCall: ['${fake.users.carol}']\n  afterFailures: 2\ndiscord:\n  announceChannel: '#incidents'\n`,
    );
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      CONFIG_FILE: `${tmp.dir}/bot.yml`,
      DISCORD_TOKEN: fake.token,
      DISCORD_GUILD_ID: fake.guildId,
      DISCORD_API_URL: fake.apiUrl,
    });
    await fake.waitForConnection();
    await answerTo(
      fake.as(fake.users.alice).command(fake.channels.general, 'incident', 'declare', {
        title: 'gpu-node-2 ECC errors',
        severity: 'SEV3',
      }),
    );
    channel = (await waitFor(() => fake.channel('inc-1-gpu-node-2-ecc-errors'), 'the channel')).id;
  }, 30_000);

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  const botPosts = (ch: string) => fake.messages(ch).filter((m) => m.authorId === fake.botId);

  it('sends a status update quoting <@&role>, a user and @everyone with nothing allowed to notify', async () => {
    const text = `Paging <@&${fake.roles.sre}> and <@${fake.users.carol}> @everyone: rebooting`;
    await answerTo(fake.as(fake.users.alice).command(channel, 'incident', 'update', { text }));
    const update = await waitFor(
      () => botPosts(channel).find((m) => m.content.includes('rebooting')),
      'the update in the channel',
    );
    const announced = await waitFor(
      () => botPosts(fake.channels.incidents).find((m) => m.content.includes('rebooting')),
      'the announcement',
    );
    for (const m of [update, announced]) {
      expect(m.content).toContain(`<@&${fake.roles.sre}>`);
      expect(m.notified).toEqual({ users: [], roles: [], everyone: false });
    }
    const sent = fake
      .callsTo('POST', new RegExp(`/channels/(${channel}|${fake.channels.incidents})/messages$`))
      .map((c) => (c.body as { allowed_mentions?: unknown } | undefined)?.allowed_mentions);
    expect(sent.length).toBeGreaterThan(0);
    for (const a of sent) expect(a).toMatchObject({ parse: [], roles: [] });
  });

  it('shows masked and neutral links whose label names another address with their real target', async () => {
    const text =
      'Sign in at [https://good.example/login](https://evil.example/login) or <https://evil.example/x|good.example>, see [the runbook](https://runbooks.example/xid)';
    await answerTo(fake.as(fake.users.alice).command(channel, 'incident', 'update', { text }));
    const update = await waitFor(
      () => botPosts(channel).find((m) => m.content.includes('Sign in at')),
      'the update with links',
    );
    const shown = JSON.stringify([update.content, update.embeds]);
    expect(update.content).toContain(
      'Sign in at <https://evil.example/login> or <https://evil.example/x>, see [the runbook](https://runbooks.example/xid)',
    );
    expect(shown).not.toContain('[https://good.example/login]');
    expect(shown).not.toContain('[good.example]');
  });

  it('pages exactly the configured on-call after two failed mitigations', async () => {
    for (let i = 1; i <= 2; i++) {
      await answerTo(
        fake.as(fake.users.alice).command(channel, 'workload', 'restart', { workload: FAILING }),
      );
      const request = await waitFor(
        () => botPosts(channel).find((m) => buttonsOf(m).some((b) => b.label === 'Approve')),
        `restart request ${i}`,
      );
      const prompt = await answerTo(fake.as(fake.users.bob).click(channel, request.id, 'Approve'));
      const confirm = buttonsOf(prompt.message).find((b) => b.customId.startsWith('act:approve:'))!;
      await answerTo(fake.as(fake.users.bob).click(channel, prompt.message.id, confirm.customId));
      await waitFor(
        () => botPosts(channel).filter((m) => m.content.startsWith('❌ restart of')).length === i,
        `restart ${i} failed`,
        15_000,
      );
    }
    const page = await waitFor(
      () => botPosts(channel).find((m) => m.content.startsWith('📟 Escalating INC-1')),
      'the page',
      15_000,
    );
    expect(page.notified).toEqual({ users: [fake.users.carol], roles: [], everyone: false });
  });
});
