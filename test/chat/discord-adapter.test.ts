import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../scripts/discord-register.ts';
import type { DiscordChat } from '../../src/chat/discord/adapter.ts';
import { ephemeral, inChannel } from '../../src/chat/message.ts';
import { type Actor, matchesList } from '../../src/core/index.ts';
import { buttonsOf, type FakeDiscord, messageText, startFakeDiscord } from '../fakes/discord/index.ts';
import { waitFor } from '../helpers/wait.ts';
import { type ChatHarness, chatPlatformContract, type PersonDriver } from './contract.ts';
import { discordChatOn } from './discord-chat.ts';

/** With the announcement channel, as a bot set up for it. */
const discordChat = (fake: FakeDiscord) => discordChatOn(fake, { announceChannel: '#incidents' });

/** Bob acting in Discord: the fake sends the adapter gateway packets and interactions. */
function discordPerson(fake: FakeDiscord): PersonDriver {
  const bob = fake.as(fake.users.bob);
  return {
    async say(channelId, text) {
      return { messageId: bob.post(channelId, text).id };
    },
    async edit(channelId, messageId, text) {
      bob.edit(channelId, messageId, text);
    },
    async remove(channelId, messageId) {
      bob.delete(channelId, messageId);
    },
    async pushpin(channelId, messageId) {
      bob.react(channelId, messageId, '📌');
    },
    async pin(channelId, messageId) {
      bob.pin(channelId, messageId);
    },
    async command(channelId, group, sub, options) {
      bob.command(channelId, group, sub, options);
    },
    async click(channelId, messageId, buttonId) {
      bob.click(channelId, messageId, buttonId);
    },
    // Discord does not say who deleted a message.
    actorUnknown: ['message_deleted'],
  };
}

/** Reads what the adapter did back from the fake Discord's state. */
function discordHarness(fake: FakeDiscord, chat: DiscordChat): ChatHarness {
  return {
    chat,
    // Not alice: she owns the server, and an owner sees every channel.
    userId: fake.users.bob,
    person: discordPerson(fake),
    async messages(channelId) {
      return fake.messages(channelId).map((m) => ({
        id: m.id,
        text: m.content || messageText(m),
        buttons: buttonsOf(m).map((b) => b.label),
      }));
    },
    async channel(channelId) {
      const c = fake.channel(channelId);
      if (!c) throw new Error(`no channel ${channelId}`);
      return {
        name: c.name,
        topic: c.topic ?? '',
        archived: fake.isArchived(channelId),
        members: fake.viewers(channelId),
      };
    },
    async files(channelId) {
      // The adapter posts a file with its title as the message's text.
      return fake.messages(channelId).flatMap((m) =>
        m.attachments.map((a) => ({
          filename: a.filename,
          title: m.content.replace(/^📎 /, ''),
          bytes: a.bytes,
          contentType: a.contentType,
        })),
      );
    },
    contentTypes: 'kept',
    close: () => fake.close(),
  };
}

// The real adapter (discord.js: REST and gateway) against the fake Discord.
chatPlatformContract('discord adapter', async () => {
  const fake = await startFakeDiscord();
  // Slash commands arrive typed as they were registered.
  await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl });
  return discordHarness(fake, discordChat(fake));
});

describe('Discord interactions through the adapter', () => {
  let fake: FakeDiscord;
  let chat: DiscordChat;
  const slow = { ms: 0 };

  beforeAll(async () => {
    fake = await startFakeDiscord();
    await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl });
    chat = discordChat(fake);
    await chat.start(async (event) => {
      await new Promise((r) => setTimeout(r, slow.ms));
      if (event.type !== 'command') return undefined;
      const said = `done: ${event.text} ${String(event.options?.text)}`;
      return event.options?.text === 'public' ? inChannel(said) : ephemeral(said);
    });
  });
  afterAll(async () => {
    await chat?.stop();
    await fake?.close();
  });

  it('answers at once when the work is quick', async () => {
    slow.ms = 0;
    const i = fake.as(fake.users.alice).command(fake.channels.general, 'incident', 'note', { text: 'quick' });
    const answer = await waitFor(() => fake.answer(i), 'the answer');
    expect(answer).toMatchObject({ ephemeral: true, text: 'done: note quick' });
    expect(i.callback?.type).toBe(4);
  });

  it('defers within 3 s and edits the answer in when the work takes longer', async () => {
    slow.ms = 3500;
    const i = fake.as(fake.users.alice).command(fake.channels.general, 'incident', 'note', { text: 'slow' });
    const answer = await waitFor(() => fake.answer(i), 'the answer', 8000);
    expect(i.callback?.type).toBe(5);
    expect(i.callback!.at - i.sentAt).toBeLessThan(3000);
    expect(answer).toMatchObject({ ephemeral: true, text: 'done: note slow' });
  });

  it('replaces an ephemeral deferral by a public follow-up when the answer is for everyone', async () => {
    slow.ms = 3500;
    const i = fake.as(fake.users.bob).command(fake.channels.general, 'incident', 'note', { text: 'public' });
    const answer = await waitFor(() => fake.answer(i), 'the answer', 8000);
    expect(answer.ephemeral).toBe(false);
    expect(fake.messages(fake.channels.general).some((m) => m.content === 'done: note public')).toBe(true);
  });
});

describe("Discord's channel limits", () => {
  it('refuses a 51st channel in the category with what to do, and overflows the archive into a second category', async () => {
    const fake = await startFakeDiscord();
    const chat = discordChat(fake);
    await chat.start(async () => undefined);
    try {
      const ids: string[] = [];
      for (let i = 1; i <= 50; i++) {
        ids.push((await chat.createChannel({ name: `inc-${i}-limit`, topic: '', private: false })).id);
      }
      const full = await chat.createChannel({ name: 'inc-51-limit', topic: '', private: false }).then(
        () => undefined,
        (err: unknown) => err as { code: string; message: string; hint?: string },
      );
      expect(full).toMatchObject({
        code: 'bot.discord.category_full',
        message: "The Incidents category holds 50 channels, Discord's limit.",
      });
      expect(full!.hint).toContain('Close finished incidents');
      // Closing moves channels out: room again, and the archive fills its 50 before a second one.
      for (const id of ids) await chat.archiveChannel(id);
      expect(fake.category('Incidents Archive')).toBeDefined();
      const more = await chat.createChannel({ name: 'inc-51-limit', topic: '', private: false });
      await chat.archiveChannel(more.id);
      const second = fake.category('Incidents Archive 2');
      expect(second).toBeDefined();
      expect(fake.channel(more.id)!.parent_id).toBe(second!.id);
      expect(fake.isArchived(more.id)).toBe(true);
    } finally {
      await chat.stop();
      await fake.close();
    }
  }, 60_000);
});

describe('Discord roles as policy groups', () => {
  it('match a policy entry by the exact role name in any case, never a look-alike', async () => {
    const fake = await startFakeDiscord();
    const lookAlike = fake.world.addRole('S.R.E!');
    const hardware = fake.world.addRole('Hardware On-call');
    const mallory = fake.world.addUser('mallory', 'Mallory', [lookAlike]);
    const henry = fake.world.addUser('henry', 'Henry', [hardware]);
    await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl });
    const chat = discordChat(fake);
    const actors = new Map<string, Actor>();
    await chat.start(async (event) => {
      actors.set(event.actor.id, event.actor);
      return ephemeral('ok');
    });
    try {
      for (const user of [mallory, henry, fake.users.alice]) {
        const i = fake.as(user).command(fake.channels.general, 'incident', 'note', { text: 'hi' });
        await waitFor(() => fake.answer(i), 'the answer');
      }
      const sre = ['@sre'];
      expect(matchesList(actors.get(fake.users.alice)!, sre)).toBe(true);
      expect(matchesList(actors.get(mallory)!, sre)).toBe(false);
      expect(matchesList(actors.get(mallory)!, ['@s-r-e', '@sre!', '@s.r.e'])).toBe(false);
      expect(matchesList(actors.get(henry)!, ['@hardware on-call'])).toBe(true);
      expect(matchesList(actors.get(henry)!, ['@hardware-on-call'])).toBe(false);
      expect(matchesList(actors.get(henry)!, [`@${hardware}`])).toBe(true);
    } finally {
      await chat.stop();
      await fake.close();
    }
  });
});
