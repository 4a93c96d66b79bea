import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { commands } from '../../commands/index.ts';
import { registerCommands } from '../../scripts/discord-register.ts';
import { createInboundHandler } from '../../src/app/inbound.ts';
import type { DiscordChat } from '../../src/chat/discord/adapter.ts';
import { buildDiscordCommands, interactionCommand } from '../../src/chat/discord/commands.ts';
import { ChannelEditPacer } from '../../src/chat/discord/edit-pacer.ts';
import { toDiscordMarkdown, toDiscordMessage } from '../../src/chat/discord/render.ts';
import { readTypedOptions } from '../../src/commands/parse.ts';
import { CommandRegistry } from '../../src/commands/registry.ts';
import { SEVERITIES } from '../../src/core/index.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord/index.ts';
import { waitFor } from '../helpers/wait.ts';
import { alice, harness } from '../incidents/harness.ts';
import { discordChatOn } from './discord-chat.ts';

const built = buildDiscordCommands(commands);
const sub = (group: string, name: string) =>
  built.find((c) => c.name === group)!.options.find((o) => o.name === name)!;

describe('Discord command registration, from commands/', () => {
  it('has one top-level command per group, with a subcommand per command file and help everywhere', () => {
    expect(built.map((c) => c.name)).toEqual([...new Set(commands.map((d) => d.group))]);
    for (const group of built) {
      expect(group.type).toBe(1);
      expect(group.description.length).toBeLessThanOrEqual(100);
      const names = group.options.map((o) => o.name);
      const defs = commands.filter((d) => d.group === group.name).map((d) => d.name);
      expect(names).toEqual(expect.arrayContaining([...defs, 'help']));
      expect(group.options.every((o) => o.type === 1)).toBe(true);
    }
  });

  it('types options from the zod schemas: string, integer with bounds, boolean, choices', () => {
    const declare = sub('incident', 'declare');
    expect(declare.options).toEqual([
      expect.objectContaining({ name: 'title', type: 3, required: true }),
      expect.objectContaining({
        name: 'severity',
        type: 3,
        required: false,
        // The choices are core's severities, the same words the text parser reads.
        choices: SEVERITIES.map((s) => ({ name: s, value: s })),
      }),
      expect.objectContaining({ name: 'description', type: 3, required: false }),
      expect.objectContaining({ name: 'private', type: 5, required: false }),
    ]);
    const timeline = sub('incident', 'timeline');
    expect(timeline.options).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'last', type: 4, min_value: 1, max_value: 500 }),
        // Commands bound to an incident also take its number, for use outside its channel.
        expect.objectContaining({ name: 'incident', type: 4, required: false }),
      ]),
    );
  });

  it('keeps within Discord’s rules: names, description lengths, required options first', () => {
    for (const group of built) {
      for (const s of group.options) {
        expect(s.name).toMatch(/^[-_a-z0-9]{1,32}$/);
        expect(s.description.length).toBeLessThanOrEqual(100);
        const options = s.options ?? [];
        expect(options.length).toBeLessThanOrEqual(25);
        const firstOptional = options.findIndex((o) => !o.required);
        if (firstOptional >= 0) expect(options.slice(firstOptional).every((o) => !o.required)).toBe(true);
        for (const o of options) expect(o.description.length).toBeLessThanOrEqual(100);
      }
    }
  });

  it('reads an interaction’s options typed, with the command’s own schema', () => {
    const registry = new CommandRegistry(commands);
    const declare = interactionCommand([
      {
        name: 'declare',
        type: 1,
        options: [
          { name: 'title', type: 3, value: '-5 °C "cold" aisle --private' },
          { name: 'severity', type: 3, value: 'SEV2' },
          { name: 'private', type: 5, value: false },
        ],
      },
    ]);
    expect(declare.text).toBe('declare');
    expect(readTypedOptions(registry.resolve('incident', 'declare'), declare.options)).toEqual({
      title: '-5 °C "cold" aisle --private',
      severity: 'SEV2',
      description: '',
      private: false,
    });
    const timeline = interactionCommand([
      { name: 'timeline', type: 1, options: [{ name: 'last', type: 4, value: 5 }] },
    ]);
    expect(readTypedOptions(registry.resolve('incident', 'timeline'), timeline.options)).toEqual({
      key: false,
      last: 5,
    });
  });
});

/*
 * Slash options as a person sends them in Discord: the real adapter (discord.js against the fake
 * Discord) hands them to the bot's real dispatcher typed, and a bad value is answered exactly as
 * the same value typed as text in the sandbox is. A registration older than the bot (a severity
 * still registered as free text, an option since removed) is how a value Discord's own choices
 * would refuse reaches the bot at all.
 */
describe('Discord slash options, read by the commands’ own schemas', () => {
  let fake: FakeDiscord;
  let chat: DiscordChat;
  let h: Awaited<ReturnType<typeof harness>>;
  const stale = commands.map((d) =>
    d.group === 'incident' && d.name === 'severity'
      ? {
          ...d,
          options: z.object({ severity: z.string().describe('SEV1 … SEV4'), gone: z.string().optional() }),
        }
      : d,
  );

  beforeAll(async () => {
    fake = await startFakeDiscord();
    h = await harness();
    chat = discordChatOn(fake);
    await chat.start(
      createInboundHandler(chat, {
        services: h.services,
        registry: new CommandRegistry(commands),
        store: h.store,
        clock: h.clock,
        logger: pino({ level: 'silent' }),
      }),
    );
  });
  afterAll(async () => {
    await chat?.stop();
    await fake?.close();
    await h?.close();
  });

  /** What the sandbox answers when someone types `/<group> <text>` in #general. */
  const typedAnswer = async (group: string, text: string) => {
    const reply = await h.inbound({
      type: 'command',
      eventId: `typed-${Math.random()}`,
      channelId: 'C-general',
      actor: alice,
      at: h.clock.now(),
      command: group,
      text,
    });
    return toDiscordMessage(reply!.message).content;
  };
  const discordAnswer = async (sub: string, options: Record<string, unknown>, group = 'incident') => {
    const i = fake.as(fake.users.alice).command(fake.channels.general, group, sub, options);
    return (await waitFor(() => fake.answer(i), 'the answer')).text;
  };

  it.each([
    [
      'a severity no parser knows',
      { severity: 'SEV9' },
      'severity SEV9',
      /^❌ severity: must be one of SEV1/,
    ],
    [
      'an option the bot no longer has',
      { severity: 'SEV2', gone: 'x' },
      'severity SEV2 --gone x',
      /^❌ Unknown option --gone for \/incident severity\./,
    ],
  ])('%s gets the answer the same words typed as text get', async (_what, options, text, expected) => {
    await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl }, stale);
    const answer = await discordAnswer('severity', options);
    expect(answer).toMatch(expected);
    expect(answer).toBe(await typedAnswer('incident', text));
  });

  it('a number out of range gets the answer the same number typed as text gets', async () => {
    await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl });
    const answer = await discordAnswer('timeline', { last: 0, incident: 1 });
    expect(answer).toMatch(/^❌ last: must be a whole number from 1 to 500/);
    expect(answer).toBe(await typedAnswer('incident', 'timeline --last 0 --incident 1'));
  });
});

describe('Discord rendering', () => {
  it('converts the common markup, leaving code alone', () => {
    expect(toDiscordMarkdown('*bold* _it_ <https://x.test|docs> `*not*`')).toBe(
      '**bold** _it_ [docs](https://x.test) `*not*`',
    );
    expect(toDiscordMarkdown('```\n*raw*\n```')).toBe('```\n*raw*\n```');
  });

  it('sends notes as content and cards as embeds with button rows, within every limit', () => {
    expect(toDiscordMessage({ text: 'hi <@1>', sections: ['hi <@1>'] })).toMatchObject({
      content: 'hi <@1>',
      embeds: [],
    });
    const buttons = Array.from({ length: 30 }, (_, i) => ({ id: `card:x:${i}`, label: `B${i}` }));
    const long = 'line\n'.repeat(3000);
    const m = toDiscordMessage({
      text: 'card',
      header: 'INC-1',
      sections: [long, long],
      fields: [{ label: 'Severity', value: 'SEV2' }],
      buttons: [
        ...buttons,
        {
          id: 'act:approve:1',
          label: 'Approve',
          style: 'danger',
          confirm: { title: 't', text: 'x', confirm: 'y', deny: 'n' },
        },
      ],
    });
    const total = m.embeds.reduce(
      (n, e) =>
        n +
        (e.title?.length ?? 0) +
        (e.description?.length ?? 0) +
        (e.fields ?? []).reduce((k, f) => k + f.name.length + f.value.length, 0),
      0,
    );
    expect(total).toBeLessThanOrEqual(6000);
    expect(m.embeds.every((e) => (e.description?.length ?? 0) <= 4096)).toBe(true);
    expect(m.embeds[0]?.description).toMatch(/not shown/);
    expect(m.components).toHaveLength(5);
    expect(m.components.every((r) => r.components.length <= 5)).toBe(true);
  });
});

describe('ChannelEditPacer', () => {
  it('sends two edits per window at once and the newest of the rest when the window opens', async () => {
    vi.useFakeTimers();
    try {
      const sent: unknown[] = [];
      const pacer = new ChannelEditPacer(
        async (_id, edit) => void sent.push(edit),
        pino({ level: 'silent' }),
        {
          windowMs: 1000,
          max: 2,
        },
      );
      await pacer.edit('c', { topic: 'a' });
      await pacer.edit('c', { name: 'b' });
      expect((await pacer.edit('c', { topic: 'c' })).deferredUntil).toBeInstanceOf(Date);
      await pacer.edit('c', { topic: 'd' });
      expect(sent).toEqual([{ topic: 'a' }, { name: 'b' }]);
      await vi.advanceTimersByTimeAsync(1100);
      expect(sent).toEqual([{ topic: 'a' }, { name: 'b' }, { topic: 'd' }]);
      pacer.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
