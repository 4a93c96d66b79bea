import { PermissionFlagsBits } from 'discord.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DiscordChat } from '../../src/chat/discord/adapter.ts';
import type { ChatPlatform } from '../../src/chat/port.ts';
import { isBotError } from '../../src/core/index.ts';
import { type FakeDiscord, messageText, snowflakeTime, startFakeDiscord } from '../fakes/discord/index.ts';
import { waitFor } from '../helpers/wait.ts';
import { botOverwrite, discordChatOn } from './discord-chat.ts';

/**
 * Issue 8: outbound Discord calls happen once, also when Discord's answer is lost. Messages carry
 * the outbox key as an enforced nonce; channel creation is never retried blindly, and a channel a
 * lost create made is adopted.
 */

const MESSAGES = /^\/channels\/\d+\/messages$/;
const GUILD_CHANNELS = /^\/guilds\/\d+\/channels$/;

/** A fake Discord and the real adapter on it, for the enclosing describe; faults cleared after each test. */
function connect(use: (fake: FakeDiscord, chat: DiscordChat) => void): void {
  let fake: FakeDiscord | undefined;
  let chat: DiscordChat | undefined;
  beforeAll(async () => {
    fake = await startFakeDiscord();
    chat = discordChatOn(fake);
    await chat.start(async () => undefined);
    use(fake, chat);
  });
  afterAll(async () => {
    await chat?.stop();
    await fake?.close();
  });
  afterEach(() => fake?.clearFaults());
}

const texts = (fake: FakeDiscord, channelId: string) => fake.messages(channelId).map((m) => messageText(m));

describe('Discord posts with an outbox key', () => {
  let fake: FakeDiscord;
  let chat: DiscordChat;

  connect((f, c) => {
    fake = f;
    chat = c;
  });

  async function freshChannel(name: string): Promise<string> {
    return (await chat.createChannel({ name, topic: '', private: false })).id;
  }

  it('sends the key as an enforced nonce; the same key twice leaves one message with one id', async () => {
    const channel = await freshChannel('inc-101-same-key');
    const first = await chat.postMessage(channel, { text: 'Status: investigating' }, { key: 'outbox-101-1' });
    const again = await chat.postMessage(channel, { text: 'Status: investigating' }, { key: 'outbox-101-1' });
    expect(again.messageId).toBe(first.messageId);
    expect(texts(fake, channel)).toEqual(['Status: investigating']);
    const sent = fake.callsTo('POST', MESSAGES).map((c) => c.body as Record<string, unknown>);
    expect(sent.at(-1)).toMatchObject({ nonce: 'outbox-101-1', enforce_nonce: true });
  });

  it('different keys are different messages', async () => {
    const channel = await freshChannel('inc-102-two-keys');
    const a = await chat.postMessage(channel, { text: 'Drained gpu-node-5.' }, { key: 'outbox-102-1' });
    const b = await chat.postMessage(channel, { text: 'Drained gpu-node-5.' }, { key: 'outbox-102-2' });
    expect(b.messageId).not.toBe(a.messageId);
    expect(texts(fake, channel)).toEqual(['Drained gpu-node-5.', 'Drained gpu-node-5.']);
  });

  it('discord.js retrying a 5xx that came after the message was made leaves one message', async () => {
    const channel = await freshChannel('inc-103-retried-5xx');
    fake.failNext('POST', MESSAGES, { status: 502, applied: true });
    const posted = await chat.postMessage(channel, { text: 'Job restarted.' }, { key: 'outbox-103-1' });
    expect(fake.pendingFaults).toBe(0);
    expect(fake.messages(channel).map((m) => m.id)).toEqual([posted.messageId]);
  });

  it('discord.js retrying a reset connection (ECONNRESET) after the message was made leaves one message', async () => {
    const channel = await freshChannel('inc-104-reset');
    fake.failNext('POST', MESSAGES, { reset: true, applied: true }, { times: 2 });
    const posted = await chat.postMessage(channel, { text: 'Cordoned gpu-node-5.' }, { key: 'outbox-104-1' });
    expect(
      fake
        .callsTo('POST', MESSAGES)
        .slice(-3)
        .map((c) => c.status),
    ).toEqual([0, 0, 200]);
    expect(fake.messages(channel).map((m) => m.id)).toEqual([posted.messageId]);
  });

  it('a post whose answer was lost, tried again with its key, leaves one message', async () => {
    const channel = await freshChannel('inc-105-lost-answer');
    // The connection closes after Discord made the message; discord.js gives up on this one.
    fake.failNext('POST', MESSAGES, { drop: true, applied: true });
    const lost = await chat
      .postMessage(channel, { text: 'Error rate back to normal.' }, { key: 'outbox-105-1' })
      .then(
        () => 'answered',
        (err: unknown) => (isBotError(err) ? `${err.code} (${err.kind})` : err),
      );
    // No answer at all: worth another try, which the key makes safe.
    expect(lost).toBe('bot.discord.request_failed (unavailable)');
    const [made] = fake.messages(channel);
    expect(made && messageText(made)).toBe('Error rate back to normal.');
    // The outbox tries the entry again, with its key: Discord answers with the message it made.
    const retried = await chat.postMessage(
      channel,
      { text: 'Error rate back to normal.' },
      { key: 'outbox-105-1' },
    );
    expect(retried.messageId).toBe(made!.id);
    expect(fake.messages(channel)).toHaveLength(1);
  });

  it('a post without a key is still made once when discord.js retries it', async () => {
    const channel = await freshChannel('inc-106-no-key');
    fake.failNext('POST', MESSAGES, { status: 500, applied: true });
    await chat.postMessage(channel, { text: 'No key here.' });
    expect(texts(fake, channel)).toEqual(['No key here.']);
  });

  it('Discord refuses a key longer than 25 characters, and nothing is posted', async () => {
    const channel = await freshChannel('inc-107-long-key');
    const err = await chat
      .postMessage(channel, { text: 'Too long a key.' }, { key: 'k'.repeat(26) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bot.discord.api_error', platformCode: 50035, kind: 'invalid' });
    expect(fake.messages(channel)).toEqual([]);
    const answer = fake.callsTo('POST', MESSAGES).at(-1)!;
    expect(answer.status).toBe(400);
  });

  it('a fetched message carries no nonce, so the adapter offers no findPosted', async () => {
    const channel = await freshChannel('inc-108-fetch');
    const { messageId } = await chat.postMessage(channel, { text: 'Card.' }, { key: 'outbox-108-1' });
    const fetched = (await chat.client.rest.get(`/channels/${channel}/messages/${messageId}`)) as Record<
      string,
      unknown
    >;
    expect(fetched.id).toBe(messageId);
    expect(fetched).not.toHaveProperty('nonce');
    expect((chat as ChatPlatform).findPosted).toBeUndefined();
  });
});

describe("the fake Discord's enforced nonce", () => {
  it('forgets a nonce after its window, and answers Unknown Message for a deleted one', async () => {
    const fake = await startFakeDiscord({ nonceWindowMs: 300 });
    const chat = discordChatOn(fake);
    await chat.start(async () => undefined);
    try {
      const channel = (await chat.createChannel({ name: 'inc-108-window', topic: '', private: false })).id;
      const first = await chat.postMessage(channel, { text: 'one' }, { key: 'outbox-108-1' });
      await new Promise((r) => setTimeout(r, 400));
      const later = await chat.postMessage(channel, { text: 'one' }, { key: 'outbox-108-1' });
      expect(later.messageId).not.toBe(first.messageId);

      await chat.postMessage(channel, { text: 'two' }, { key: 'outbox-108-2' });
      const two = fake.messages(channel).find((m) => m.content === 'two')!;
      fake.as(fake.users.alice).delete(channel, two.id);
      const err = await chat
        .postMessage(channel, { text: 'two' }, { key: 'outbox-108-2' })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'bot.discord.api_error', platformCode: 10008, kind: 'not_found' });
      expect(texts(fake, channel)).toEqual(['one', 'one']);
    } finally {
      await chat.stop();
      await fake.close();
    }
  });
});

describe('Discord channel creation whose answer is lost', () => {
  let fake: FakeDiscord;
  let chat: DiscordChat;

  connect((f, c) => {
    fake = f;
    chat = c;
  });

  it('a 5xx after Discord made the channel: the channel is adopted, not made twice', async () => {
    fake.failNext('POST', GUILD_CHANNELS, { status: 500, applied: true });
    const ref = await chat.createChannel({ name: 'inc-201-gpu-xid-79', topic: '', private: true });
    const made = fake.channelsNamed('inc-201-gpu-xid-79');
    expect(made.map((c) => c.id)).toEqual([ref.id]);
    const creates = fake
      .callsTo('POST', GUILD_CHANNELS)
      .filter((c) => (c.body as { name?: string }).name === 'inc-201-gpu-xid-79');
    expect(creates.map((c) => c.status)).toEqual([500]);
  });

  it('a dropped connection after Discord made the channel: one channel', async () => {
    fake.failNext('POST', GUILD_CHANNELS, { drop: true, applied: true });
    const ref = await chat.createChannel({
      name: 'inc-202-nvlink',
      topic: 'SEV2 · declared',
      private: false,
    });
    expect(fake.channelsNamed('inc-202-nvlink').map((c) => c.id)).toEqual([ref.id]);
    expect(fake.channel(ref.id)!.topic).toBe('SEV2 · declared');
  });

  it('a reset connection after Discord made the channel: one channel (discord.js would retry it)', async () => {
    fake.failNext('POST', GUILD_CHANNELS, { reset: true, applied: true });
    const ref = await chat.createChannel({ name: 'inc-205-reset', topic: '', private: false });
    expect(fake.channelsNamed('inc-205-reset').map((c) => c.id)).toEqual([ref.id]);
  });

  it('a 5xx before anything was made: the create is tried again, one channel', async () => {
    fake.failNext('POST', GUILD_CHANNELS, { status: 503 });
    const ref = await chat.createChannel({ name: 'inc-203-ecc', topic: '', private: false });
    expect(fake.channelsNamed('inc-203-ecc').map((c) => c.id)).toEqual([ref.id]);
    expect(
      fake
        .callsTo('POST', GUILD_CHANNELS)
        .slice(-2)
        .map((c) => c.status),
    ).toEqual([503, 200]);
  });

  it('a call that failed altogether leaves a channel the next call adopts', async () => {
    fake.failNext('POST', GUILD_CHANNELS, { drop: true, applied: true });
    // The look after the lost answer fails too: the adapter must not guess, and gives up.
    fake.failNext('GET', GUILD_CHANNELS, { status: 500 }, { times: 4 });
    const err = await chat
      .createChannel({ name: 'inc-204-psu', topic: '', private: false })
      .catch((e: unknown) => e);
    expect(isBotError(err)).toBe(true);
    expect(fake.channelsNamed('inc-204-psu')).toHaveLength(1);
    fake.clearFaults();
    const ref = await chat.createChannel({ name: 'inc-204-psu', topic: '', private: false });
    expect(fake.channelsNamed('inc-204-psu').map((c) => c.id)).toEqual([ref.id]);
  });
});

describe('Discord channels of the same name that are not adopted', () => {
  let fake: FakeDiscord;
  let chat: DiscordChat;

  connect((f, c) => {
    fake = f;
    chat = c;
  });

  async function refused(name: string) {
    const err = await chat.createChannel({ name, topic: '', private: false }).catch((e: unknown) => e);
    return isBotError(err) ? err.code : err;
  }

  it('adopts one the bot made minutes ago and nobody used (the control case)', async () => {
    const seeded = fake.seedChannel('inc-301-fresh', {
      category: 'Incidents',
      createdAt: Date.now() - 5 * 60_000,
      overwrites: [botOverwrite(fake)],
    });
    await waitFor(() => chat.client.channels.cache.get(seeded.id), 'the seeded channel in the cache');
    const ref = await chat.createChannel({ name: 'inc-301-fresh', topic: '', private: false });
    expect(ref.id).toBe(seeded.id);
    expect(fake.channelsNamed('inc-301-fresh')).toHaveLength(1);
  });

  it('not one made more than ten minutes ago', async () => {
    const seeded = fake.seedChannel('inc-302-old', {
      category: 'Incidents',
      createdAt: Date.now() - 11 * 60_000,
      overwrites: [botOverwrite(fake)],
    });
    expect(Date.now() - snowflakeTime(seeded.id)).toBeGreaterThan(10 * 60_000);
    await waitFor(() => chat.client.channels.cache.get(seeded.id), 'the seeded channel in the cache');
    expect(await refused('inc-302-old')).toBe('bot.chat.name_taken');
    expect(fake.channelsNamed('inc-302-old').map((c) => c.id)).toEqual([seeded.id]);
  });

  it('not one with a message in it', async () => {
    const seeded = fake.seedChannel('inc-303-used', {
      category: 'Incidents',
      overwrites: [botOverwrite(fake)],
    });
    fake.as(fake.users.alice).post(seeded.id, 'is anyone on this?');
    await waitFor(
      () =>
        chat.client.channels.cache.get(seeded.id)?.isTextBased() &&
        (chat.client.channels.cache.get(seeded.id) as { lastMessageId: string | null }).lastMessageId,
      'the message seen by the bot',
    );
    expect(await refused('inc-303-used')).toBe('bot.chat.name_taken');
    expect(fake.channelsNamed('inc-303-used')).toHaveLength(1);
  });

  it('not one someone else made (no overwrite of the bot), nor one with people invited', async () => {
    const theirs = fake.seedChannel('inc-304-theirs', { category: 'Incidents' });
    const invited = fake.seedChannel('inc-305-invited', {
      category: 'Incidents',
      overwrites: [
        botOverwrite(fake),
        { id: fake.users.alice, type: 1, allow: PermissionFlagsBits.ViewChannel, deny: 0n },
      ],
    });
    await waitFor(() => chat.client.channels.cache.get(invited.id), 'the seeded channels in the cache');
    expect(await refused('inc-304-theirs')).toBe('bot.chat.name_taken');
    expect(await refused('inc-305-invited')).toBe('bot.chat.name_taken');
    expect(fake.channelsNamed('inc-304-theirs').map((c) => c.id)).toEqual([theirs.id]);
    expect(fake.channelsNamed('inc-305-invited').map((c) => c.id)).toEqual([invited.id]);
  });

  it('not one outside the incidents category, nor one whose topic was set since', async () => {
    fake.seedChannel('inc-306-elsewhere', { overwrites: [botOverwrite(fake)] });
    const topical = fake.seedChannel('inc-307-topic', {
      category: 'Incidents',
      topic: 'SEV1 · investigating',
      overwrites: [botOverwrite(fake)],
    });
    await waitFor(() => chat.client.channels.cache.get(topical.id), 'the seeded channels in the cache');
    expect(await refused('inc-306-elsewhere')).toBe('bot.chat.name_taken');
    expect(await refused('inc-307-topic')).toBe('bot.chat.name_taken');
  });
});
