import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * `--incident N`, `/incident list` and buttons, as a non-member and as a user of another platform
 * would use them against a private incident: it answers exactly as an incident that does not exist.
 */
describe('a private incident answers only to its members (sandbox)', () => {
  const tmp = tempDir();
  let bot: BotProcess;
  let alice: SandboxClient;
  let bob: SandboxClient;
  let dave: SandboxClient;
  let general: string;
  let channel: string;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
    alice = new SandboxClient(bot.url, 'alice');
    bob = alice.as('bob');
    dave = alice.as('dave');
    general = (await alice.channel('general')).id;
    await alice.send(general, '/incident declare Customer data exposure --severity SEV1 --private');
    await alice.send(general, '/incident declare Public one --severity SEV4');
    channel = (await alice.channel('inc-1-customer-data-exposure')).id;
    await alice.send(channel, '/incident assign responder @bob');
  });

  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  it('a non-member naming it by number gets the same answer as for an incident that does not exist', async () => {
    const unknown = replyText(await dave.send(general, '/incident timeline --incident 99'));
    expect(unknown).toContain('There is no INC-99.');
    for (const command of [
      '/incident timeline --incident 1',
      '/incident status --incident 1',
      '/incident resolve --incident 1',
      '/incident note peeking --incident 1',
    ]) {
      expect(replyText(await dave.send(general, command))).toBe(unknown.replaceAll('99', '1'));
    }
    const timeline = (await alice.incident(1)).timeline;
    expect(timeline.some((e: any) => e.actorId === 'dave')).toBe(false);
    expect((await alice.incident(1)).incident.status).toBe('declared');
  });

  it('a non-member cannot invite herself into its channel', async () => {
    const reply = replyText(await dave.send(general, '/incident assign responder me --incident 1'));
    expect(reply).toContain('There is no INC-1.');
    expect((await alice.incident(1)).roles.map((r: any) => r.userId)).not.toContain('dave');
    expect((await dave.channels()).map((c) => c.name)).not.toContain('inc-1-customer-data-exposure');
  });

  it('/incident list hides it from non-members and shows it to members', async () => {
    const forDave = replyText(await dave.send(general, '/incident list'));
    expect(forDave).toContain('Public one');
    expect(forDave).not.toContain('INC-1 ');
    expect(forDave).not.toContain('Customer data exposure');
    expect(forDave).toContain('Open incidents (1)');
    for (const member of [alice, bob]) {
      const text = replyText(await member.send(general, '/incident list'));
      expect(text).toContain('Customer data exposure');
      expect(text).toContain('Open incidents (2)');
    }
  });

  it('members may still name it by number from elsewhere', async () => {
    expect(replyText(await bob.send(general, '/incident timeline --incident 1'))).toContain(
      'Declared SEV1: Customer data exposure',
    );
  });

  it('a non-member clicking its buttons is refused as not in the channel', async () => {
    const card = (await alice.messages(channel)).find((m) => m.message.buttons?.length);
    const resolve = card.message.buttons.find((b: any) => b.id.startsWith('card:'));
    const refusedCard = await dave.request('POST', '/sandbox/api/click', {
      user: 'dave',
      channelId: general,
      messageId: card.id,
      buttonId: resolve.id,
    });
    expect(refusedCard.status).toBe(403);
    expect(refusedCard.body.error.message).toContain('is private and dave is not a member');
    await alice.send(channel, '/node cordon gpu-node-4');
    const request = await waitFor(
      async () =>
        (await alice.messages(channel)).find((m) => m.message.header?.startsWith('🛠️ cordon gpu-node-4')),
      'the cordon request',
    );
    const approve = request.message.buttons.find((b: any) => b.label === 'Approve');
    const refused = await dave.request('POST', '/sandbox/api/click', {
      user: 'dave',
      channelId: general,
      messageId: request.id,
      buttonId: approve.id,
    });
    expect(refused.status).toBe(403);
    const { actions, incident } = await alice.incident(1);
    expect(actions[0].status).toBe('requested');
    expect(incident.status).toBe('declared');
  });
});

describe('an incident answers only on the platform it lives on (Slack and the sandbox)', () => {
  const tmp = tempDir();
  let slack: FakeSlack;
  let bot: BotProcess;
  let dave: SandboxClient;

  beforeAll(async () => {
    slack = await startFakeSlack();
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.url,
      SANDBOX: 'true',
    });
    await slack.waitForConnection();
    dave = new SandboxClient(bot.url, 'dave');
    await slack.as('U0ALICE').command('C0GENERAL', 'declare Slack secret --severity SEV2 --private');
    await waitFor(() => slack.channel('inc-1-slack-secret'), 'the Slack channel');
  });

  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
    tmp.remove();
  });

  const answer = async (sent: { payload: { response_url?: string } }) => {
    const post = await waitFor(
      () => slack.responseUrlPosts().find((p) => p.url === sent.payload.response_url),
      'an answer',
    );
    const body = post.body as { text?: string; blocks?: unknown };
    return `${body.text ?? ''}\n${JSON.stringify(body.blocks ?? [])}`;
  };

  it('a sandbox user cannot resolve, read or join a Slack incident', async () => {
    const general = (await dave.channel('general')).id;
    for (const command of [
      '/incident resolve --incident 1',
      '/incident timeline --incident 1',
      '/incident assign responder me --incident 1',
    ]) {
      expect(replyText(await dave.send(general, command))).toContain('There is no INC-1.');
    }
    expect(replyText(await dave.send(general, '/incident list --all'))).toContain('No incidents yet.');
    const { incident, roles } = (await (await fetch(`${bot.url}/api/incidents/1`)).json()) as any;
    expect(incident.status).toBe('declared');
    expect(roles).toEqual([]);
  });

  it('a Slack user outside the private channel is answered as for no incident; one inside is answered', async () => {
    const carol = await slack.as('U0CAROL').command('C0GENERAL', 'timeline --incident 1');
    expect(await answer(carol)).toContain('There is no INC-1.');
    const join = await slack.as('U0CAROL').command('C0GENERAL', 'assign responder me --incident 1');
    expect(await answer(join)).toContain('There is no INC-1.');
    expect(slack.channel('inc-1-slack-secret')?.members).not.toContain('U0CAROL');
    const alice = await slack.as('U0ALICE').command('C0GENERAL', 'timeline --incident 1');
    expect(await answer(alice)).toContain('Declared SEV2: Slack secret');
  });
});
