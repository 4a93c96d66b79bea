import { Events } from 'discord.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { registerCommands } from '../../scripts/discord-register.ts';
import type { DiscordChat } from '../../src/chat/discord/adapter.ts';
import {
  buildDiscordCommands,
  type InteractionOption,
  interactionCommand,
  OPTION_TYPE,
} from '../../src/chat/discord/commands.ts';
import type { Reply } from '../../src/chat/message.ts';
import type { InboundEvent, InboundHandler } from '../../src/chat/port.ts';
import { type FakeDiscord, type FakeInteraction, startFakeDiscord } from '../fakes/discord/index.ts';
import { snowflake } from '../fakes/discord/state.ts';
import { harness } from '../incidents/harness.ts';
import { discordChatOn } from './discord-chat.ts';
import {
  type Executed,
  expectClearReply,
  expectClearText,
  expectWellFormed,
  logCapture,
  mutate,
  mutationOf,
  oddTextOf,
  parsingInbound,
  weirdOf,
} from './fuzz-helpers.ts';

/*
 * What Discord sends the bot is outside input: gateway packets (messages, edits, deletions,
 * reactions, pins), read raw in src/chat/discord/listeners.ts, and interactions (slash commands,
 * button clicks), which discord.js turns into objects and the listeners into command text
 * with typed options (interactionCommand) and InboundEvents. "No crash, only clear errors": whatever arrives, the
 * listeners never throw, hand the core only well-formed InboundEvents, answer every command and
 * click they accept within Discord's 3 seconds, and every answer names the problem without a stack
 * trace. The real discord.js client runs against the fake Discord; packets are sent through the
 * fake's gateway.
 *
 * Commands and clicks go through the real inbound handler; only each command's execute() is
 * replaced, so a fuzzed `/incident declare` is parsed like a real one but declares nothing.
 */

// ---------------------------------------------------------------- arbitrary values

const oddText = oddTextOf([
  '',
  ' ',
  '\n',
  '0',
  '-1',
  'NaN',
  'not a date',
  '+275760-09-13T00:00:00.001Z',
  'null',
  '__proto__',
  'constructor',
  '"',
  '\\',
  '\u0000',
  '\u202e',
  '📌',
  '📍',
  '--private',
  '- bullet',
  'ask:',
  'deny:',
  'ask:card:take-command:x',
  'card:take-command:x',
  '<@123>',
]);
const weird = weirdOf(oddText);

/** Polls `check` every 2 ms, not test/helpers/wait.ts's 25 ms: the fuzz waits hundreds of times. */
async function waitFor<T>(
  check: () => T | undefined | null | false,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

// ---------------------------------------------------------------- mutations of real payloads

const mutation = mutationOf(weird);

/**
 * What can be wrong with an interaction that discord.js still turns into an interaction object.
 * (discord.js itself assumes Discord's schema: an interaction with neither `member` nor `user`,
 * or `data.options` that is not a list, throws inside discord.js before any listener runs.)
 */
type InteractionEdit =
  | readonly [
      'no channel' | 'unknown channel' | 'no guild' | 'other guild' | 'member only as user' | 'no roles',
    ]
  | readonly ['nick' | 'global name' | 'username' | 'locale', string | null]
  | readonly ['roles', string[]];
const interactionEdit: fc.Arbitrary<InteractionEdit> = fc.oneof(
  fc
    .constantFrom(
      'no channel',
      'unknown channel',
      'no guild',
      'other guild',
      'member only as user',
      'no roles',
    )
    .map((k) => [k] as const),
  fc.tuple(
    fc.constantFrom('nick', 'global name', 'username', 'locale'),
    fc.oneof(oddText, fc.constant(null)),
  ),
  fc.tuple(fc.constant('roles'), fc.array(fc.oneof(fc.constant(snowflake()), oddText), { maxLength: 3 })),
) as fc.Arbitrary<InteractionEdit>;

function editInteraction(
  payload: Record<string, any>,
  edits: readonly InteractionEdit[],
): Record<string, any> {
  const p = structuredClone(payload);
  for (const e of edits) {
    const member = p.member as Record<string, any> | undefined;
    switch (e[0]) {
      case 'no channel':
        delete p.channel;
        delete p.channel_id;
        break;
      case 'unknown channel':
        p.channel = { ...p.channel, id: snowflake() };
        p.channel_id = p.channel.id;
        break;
      case 'no guild':
        delete p.guild_id;
        delete p.guild;
        break;
      case 'other guild':
        p.guild_id = snowflake();
        break;
      case 'member only as user':
        if (member?.user) {
          p.user = member.user;
          delete p.member;
        }
        break;
      case 'no roles':
        if (member) member.roles = [];
        break;
      case 'nick':
        if (member) member.nick = e[1];
        break;
      case 'global name':
        if (member?.user) member.user.global_name = e[1];
        break;
      case 'username':
        if (member?.user && e[1] !== null) member.user.username = e[1];
        break;
      case 'locale':
        p.locale = e[1];
        break;
      case 'roles':
        if (member) member.roles = e[1];
        break;
    }
  }
  return p;
}

// ---------------------------------------------------------------- slash command options, typed

/** Option trees as discord.js hands them over (`interaction.options.data`), of any content. */
const anyOptions: fc.Arbitrary<InteractionOption[]> = fc.letrec<{ option: any; list: any }>((tie) => ({
  option: fc.record(
    {
      name: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/), oddText),
      type: fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 6, 10), fc.integer()),
      value: weird,
      options: fc.oneof({ depthSize: 'small' }, fc.constant(undefined), tie('list')),
    },
    { requiredKeys: ['name', 'type'] },
  ),
  list: fc.array(tie('option'), { maxLength: 4 }),
})).list as fc.Arbitrary<InteractionOption[]>;

const optionName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/);
/** Values people type into a string option: anything, including quotes, backslashes, leading dashes. */
const typed = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc
    .array(fc.constantFrom('-', '--private', '- ', '"', "'", '\\', '\n', ' ', 'GPU', '“', 'x=y', '\\"'), {
      maxLength: 8,
    })
    .map((parts) => parts.join('')),
);

describe('interactionCommand: Discord options, typed', () => {
  it('takes any option tree without throwing: the subcommand (or help) and only scalar values', () => {
    fc.assert(
      fc.property(anyOptions, (options) => {
        const { text, options: typed } = interactionCommand(options);
        const sub = options.find((o) => o.type === OPTION_TYPE.subcommand);
        expect(text).toBe(sub ? sub.name : 'help');
        for (const v of Object.values(typed)) expect(['string', 'number', 'boolean']).toContain(typeof v);
      }),
      { numRuns: 500 },
    );
  });

  it('every value arrives as it was typed: no quoting, no re-reading as text', () => {
    const option = fc.oneof(
      fc.record({ name: optionName, type: fc.constant(OPTION_TYPE.string), value: typed }),
      fc.record({ name: optionName, type: fc.constant(OPTION_TYPE.integer), value: fc.integer() }),
      fc.record({ name: optionName, type: fc.constant(OPTION_TYPE.boolean), value: fc.boolean() }),
    );
    fc.assert(
      fc.property(
        optionName,
        fc.uniqueArray(option, { maxLength: 6, selector: (o) => o.name }),
        (sub, options) => {
          const read = interactionCommand([{ name: sub, type: OPTION_TYPE.subcommand, options }]);
          expect(read).toEqual({
            text: sub,
            options: Object.fromEntries(options.map((o) => [o.name, o.value])),
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------- the bot under test

describe('Discord payloads (fuzz)', () => {
  let fake: FakeDiscord;
  let chat: DiscordChat;
  let h: Awaited<ReturnType<typeof harness>>;
  const { logs, logger } = logCapture();
  const events: InboundEvent[] = [];
  const replies: (Reply | undefined)[] = [];
  const executed: Executed[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  /** Interactions discord.js made into a slash command or a button: the bot owes each an answer. */
  const owed = new Set<string>();
  const sentinels = new Set<string>();
  let inbound: InboundHandler;
  const handler: InboundHandler = async (event) => {
    events.push(event);
    const reply = await inbound(event);
    replies.push(reply);
    return reply;
  };
  let templates: { t: string; d: Record<string, any> }[];
  let commandTemplate: Record<string, any>;
  let buttonTemplates: Record<string, any>[];
  let general: string;
  let alice: string;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    fake = await startFakeDiscord();
    await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl });
    h = await harness();
    inbound = parsingInbound('discord', h, executed);
    chat = discordChatOn(fake, { announceChannel: '#incidents', logger });
    // Watching the same client the adapter listens on: which packets discord.js turned into what.
    chat.client.on(Events.InteractionCreate, (i) => {
      if (i.isChatInputCommand() || i.isButton()) owed.add(i.id);
    });
    chat.client.on(Events.Raw, (packet: { t?: string; d?: { n?: string } }) => {
      if (packet.t === 'FUZZ_SENTINEL' && packet.d?.n) sentinels.add(packet.d.n);
    });
    await chat.start(handler);
    general = fake.channels.general;
    alice = fake.users.alice;

    // Real-shaped packets, the way the fake Discord sends them.
    const said = fake.as(alice).post(general, 'rebooting gpu-node-5');
    const member = fake.world.memberJson(alice, false);
    const messageCreate = { ...fake.world.messageJson(said), member };
    fake.as(alice).edit(general, said.id, 'rebooted gpu-node-5');
    const messageUpdate = { ...fake.world.messageJson(said), member };
    const pinNotice = {
      ...messageCreate,
      id: snowflake(),
      type: 6,
      content: '',
      message_reference: { message_id: said.id, channel_id: general, guild_id: fake.guildId },
    };
    const reaction = {
      user_id: alice,
      channel_id: general,
      message_id: said.id,
      guild_id: fake.guildId,
      member: fake.world.memberJson(alice),
      emoji: { id: null, name: '📌' },
      burst: false,
      type: 0,
    };
    templates = [
      { t: 'MESSAGE_CREATE', d: messageCreate },
      { t: 'MESSAGE_CREATE', d: pinNotice },
      { t: 'MESSAGE_UPDATE', d: messageUpdate },
      { t: 'MESSAGE_DELETE', d: { id: said.id, channel_id: general, guild_id: fake.guildId } },
      { t: 'MESSAGE_REACTION_ADD', d: reaction },
      { t: 'MESSAGE_REACTION_REMOVE', d: reaction },
      {
        t: 'CHANNEL_PINS_UPDATE',
        d: { guild_id: fake.guildId, channel_id: general, last_pin_timestamp: null },
      },
    ];

    const cmd = fake
      .as(alice)
      .command(general, 'incident', 'declare', { title: 'GPU 5 down', severity: 'SEV2' });
    commandTemplate = cmd.payload;
    const card = await chat.postMessage(general, {
      text: 'card',
      buttons: [
        { id: 'card:take-command:0b6c1f0e-2a51-4d0e-9b3c-5f1d2e3a4b5c', label: 'Take command' },
        {
          id: 'act:approve:0b6c1f0e',
          label: 'Approve',
          style: 'danger',
          confirm: { title: 'Drain?', text: 'Drains gpu-node-5', confirm: 'Drain', deny: 'Keep' },
        },
      ],
    });
    const clicks = [
      fake.as(alice).click(general, card.messageId, 'Take command'),
      fake.as(alice).click(general, card.messageId, 'Approve'),
    ];
    buttonTemplates = clicks.map((c) => c.payload);
    await waitFor(() => [cmd, ...clicks].every((i) => fake.answer(i)), 'the template interactions answered');
  });

  afterAll(async () => {
    await chat?.stop();
    await fake?.close();
    await h?.close();
    process.off('unhandledRejection', onUnhandled);
  });

  let n = 0;
  /** Everything sent before it has been through discord.js and the adapter's listeners. */
  async function sentinel(): Promise<void> {
    const id = `s${n++}`;
    fake.gateway.dispatch('FUZZ_SENTINEL', { n: id });
    await waitFor(() => sentinels.has(id), 'the sentinel packet');
  }

  function expectNoAdapterFailure(): void {
    const failures = logs.filter(
      (l) =>
        l.level >= 40 &&
        /could not read a Discord event|handling a Discord event failed|answering a Discord interaction failed/.test(
          l.msg ?? '',
        ),
    );
    expect(failures.map((l) => `${l.msg}: ${l.err?.stack ?? l.err?.message}`)).toEqual([]);
    expect(unhandled.map((e) => (e as Error).stack)).toEqual([]);
  }

  function reset(): void {
    events.length = 0;
    replies.length = 0;
    executed.length = 0;
    logs.length = 0;
    unhandled.length = 0;
  }

  /**
   * A gateway packet as the adapter's raw listener receives it. The adapter reads messages,
   * edits, deletions, reactions and pins from the raw packet, so the raw packet is what is fuzzed;
   * discord.js's own packet handlers (which build its caches) assume Discord's schema and are not
   * the adapter's to test. Returns once the handler has answered every event it was given.
   */
  async function raw(t: string, d: unknown): Promise<void> {
    chat.client.emit(Events.Raw, { op: 0, t, s: n++, d });
    await waitFor(() => replies.length >= events.length, 'the handler to answer');
  }

  it('the real-shaped packets each become the expected event (the baseline the mutations start from)', async () => {
    const expected = [
      'message',
      'pin',
      'message_edited',
      'message_deleted',
      'reaction',
      'reaction',
      undefined,
    ];
    for (const [i, { t, d }] of templates.entries()) {
      reset();
      fake.gateway.dispatch(t, d);
      await sentinel();
      expect(
        events.map((e) => e.type),
        t,
      ).toEqual(expected[i] ? [expected[i]] : []);
      for (const e of events) expectWellFormed(e);
    }
    expectNoAdapterFailure();
  });

  it('gateway packets with fields removed or replaced by anything: only well-formed events, and the bot keeps reading', async () => {
    let produced = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.oneof(
          { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }), weight: 4 },
          { arbitrary: fc.constant([]), weight: 1 },
        ),
        async (which, mutations) => {
          reset();
          const { t, d } = templates[which % templates.length]!;
          // A fresh message id, so the handler does not drop it as a redelivery.
          const packet = mutate({ ...d, id: snowflake() }, mutations);
          await raw(t, packet);
          produced += events.length;
          for (const e of events) expectWellFormed(e);
          for (const r of replies) expectClearReply(r);
          expectNoAdapterFailure();
        },
      ),
      { numRuns: 400 },
    );
    expect(produced).toBeGreaterThan(50);
    // And the real gateway is still read.
    reset();
    fake.as(alice).post(general, 'still reading');
    await waitFor(() => events.some((e) => e.type === 'message' && e.text === 'still reading'), 'a message');
  });

  it('gateway packets of arbitrary shape in the bot’s server are read or ignored, never a crash', async () => {
    const t = fc.constantFrom(
      'MESSAGE_CREATE',
      'MESSAGE_UPDATE',
      'MESSAGE_DELETE',
      'MESSAGE_REACTION_ADD',
      'MESSAGE_REACTION_REMOVE',
      'CHANNEL_PINS_UPDATE',
    );
    const d = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 12 }), weird, { maxKeys: 6 }),
      fc.record(
        {
          id: fc.oneof(fc.constant(snowflake()), weird),
          channel_id: fc.oneof(fc.constant(snowflake()), fc.constant(general), weird),
          author: fc.oneof(
            fc.record({ id: fc.oneof(fc.constant(snowflake()), weird), bot: weird, username: weird }),
            weird,
          ),
          member: weird,
          content: weird,
          type: weird,
          timestamp: weird,
          edited_timestamp: weird,
          message_reference: weird,
          emoji: fc.oneof(fc.record({ name: fc.oneof(fc.constantFrom('📌', '📍'), weird) }), weird),
          user_id: weird,
          message_id: weird,
          webhook_id: weird,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        t,
        fc.oneof({ arbitrary: d, weight: 5 }, { arbitrary: weird, weight: 1 }),
        async (type, body) => {
          reset();
          await raw(type, body && typeof body === 'object' ? { ...body, guild_id: fake.guildId } : body);
          for (const e of events) expectWellFormed(e);
          for (const r of replies) expectClearReply(r);
          expectNoAdapterFailure();
        },
      ),
      { numRuns: 400 },
    );
  });

  // ---------------------------------------------------------------- interactions

  /** Sends an interaction as the fake would, with new ids; the fake takes the bot's answer to it. */
  async function interact(payload: Record<string, any>): Promise<FakeInteraction> {
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb246fuzz${n++}`;
    const i: FakeInteraction = {
      id,
      token,
      userId: alice,
      channelId: general,
      payload: { ...payload, id, token },
      sentAt: Date.now(),
      followUps: [],
    };
    fake.interactions.set(id, i);
    fake.gateway.dispatch('INTERACTION_CREATE', i.payload);
    await sentinel();
    return i;
  }

  /** Owed an answer: it comes within Discord's 3 seconds; any answer reads clearly. */
  async function expectAnswered(i: FakeInteraction): Promise<void> {
    if (owed.has(i.id)) {
      await waitFor(() => i.callback, `an answer to ${JSON.stringify(i.payload.data)}`, 3000);
      if (i.callback!.type === 5) await waitFor(() => fake.answer(i), 'the deferred answer', 8000);
    }
    const answer = fake.answer(i);
    if (answer) expectClearText(answer.text);
    for (const r of replies) expectClearReply(r);
    for (const e of events) expectWellFormed(e);
    expectNoAdapterFailure();
  }

  it('slash commands with any options, unknown names and missing parts get a clear answer', async () => {
    const specs = buildDiscordCommands(commands);
    // Options as Discord would type them from the registration, or as anything at all.
    const typedOptions = fc.constantFrom(...specs).chain((command) =>
      fc.constantFrom(...command.options).chain((sub) =>
        fc
          .subarray(sub.options ?? [])
          .chain((chosen) =>
            fc.tuple(
              ...chosen.map((o) =>
                (o.type === OPTION_TYPE.boolean
                  ? fc.boolean()
                  : o.type === OPTION_TYPE.integer
                    ? fc.oneof(fc.integer(), fc.integer({ min: -1, max: 1000 }))
                    : o.choices
                      ? fc.oneof(fc.constantFrom(...o.choices.map((c) => c.value)), typed)
                      : typed
                ).map((value) => ({ name: o.name, type: o.type, value })),
              ),
            ),
          )
          .map((options) => ({ name: command.name, options: [{ type: 1, name: sub.name, options }] })),
      ),
    );
    // Unknown command names, options of any name, type and value (Discord would type them).
    const anyData = fc.record(
      {
        // A stale registration can name a command the bot no longer has; Discord names are 1-32 long.
        name: fc.oneof(
          fc.constantFrom('incident', 'node', 'workload'),
          oddText.filter((t) => t.length >= 1 && t.length <= 32),
        ),
        options: anyOptions,
      },
      { requiredKeys: [] },
    );
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(typedOptions, anyData),
        fc.array(interactionEdit, { maxLength: 2 }),
        async (data, edits) => {
          reset();
          const payload = editInteraction(
            { ...commandTemplate, data: { ...commandTemplate.data, options: undefined, ...data } },
            edits,
          );
          const i = await interact(payload);
          await expectAnswered(i);
          if (i.callback) answered++;
        },
      ),
      { numRuns: 250 },
    );
    expect(answered).toBeGreaterThan(100);
  });

  it('button clicks with unknown custom ids, missing members or other garbage get a clear answer', async () => {
    const customId = fc.oneof(
      fc.constantFrom(
        'card:take-command:0b6c1f0e-2a51-4d0e-9b3c-5f1d2e3a4b5c',
        'act:approve:0b6c1f0e',
        'ask:act:approve:0b6c1f0e',
        'deny:act:approve:0b6c1f0e',
        'card:snooze-cmd-240:x',
      ),
      oddText.filter((s) => s.length > 0 && s.length <= 100),
      oddText.map((s) => `ask:${s}`.slice(0, 100)),
      oddText.map((s) => `deny:${s}`.slice(0, 100)),
      fc.stringMatching(/^[a-z:-]{1,100}$/),
    );
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        customId,
        fc.array(interactionEdit, { maxLength: 2 }),
        async (which, id, edits) => {
          reset();
          const template = buttonTemplates[which % buttonTemplates.length]!;
          const payload = editInteraction({ ...template, data: { ...template.data, custom_id: id } }, edits);
          const i = await interact(payload);
          await expectAnswered(i);
          if (i.callback) answered++;
        },
      ),
      { numRuns: 250 },
    );
    expect(answered).toBeGreaterThan(100);
  });
});
