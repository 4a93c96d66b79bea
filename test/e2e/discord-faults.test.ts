import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../scripts/discord-register.ts';
import { botOverwrite } from '../chat/discord-chat.ts';
import { type FakeDiscord, type FakeInteraction, startFakeDiscord } from '../fakes/discord/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Issue 8 end to end: the real bot process declares incidents while the fake Discord loses the
 * answer to the channel creation after making the channel. Each incident ends up with exactly one
 * channel, the one it uses; a channel of the same name that is old or in use is left alone.
 */
const GUILD_CHANNELS = /^\/guilds\/\d+\/channels$/;

async function incident(bot: BotProcess, n: number): Promise<any> {
  const r = await fetch(`${bot.url}/api/incidents/${n}`);
  return ((await r.json()) as { incident: unknown }).incident;
}

describe('Discord losing the answer to a channel creation', () => {
  const tmp = tempDir();
  let fake: FakeDiscord;
  let bot: BotProcess;

  const declare = async (title: string): Promise<FakeInteraction> => {
    const cmd = fake.as(fake.users.alice).command(fake.channels.general, 'incident', 'declare', {
      title,
      severity: 'SEV2',
    });
    await waitFor(() => fake.answer(cmd), 'the answer to the declaration', 15_000);
    return cmd;
  };

  /** The incident's channel once the card is in it. */
  const channelOf = async (n: number) => {
    const found = await waitFor(
      async () => {
        const inc = await incident(bot, n);
        return inc?.channelId && inc.cardMessageId ? inc : undefined;
      },
      `INC-${n} with its channel and card`,
      15_000,
    );
    return { id: found.channelId as string, cardId: found.cardMessageId as string };
  };

  const incChannels = (n: number) =>
    fake.world.guildChannels().filter((c) => c.type === 0 && c.name.startsWith(`inc-${n}-`));

  beforeAll(async () => {
    fake = await startFakeDiscord();
    await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl });
    writeFileSync(`${tmp.dir}/bot.yml`, "incidents:\n  responders: ['@sre']\n");
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      CONFIG_FILE: `${tmp.dir}/bot.yml`,
      DISCORD_TOKEN: fake.token,
      DISCORD_GUILD_ID: fake.guildId,
      DISCORD_API_URL: fake.apiUrl,
    });
    await fake.waitForConnection();
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  it('a 5xx after the channel was made: one channel, the incident uses it', async () => {
    fake.failNext('POST', GUILD_CHANNELS, { status: 500, applied: true });
    await declare('GPU node 5 fell off the bus');
    const used = await channelOf(1);
    expect(incChannels(1).map((c) => [c.id, c.name])).toEqual([
      [used.id, 'inc-1-gpu-node-5-fell-off-the-bus'],
    ]);
    expect(fake.message(used.id, used.cardId)).toBeDefined();
    expect(fake.messages(used.id).filter((m) => m.authorId === fake.botId)).toHaveLength(1);
    expect(fake.pendingFaults).toBe(0);
  });

  it('a dropped connection after the channel was made: one channel, the incident uses it', async () => {
    fake.failNext('POST', GUILD_CHANNELS, { drop: true, applied: true });
    await declare('NVLink errors on rack 2');
    const used = await channelOf(2);
    expect(incChannels(2).map((c) => c.id)).toEqual([used.id]);
    expect(fake.channel(used.id)!.name).toBe('inc-2-nvlink-errors-on-rack-2');
    await waitFor(() => fake.channel(used.id)?.topic?.includes('SEV2'), 'the topic');
  });

  it('leaves an old channel of the same name alone and opens a new one', async () => {
    const old = fake.seedChannel('inc-3-ecc-storm-on-gpu-node-7', {
      category: 'Incidents',
      createdAt: Date.now() - 30 * 60_000,
      overwrites: [botOverwrite(fake)],
    });
    await declare('ECC storm on gpu-node-7');
    const used = await channelOf(3);
    expect(used.id).not.toBe(old.id);
    expect(fake.channel(used.id)!.name).toMatch(/^inc-3-/);
    expect(fake.messages(old.id)).toEqual([]);
    expect(incChannels(3)).toHaveLength(2);
  });

  it('leaves a fresh channel of the same name that people use alone and opens a new one', async () => {
    // Made by the bot moments ago, as the create would make it, but someone has written in it since.
    const touched = fake.seedChannel('inc-4-psu-failure-rack-9', {
      category: 'Incidents',
      overwrites: [botOverwrite(fake)],
    });
    fake.as(fake.users.bob).post(touched.id, 'anyone looking at rack 9?');
    await declare('PSU failure rack 9');
    const used = await channelOf(4);
    expect(used.id).not.toBe(touched.id);
    expect(fake.messages(touched.id)).toHaveLength(1);
    expect(incChannels(4)).toHaveLength(2);
  });
});
