import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';

/** Who may see and change what in the sandbox, and retried requests acting once. */
describe('sandbox access and retries', () => {
  const tmp = tempDir();
  let bot: BotProcess;
  let alice: SandboxClient;
  let bob: SandboxClient;
  let general: string;
  let secret: any;
  let secretNumber: number;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
    alice = new SandboxClient(bot.url, 'alice');
    bob = alice.as('bob');
    general = (await alice.channel('general')).id;
    const reply = await alice.send(
      general,
      '/incident declare Customer data exposure --private --severity SEV1',
    );
    // The private incident's name is told to the declarer only.
    expect(reply.reply.visibility).toBe('ephemeral');
    secret = await alice.channel(/→ #(\S+)/.exec(replyText(reply))![1]!);
    secretNumber = Number(/INC-(\d+)/.exec(replyText(reply))![1]);
  });

  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  it('keeps a private incident channel from non-members: list, read, post, click', async () => {
    expect((await bob.channels()).map((c) => c.name)).not.toContain(secret.name);
    expect((await bob.request('GET', `/sandbox/api/channels/${secret.id}/messages?user=bob`)).status).toBe(
      403,
    );
    const post = await bob.request('POST', '/sandbox/api/send', {
      user: 'bob',
      channelId: secret.id,
      text: 'hi',
    });
    expect(post.status).toBe(403);
    expect(post.body.error.message).toContain('is private and bob is not a member');

    const card = (await alice.messages(secret.id)).find((m) => m.message.buttons?.length);
    const take = card.message.buttons[0];
    // Naming a channel bob can see does not help: the message says where it lives.
    const click = await bob.request('POST', '/sandbox/api/click', {
      user: 'bob',
      channelId: general,
      messageId: card.id,
      buttonId: take.id,
    });
    expect(click.status).toBe(403);
    expect((await alice.incident(secretNumber)).roles).toEqual([]);
    const announced = (await alice.messages((await alice.channel('incidents')).id)).map(
      (m) => m.message.text,
    );
    expect(announced.join('\n')).not.toContain('Customer data exposure');
  });

  it('stores a retried chat message once', async () => {
    await alice.send(general, 'same message, sent twice', 'client-event-0001');
    await alice.send(general, 'same message, sent twice', 'client-event-0001');
    const copies = (await alice.messages(general)).filter(
      (m) => m.message.text === 'same message, sent twice',
    );
    expect(copies).toHaveLength(1);
  });

  it('freezes a closed incident’s channel, but still answers commands there', async () => {
    const { number, channel } = await alice.declare('"Closed for good" --private');
    const closed = channel.id as string;
    await alice.send(closed, 'last words before closing');
    await alice.send(closed, '/incident resolve');
    await alice.send(closed, '/incident close');
    const last = (await alice.messages(closed)).find((m) => m.message.text === 'last words before closing');
    const edit = await alice.request('POST', `/sandbox/api/messages/${last.id}/edit`, {
      user: 'alice',
      text: 'rewritten',
    });
    // A conflict with the channel's state, not a malformed request.
    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe('bot.chat.archived');
    const post = await alice.request('POST', '/sandbox/api/send', {
      user: 'alice',
      channelId: closed,
      text: 'x',
    });
    expect(post.body.error.code).toBe('bot.chat.archived');
    const timeline = await alice.send(closed, '/incident timeline --key');
    expect(timeline.reply.visibility).toBe('ephemeral');
    expect(replyText(timeline)).toContain('Status resolved → closed');
    expect((await alice.incident(number)).timeline.find((e: any) => e.kind === 'message').text).toBe(
      'last words before closing',
    );
  });
});
