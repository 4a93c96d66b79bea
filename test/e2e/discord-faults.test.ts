import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../scripts/discord-register.ts';
import { botOverwrite } from '../chat/discord-chat.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord/index.ts';
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

  /** Declares as alice and returns the new incident's number, from the answer. */
  const declare = async (title: string): Promise<number> => {
    const cmd = fake.as(fake.users.alice).command(fake.channels.general, 'incident', 'declare', {
      title,
      severity: 'SEV2',
    });
    const answer = await waitFor(() => fake.answer(cmd), 'the answer to the declaration', 15_000);
    const n = /^INC-(\d+) declared/.exec(answer.text)?.[1];
    if (!n) throw new Error(`declare ${title}: ${answer.text}`);
    return Number(n);
  };

  /**
   * The number the next incident gets, to seed a channel of the name it will want. Tests in a file
   * run one at a time, so nothing declares in between.
   */
  const nextNumber = async (): Promise<number> => {
    const { incidents } = (await (await fetch(`${bot.url}/api/incidents`)).json()) as {
      incidents: { number: number }[];
    };
    return Math.max(0, ...incidents.map((i) => i.number)) + 1;
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
    const n = await declare('GPU node 5 fell off the bus');
    const used = await channelOf(n);
    expect(incChannels(n).map((c) => [c.id, c.name])).toEqual([
      [used.id, `inc-${n}-gpu-node-5-fell-off-the-bus`],
    ]);
    expect(fake.message(used.id, used.cardId)).toBeDefined();
    expect(fake.messages(used.id).filter((m) => m.authorId === fake.botId)).toHaveLength(1);
    expect(fake.pendingFaults).toBe(0);
  });

  it('a dropped connection after the channel was made: one channel, the incident uses it', async () => {
    fake.failNext('POST', GUILD_CHANNELS, { drop: true, applied: true });
    const n = await declare('NVLink errors on rack 2');
    const used = await channelOf(n);
    expect(incChannels(n).map((c) => c.id)).toEqual([used.id]);
    expect(fake.channel(used.id)!.name).toBe(`inc-${n}-nvlink-errors-on-rack-2`);
    await waitFor(() => fake.channel(used.id)?.topic?.includes('SEV2'), 'the topic');
  });

  it('leaves an old channel of the same name alone and opens a new one', async () => {
    const next = await nextNumber();
    const old = fake.seedChannel(`inc-${next}-ecc-storm-on-gpu-node-7`, {
      category: 'Incidents',
      createdAt: Date.now() - 30 * 60_000,
      overwrites: [botOverwrite(fake)],
    });
    expect(await declare('ECC storm on gpu-node-7')).toBe(next);
    const used = await channelOf(next);
    expect(used.id).not.toBe(old.id);
    expect(fake.channel(used.id)!.name).toMatch(new RegExp(`^inc-${next}-`));
    expect(fake.messages(old.id)).toEqual([]);
    expect(incChannels(next)).toHaveLength(2);
  });

  it('leaves a fresh channel of the same name that people use alone and opens a new one', async () => {
    // Made by the bot moments ago, as the create would make it, but someone has written in it since.
    const next = await nextNumber();
    const touched = fake.seedChannel(`inc-${next}-psu-failure-rack-9`, {
      category: 'Incidents',
      overwrites: [botOverwrite(fake)],
    });
    fake.as(fake.users.bob).post(touched.id, 'anyone looking at rack 9?');
    expect(await declare('PSU failure rack 9')).toBe(next);
    const used = await channelOf(next);
    expect(used.id).not.toBe(touched.id);
    expect(fake.messages(touched.id)).toHaveLength(1);
    expect(incChannels(next)).toHaveLength(2);
  });
});
