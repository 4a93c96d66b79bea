import type { Server } from 'node:http';
import { App, type Receiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/chat/message.ts';
import type { InboundEvent, InboundHandler } from '../../src/chat/port.ts';
import { type ReplyTarget, SlackChat } from '../../src/chat/slack/adapter.ts';
import { boltLogger } from '../../src/chat/slack/bolt-logger.ts';
import { registerListeners } from '../../src/chat/slack/listeners.ts';
import { declareModal, parseDeclareSubmission } from '../../src/chat/slack/render.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { type FakeSlack, sign, startFakeSlack } from '../fakes/slack/index.ts';
import { encodeInbound, type InboundKind } from '../fakes/slack/signing.ts';
import { waitFor } from '../helpers/wait.ts';
import { harness } from '../incidents/harness.ts';
import {
  type Executed,
  expectClearReply,
  expectWellFormed,
  GENERIC,
  leaks,
  logCapture,
  mutate,
  mutationOf,
  oddTextOf,
  parsingInbound,
  weirdOf,
} from './fuzz-helpers.ts';

/*
 * What Slack sends the bot is outside input: Events API callbacks, slash commands, block_actions
 * and view submissions. "No crash, only clear errors": whatever reaches the listeners in
 * src/chat/slack/listeners.ts (through the real Bolt app, which routes and acks), they never
 * throw, always ack what needs an ack, and hand the core only well-formed InboundEvents; every
 * answer a person could read names the problem and carries no stack trace. The HTTP edge (Bolt's
 * HTTPReceiver mounted on the bot's own server, as main.ts mounts it) answers any body, signed or
 * not, with a status and never brings the process down.
 *
 * Commands and clicks go through the real inbound handler (dedupe, dispatch, option parsing,
 * button parsing, the one error handler); only each command's execute() is replaced, so a fuzzed
 * `/incident declare` is parsed like a real one but declares nothing.
 */

// ---------------------------------------------------------------- arbitrary values

const oddText = oddTextOf([
  '',
  ' ',
  '\n',
  '0',
  '-1',
  'NaN',
  '1e309',
  '99999999999999999',
  '1716222222.000200',
  'null',
  '__proto__',
  'constructor',
  'toString',
  '&lt;b&gt; &amp;',
  '"',
  '\\',
  '\u0000',
  '\u202e',
  '🔥📌',
  'pushpin',
  '--private',
  '- bullet',
  'card:take-command:x',
  '<@U0ALICE>',
]);
const weird = weirdOf(oddText);
/** A field that is mostly plausible, sometimes anything. */
const field = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: plausible, weight: 5 }, { arbitrary: weird, weight: 1 });
const ts = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }), fc.integer({ min: 0, max: 999_999 }))
    .map(([s, us]) => `${s}.${String(us).padStart(6, '0')}`),
  fc.constantFrom('0', '-5', '1e20', '99999999999999', 'x'),
);
const userId = fc.constantFrom('U0ALICE', 'U0BOB', 'U0CAROL', 'U0NOBODY');
const channelId = fc.constantFrom('C0GENERAL', 'C0INCIDENTS', 'C0NOWHERE');

/** A body Bolt routes to the slash command listener (`body.command` present). */
const commandBody = fc.record(
  {
    command: fc.oneof(fc.constantFrom('/incident', '/node', '/workload', '/incident-bot', '/x_1'), weird),
    text: field(
      fc.oneof(
        fc.constantFrom('declare', ' DECLARE ', 'declare GPU 5 down --severity sev2', 'list', 'help', ''),
        fc.constantFrom('status investigating', 'note "unterminated', 'timeline --last -1', 'assign x y z'),
        oddText,
      ),
    ),
    channel_id: field(channelId),
    user_id: field(userId),
    trigger_id: field(fc.stringMatching(/^[0-9]{4}\.[0-9]{4}\.[a-f0-9]{8}$/)),
    team_id: field(fc.constant('T0FAKETEAM')),
  },
  { requiredKeys: ['command'] },
);

const maybeObject = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: arb as fc.Arbitrary<unknown>, weight: 5 }, { arbitrary: weird, weight: 1 });

/** A body Bolt routes to the button listener (an action_id starting card: or act:). */
const actionBody = fc.record(
  {
    type: fc.constant('block_actions'),
    actions: fc.array(
      fc.record(
        {
          action_id: fc.oneof(
            fc.constantFrom(
              'card:take-command:0b6c1f0e-2a51-4d0e-9b3c-5f1d2e3a4b5c',
              'act:approve:1',
              'card:snooze-upd-15:x',
            ),
            oddText.map((s) => `card:${s}`),
            oddText.map((s) => `act:${s}`),
          ),
          type: field(fc.constant('button')),
          value: weird,
          action_ts: field(ts),
          block_id: weird,
        },
        { requiredKeys: ['action_id'] },
      ),
      { minLength: 1, maxLength: 2 },
    ),
    user: maybeObject(fc.record({ id: field(userId), team_id: weird }, { requiredKeys: [] })),
    channel: maybeObject(fc.record({ id: field(channelId), name: weird }, { requiredKeys: [] })),
    container: maybeObject(
      fc.record(
        { type: field(fc.constant('message')), message_ts: field(ts), channel_id: field(channelId) },
        { requiredKeys: [] },
      ),
    ),
    message: maybeObject(fc.record({ ts: field(ts), text: weird }, { requiredKeys: [] })),
    trigger_id: field(fc.constant('1234.5678.abcdef01')),
    team: fc.oneof(fc.constant({ id: 'T0FAKETEAM' }), fc.constant(null), weird),
  },
  { requiredKeys: ['type', 'actions'] },
);

/** Mostly the shape Slack sends, now and then anything: nested, so each level must stay likely. */
const rarelyWeird = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: arb as fc.Arbitrary<unknown>, weight: 15 }, { arbitrary: weird, weight: 1 });
const stateEntry = (key: string, value: fc.Arbitrary<unknown>) =>
  rarelyWeird(fc.record({ [key]: rarelyWeird(value) }));
/** A body Bolt routes to the declare form's listener (callback_id incident_declare). */
const viewBody = fc.record(
  {
    type: fc.constant('view_submission'),
    view: fc.record(
      {
        callback_id: fc.constant('incident_declare'),
        id: field(fc.constant('V0FUZZ')),
        hash: field(fc.constant('1716222222.abc')),
        private_metadata: field(
          fc.oneof(
            { weight: 4, arbitrary: fc.constant(JSON.stringify({ channelId: 'C0GENERAL' })) },
            {
              weight: 1,
              arbitrary: fc.constantFrom('{"channelId":"../x"}', '{"channelId":null}', '{}', 'not json', ''),
            },
          ),
        ),
        state: rarelyWeird(
          fc.record({
            values: rarelyWeird(
              fc.record(
                {
                  title: stateEntry(
                    'title',
                    fc.record({ value: field(fc.oneof(fc.stringMatching(/^\S.{0,40}$/), oddText)) }),
                  ),
                  severity: stateEntry(
                    'severity',
                    fc.record({
                      selected_option: rarelyWeird(
                        fc.record({
                          value: field(fc.constantFrom('SEV1', 'SEV2', 'SEV3', 'SEV4', 'sev3', 'SEV9')),
                        }),
                      ),
                    }),
                  ),
                  description: stateEntry(
                    'description',
                    fc.record(
                      { value: field(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 80 }), oddText)) },
                      { requiredKeys: [] },
                    ),
                  ),
                  visibility: stateEntry(
                    'visibility',
                    fc.record(
                      {
                        selected_options: rarelyWeird(
                          fc.array(rarelyWeird(fc.record({ value: field(fc.constant('private')) }))),
                        ),
                      },
                      { requiredKeys: [] },
                    ),
                  ),
                },
                { requiredKeys: ['title', 'severity'] },
              ),
            ),
          }),
        ),
      },
      { requiredKeys: ['callback_id', 'private_metadata', 'state'] },
    ),
    user: rarelyWeird(fc.record({ id: field(userId) })),
    team: fc.oneof(fc.constant({ id: 'T0FAKETEAM' }), fc.constant(null)),
  },
  { requiredKeys: ['type', 'view'] },
);

const innerMessage = maybeObject(
  fc.record(
    { user: field(userId), text: field(oddText), ts: field(ts), bot_id: weird },
    { requiredKeys: [] },
  ),
);
/** An Events API callback for the events the bot listens to. */
const eventBody = fc.record(
  {
    type: fc.constant('event_callback'),
    event_id: field(fc.stringMatching(/^Ev[0-9A-Z]{8,10}$/)),
    team_id: field(fc.constant('T0FAKETEAM')),
    event: fc.record(
      {
        type: fc.constantFrom('message', 'reaction_added', 'reaction_removed', 'pin_added', 'pin_removed'),
        subtype: field(
          fc.constantFrom(
            'message_changed',
            'message_deleted',
            'thread_broadcast',
            'file_share',
            'channel_join',
            'bot_message',
          ),
        ),
        channel: field(channelId),
        user: field(userId),
        text: field(oddText),
        ts: field(ts),
        event_ts: field(ts),
        thread_ts: field(ts),
        bot_id: weird,
        deleted_ts: field(ts),
        message: innerMessage,
        previous_message: innerMessage,
        item: maybeObject(
          fc.record(
            {
              type: field(fc.constant('message')),
              channel: field(channelId),
              ts: field(ts),
              message: maybeObject(fc.record({ ts: field(ts) }, { requiredKeys: [] })),
            },
            { requiredKeys: [] },
          ),
        ),
        reaction: field(fc.constantFrom('pushpin', 'round_pushpin', 'eyes')),
        channel_id: field(channelId),
      },
      { requiredKeys: ['type'] },
    ),
  },
  { requiredKeys: ['type', 'event'] },
);

// ---------------------------------------------------------------- mutations of real payloads

const mutation = mutationOf(weird);

let serial = 0;
/** A copy with new delivery ids, so the inbound handler does not drop it as a redelivery. */
function fresh<T>(payload: T): T {
  const copy = structuredClone(payload) as any;
  const id = `${Date.now().toString(36)}${(serial++).toString(36)}`.toUpperCase();
  if (copy.event_id) copy.event_id = `Ev${id}`;
  if (copy.trigger_id) copy.trigger_id = `${id}.1.fuzz`;
  if (copy.view?.id) copy.view.id = `V${id}`;
  return copy;
}

// ---------------------------------------------------------------- the bot under test

describe('Slack payloads (fuzz)', () => {
  let fake: FakeSlack;
  let h: Awaited<ReturnType<typeof harness>>;
  const { logs, logger } = logCapture();
  const events: InboundEvent[] = [];
  const replies: (Reply | undefined)[] = [];
  const executed: Executed[] = [];
  const delivered: { target: ReplyTarget; reply: Reply }[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  let inbound: InboundHandler;
  /** Records what the adapter hands the core, then lets the real inbound handler answer. */
  const handler: InboundHandler = async (event) => {
    events.push(event);
    const reply = await inbound(event);
    replies.push(reply);
    return reply;
  };

  // The listeners on a real Bolt app that has no network receiver: `processEvent` is what every
  // receiver calls with a parsed body. Each listener is wrapped to see whether it was entered
  // (Bolt itself refuses some bodies before any listener runs) and whether it threw.
  let app: App;
  const entered: string[] = [];
  const thrown: unknown[] = [];

  let chat: SlackChat;
  let server: Server;
  let eventsUrl = '';
  let fixtures: { kind: InboundKind; name: string; payload: any; expect: InboundEvent['type'] }[];

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    fake = await startFakeSlack();
    h = await harness();
    inbound = parsingInbound('slack', h, executed);

    const receiver: Receiver = {
      init: () => undefined,
      start: async () => undefined,
      stop: async () => undefined,
    };
    app = new App({
      receiver,
      authorize: async () => ({ botToken: fake.botToken, botUserId: fake.botUserId, botId: fake.botId }),
      logger: boltLogger(logger),
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
      ignoreSelf: true,
    });
    const spy = (method: 'command' | 'view' | 'action' | 'event') =>
      ((...args: any[]) => {
        const listener = args.pop() as (a: unknown) => Promise<void>;
        const name = `${method}:${String(args[0])}`;
        (app[method] as any)(...args, async (a: unknown) => {
          entered.push(name);
          try {
            await listener(a);
          } catch (err) {
            thrown.push(err);
            throw err;
          }
        });
      }) as any;
    const slackChat = {
      app: {
        command: spy('command'),
        view: spy('view'),
        action: spy('action'),
        event: spy('event'),
        error: (fn: any) => app.error(fn),
      },
      // Names without a network call: Slack's rate limits are not what is under test here.
      directory: { actor: async (id: string) => ({ id, name: String(id), groups: [] }) },
      deliver: async (target: ReplyTarget, reply: Reply) => void delivered.push({ target, reply }),
    };
    registerListeners(slackChat as unknown as SlackChat, handler, logger);

    // The real adapter in HTTP mode, mounted on the bot's own server as main.ts mounts it.
    chat = new SlackChat({
      botToken: fake.botToken,
      signingSecret: fake.signingSecret,
      apiUrl: fake.url,
      announceChannel: '#incidents',
      logger,
    });
    const router = new Router();
    router.on('POST', '/slack/events', async (req, res) => chat.httpReceiver!.handle(req, res));
    server = createHttpServer({ router, logger, apiToken: undefined });
    const { url } = await listen(server, 0, '127.0.0.1');
    eventsUrl = `${url}/slack/events`;
    await chat.start(handler);
    fake.useHttp(eventsUrl);

    // Real-shaped payloads, from the fake's builders.
    const posted = await fake.asChatPlatform().postMessage('C0INCIDENTS', {
      text: 'card',
      buttons: [
        { id: 'card:take-command:0b6c1f0e-2a51-4d0e-9b3c-5f1d2e3a4b5c', label: 'Take command' },
        { id: 'act:approve:0b6c1f0e', label: 'Approve' },
      ],
    });
    const trigger = fake.build.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'declare' });
    await new WebClient(fake.botToken, { slackApiUrl: fake.url }).views.open({
      trigger_id: trigger.triggerId,
      view: declareModal({ channelId: 'C0GENERAL' }),
    });
    const viewId = fake.views().at(-1)!.id;
    const saying = 'rebooting gpu-node-5';
    const said = fake.build.message({ channel: 'C0INCIDENTS', user: 'U0ALICE', text: saying });
    const e = <E extends { type: string }>(event: E) => fake.build.eventCallback(event);
    fixtures = [
      {
        kind: 'command',
        name: 'slash command',
        expect: 'command',
        payload: fake.build.slashCommand({
          user: 'U0ALICE',
          channel: 'C0INCIDENTS',
          text: 'declare "GPU 5 &lt;down&gt;" &amp; more --severity sev2',
        }).payload,
      },
      {
        kind: 'interactive',
        name: 'button click',
        expect: 'button',
        payload: fake.build.blockActions({
          user: 'U0BOB',
          channel: 'C0INCIDENTS',
          messageTs: posted.messageId,
          button: 'Take command',
        }).payload,
      },
      {
        kind: 'interactive',
        name: 'declare form submission',
        expect: 'command',
        payload: fake.build.viewSubmission({
          user: 'U0ALICE',
          viewId,
          values: {
            title: { title: 'GPU 5 down' },
            severity: { severity: 'SEV2' },
            description: { description: 'ECC errors since 03:00' },
            visibility: { visibility: ['private'] },
          },
        }).payload,
      },
      { kind: 'event', name: 'message', expect: 'message', payload: e(said) },
      {
        kind: 'event',
        name: 'thread reply',
        expect: 'message',
        payload: e(
          fake.build.message({ channel: 'C0INCIDENTS', user: 'U0BOB', text: 'ack', threadTs: said.ts }),
        ),
      },
      {
        kind: 'event',
        name: 'message_changed',
        expect: 'message_edited',
        payload: e(
          fake.build.messageChanged({
            channel: 'C0INCIDENTS',
            before: { user: 'U0ALICE', text: saying, ts: said.ts },
            text: 'rebooted gpu-node-5',
          }),
        ),
      },
      {
        kind: 'event',
        name: 'message_deleted',
        expect: 'message_deleted',
        payload: e(
          fake.build.messageDeleted({
            channel: 'C0INCIDENTS',
            deletedTs: said.ts,
            previous: { user: 'U0ALICE', text: saying },
          }),
        ),
      },
      {
        kind: 'event',
        name: 'reaction_added',
        expect: 'reaction',
        payload: e(
          fake.build.reaction({ user: 'U0BOB', channel: 'C0INCIDENTS', ts: said.ts, itemUser: 'U0ALICE' }),
        ),
      },
      {
        kind: 'event',
        name: 'reaction_removed',
        expect: 'reaction',
        payload: e(
          fake.build.reaction({
            user: 'U0BOB',
            channel: 'C0INCIDENTS',
            ts: said.ts,
            itemUser: 'U0ALICE',
            added: false,
          }),
        ),
      },
      {
        kind: 'event',
        name: 'pin_added',
        expect: 'pin',
        payload: e(
          fake.build.pin({
            user: 'U0BOB',
            channel: 'C0INCIDENTS',
            message: { user: 'U0ALICE', text: saying, ts: said.ts },
          }),
        ),
      },
      {
        kind: 'event',
        name: 'pin_removed',
        expect: 'pin',
        payload: e(
          fake.build.pin({
            user: 'U0BOB',
            channel: 'C0INCIDENTS',
            message: { user: 'U0ALICE', text: saying, ts: said.ts },
            added: false,
          }),
        ),
      },
    ];
  });

  afterAll(async () => {
    await chat?.stop();
    server?.close();
    await fake?.close();
    await h?.close();
    process.off('unhandledRejection', onUnhandled);
  });

  /** One body through Bolt and the listeners; what came out of it. */
  async function feed(body: unknown) {
    events.length = 0;
    replies.length = 0;
    executed.length = 0;
    delivered.length = 0;
    entered.length = 0;
    thrown.length = 0;
    const acks: unknown[] = [];
    let boltRefused: unknown;
    try {
      await app.processEvent({
        body: body as Record<string, any>,
        ack: async (r?: unknown) => void acks.push(r),
      });
    } catch (err) {
      boltRefused = err;
    }
    return { acks, boltRefused, entered: [...entered], thrown: [...thrown], events: [...events] };
  }

  /** The properties every body must keep, whatever it is. */
  function expectHandled(out: Awaited<ReturnType<typeof feed>>, kind: 'event' | 'interaction') {
    expect(out.thrown).toEqual([]);
    if (out.entered.length === 0) {
      // Bolt refused the body before any listener of ours ran: nothing reached the core.
      expect(out.events).toEqual([]);
      return;
    }
    expect(out.boltRefused).toBeUndefined();
    // Slack shows "operation_timeout" when an interaction is not acked within 3 s.
    if (kind === 'interaction') expect(out.acks).toHaveLength(1);
    for (const event of out.events) expectWellFormed(event);
    for (const reply of replies) expectClearReply(reply);
    for (const d of delivered) {
      expect(typeof d.target.channel === 'string' && d.target.channel.length > 0).toBe(true);
      expect(typeof d.target.user === 'string' && d.target.user.length > 0).toBe(true);
    }
    // The form's own errors, shown under its fields.
    for (const ack of out.acks) {
      if (ack && typeof ack === 'object' && 'errors' in ack) {
        const errors = (ack as { errors: Record<string, string> }).errors;
        expect(Object.keys(errors).length).toBeGreaterThan(0);
        for (const [block, text] of Object.entries(errors)) {
          expect(['title', 'severity', 'description', 'visibility']).toContain(block);
          expect(text.length).toBeGreaterThan(5);
          expect(leaks(text)).toBe(false);
        }
      }
    }
  }

  it('the real-shaped payloads each become the expected event (the baseline the mutations start from)', async () => {
    for (const f of fixtures) {
      const out = await feed(structuredClone(f.payload));
      expectHandled(out, f.kind === 'event' ? 'event' : 'interaction');
      expect(
        out.events.map((e) => e.type),
        f.name,
      ).toEqual([f.expect]);
    }
    // The same command again, as a new invocation (a redelivery would be dropped).
    const cmd = await feed(fresh(fixtures[0]!.payload));
    expect(cmd.events[0]).toMatchObject({
      command: 'incident',
      text: 'declare "GPU 5 <down>" & more --severity sev2',
    });
    expect(executed).toEqual([
      {
        command: 'incident declare',
        options: { title: 'GPU 5 <down> & more', severity: 'SEV2', description: '', private: false },
      },
    ]);
  });

  it.each([
    ['slash command bodies', commandBody, 'interaction'],
    ['block_actions bodies', actionBody, 'interaction'],
    ['declare form submissions', viewBody, 'interaction'],
    ['Events API callbacks', eventBody, 'event'],
  ] as const)(
    '%s of arbitrary shape: no throw, an ack, only well-formed events, clear answers',
    async (_name, arb, kind) => {
      let reached = 0;
      let produced = 0;
      await fc.assert(
        fc.asyncProperty(arb as fc.Arbitrary<unknown>, async (body) => {
          const out = await feed(body);
          if (out.entered.length > 0) reached++;
          if (out.events.length > 0) produced++;
          expectHandled(out, kind);
        }),
        { numRuns: 250 },
      );
      // The generators aim past Bolt's routing: most bodies must reach a listener of ours, and
      // enough of them must be whole enough to become an event.
      expect(reached).toBeGreaterThan(100);
      expect(produced).toBeGreaterThan(10);
    },
  );

  it('real payloads with fields removed or replaced by anything: no throw, an ack, only well-formed events', async () => {
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (which, mutations) => {
          const f = fixtures[which % fixtures.length]!;
          const out = await feed(mutate(fresh(f.payload), mutations));
          if (out.entered.length > 0) reached++;
          expectHandled(out, f.kind === 'event' ? 'event' : 'interaction');
        },
      ),
      { numRuns: 400 },
    );
    expect(reached).toBeGreaterThan(200);
  });

  it('parseDeclareSubmission reads any view into the form, or errors shown under its fields', () => {
    fc.assert(
      // Bolt hands the listener `body.view` only when it is an object with our callback_id.
      fc.property(
        fc.oneof(
          viewBody.map((b) => (b as any).view),
          fc.object(),
        ),
        (view) => {
          const parsed = parseDeclareSubmission(view as never);
          if ('errors' in parsed) {
            for (const [block, text] of Object.entries(parsed.errors)) {
              expect(['title', 'severity', 'description', 'visibility']).toContain(block);
              expect(text.length).toBeGreaterThan(5);
              expect(leaks(text)).toBe(false);
            }
            expect(Object.keys(parsed.errors).length).toBeGreaterThan(0);
            return;
          }
          // zod counts characters (code points), as Slack's max_length does.
          const o = parsed.options;
          expect(o.title.length).toBeGreaterThan(0);
          expect([...o.title].length).toBeLessThanOrEqual(200);
          expect(['SEV1', 'SEV2', 'SEV3', 'SEV4']).toContain(o.severity);
          expect([...o.description].length).toBeLessThanOrEqual(3000);
          expect(typeof o.private).toBe('boolean');
          expect(parsed.channelId).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a submitted declare form reaches /incident declare with exactly what was typed', async () => {
    const submission = fixtures.find((f) => f.name === 'declare form submission')!.payload;
    // What people type in a form: anything, including leading dashes (a bullet list), quotes,
    // backslashes and line breaks.
    const typed = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc
        .array(
          fc.constantFrom('-', '--private', '- ', '"', "'", '\\', '\n', ' ', 'GPU', '“', 'x=y', '--severity'),
          {
            maxLength: 8,
          },
        )
        .map((parts) => parts.join('')),
    );
    await fc.assert(
      fc.asyncProperty(
        typed,
        typed,
        fc.constantFrom('SEV1', 'SEV2', 'SEV3', 'SEV4'),
        fc.boolean(),
        async (title, description, severity, isPrivate) => {
          const body = structuredClone(submission);
          body.view.id = `V${Math.random().toString(36).slice(2)}`;
          const values = body.view.state.values;
          values.title.title.value = title;
          values.description.description.value = description;
          values.severity.severity.selected_option.value = severity;
          values.visibility.visibility.selected_options = isPrivate ? [{ value: 'private' }] : [];
          const out = await feed(body);
          expectHandled(out, 'interaction');
          const form = parseDeclareSubmission(body.view);
          if ('errors' in form) {
            expect(out.acks[0]).toMatchObject({ response_action: 'errors' });
            expect(executed).toEqual([]);
            return;
          }
          expect(
            replies.every((r) => !r?.message.text.startsWith('❌')),
            JSON.stringify(replies),
          ).toBe(true);
          expect(executed).toEqual([
            {
              command: 'incident declare',
              options: {
                title: form.options.title,
                severity,
                description: form.options.description,
                private: isPrivate,
              },
            },
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });

  // ---------------------------------------------------------------- the HTTP edge

  async function post(
    body: string,
    opts: { contentType?: string | undefined; signing: 'valid' | 'forged' | 'stale' | 'missing' },
  ): Promise<{ status: number; text: string }> {
    const now = Math.floor(Date.now() / 1000);
    const timestamp = opts.signing === 'stale' ? now - 600 : now;
    const secret = opts.signing === 'forged' ? `${fake.signingSecret}-forged` : fake.signingSecret;
    const headers: Record<string, string> = {
      ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
      ...(opts.signing === 'missing'
        ? {}
        : {
            'x-slack-request-timestamp': String(timestamp),
            'x-slack-signature': sign(secret, timestamp, body),
          }),
    };
    try {
      const res = await fetch(eventsUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(5_000),
      });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      // No answer at all: Slack would retry, then disable the app's events.
      return { status: 0, text: `no answer: ${(err as Error).message}` };
    }
  }

  /** Waits until the bot has been quiet (no new event, reply or log line) for a while. */
  async function settle(): Promise<void> {
    let last = -1;
    let quietSince = Date.now();
    await waitFor(
      () => {
        const now = events.length + replies.length + logs.length;
        if (now !== last) {
          last = now;
          quietSince = Date.now();
        }
        return Date.now() - quietSince > 300;
      },
      'the bot to go quiet',
      15_000,
    );
  }

  function expectNoListenerFailure(): void {
    const ours = logs.filter((l) => l.level >= 50 && /listeners\.ts|chat[\\/]slack/.test(l.err?.stack ?? ''));
    expect(ours.map((l) => `${l.msg}: ${l.err?.stack}`)).toEqual([]);
    expect(unhandled).toEqual([]);
  }

  const rawBody = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => `payload=${encodeURIComponent(JSON.stringify(v))}`),
    fc
      .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 4 })
      .map((d) => new URLSearchParams(d).toString()),
    fc.constantFrom(
      'null',
      'true',
      '0',
      '""',
      '[]',
      '{}',
      '{',
      'payload=null',
      'payload=0',
      'payload=%22x%22',
      'payload=%7B',
      'ssl_check=1',
      'ssl_check=1&command=%2Fincident&text=declare',
      'command=%2Fincident',
      'command=%2Fincident&text=list&channel_id=C0GENERAL&user_id=U0ALICE',
      '{"type":"url_verification","challenge":{"a":[1]}}',
      '{"type":"url_verification"}',
      '{"type":"event_callback","event":null}',
      '{"type":"event_callback","event":"message"}',
      '{"type":"event_callback","event":{"type":"message","item":"x"}}',
      '{"type":"block_actions","actions":[{"action_id":5}],"user":{"id":"U0ALICE"}}',
      '{"type":"block_actions","actions":[null],"user":{"id":"U0ALICE"}}',
      '{"type":"view_submission","view":null,"user":{"id":"U0ALICE"}}',
    ),
  );
  const contentType = fc.constantFrom(
    'application/json',
    'application/x-www-form-urlencoded',
    'text/plain',
    undefined,
  );

  it('HTTP: an unsigned, forged or replayed request of any body is refused with 401 and reaches nothing', async () => {
    logs.length = 0;
    const before = events.length;
    await fc.assert(
      fc.asyncProperty(
        // Slack's ssl_check needs no signature (Bolt answers it and drops the rest of the body).
        rawBody.filter((b) => !/(^|&)ssl_check=1(&|$)/.test(b)),
        contentType,
        fc.constantFrom('forged', 'stale', 'missing') as fc.Arbitrary<'forged' | 'stale' | 'missing'>,
        async (body, type, signing) => {
          const res = await post(body, { contentType: type, signing });
          expect(res.status).toBe(401);
          // The receiver's own refusal: one line of JSON naming what was wrong, never Bolt's.
          expect(JSON.parse(res.text).error.code).toMatch(/^bot\.slack\.(unsigned|stale|bad_signature)$/);
        },
      ),
      { numRuns: 200 },
    );
    await settle();
    expect(events.length).toBe(before);
    expectNoListenerFailure();
  });

  // Bolt answers a body no listener acks after its 3-second timeout, so bodies go out in batches.
  it('HTTP: any signed body gets a status, never a stack trace, and the process stays up', async () => {
    logs.length = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(rawBody, contentType), { minLength: 80, maxLength: 80 }),
        async (batch) => {
          const results = await Promise.all(
            batch.map(([body, type]) => post(body, { contentType: type, signing: 'valid' })),
          );
          results.forEach((res, i) => {
            const what = JSON.stringify(batch[i]);
            expect([200, 400, 401, 404, 500], what).toContain(res.status);
            expect(leaks(res.text), `${what} → ${res.text}`).toBe(false);
          });
          await settle();
          expectNoListenerFailure();
          for (const event of events) expectWellFormed(event);
        },
      ),
      // One batch of 80, not shrunk: each try costs Bolt's 3-second timeout.
      { numRuns: 1, endOnFailure: true },
    );
    // Still answering: Slack's URL check.
    const check = await post(JSON.stringify({ type: 'url_verification', challenge: 'still-up' }), {
      contentType: 'application/json',
      signing: 'valid',
    });
    expect(check).toEqual({ status: 200, text: JSON.stringify({ challenge: 'still-up' }) });
  }, 30_000);

  it('HTTP: signed real payloads with fields removed or replaced get a status, and every answer is clear', async () => {
    logs.length = 0;
    const eventFixtures = fixtures.filter((f) => f.kind === 'event');
    // New trigger and response_url per request, as Slack sends them.
    const build = (which: 'command' | 'click' | number): { kind: InboundKind; payload: unknown } => {
      if (which === 'command') {
        const text = 'status';
        return {
          kind: 'command',
          payload: fake.build.slashCommand({ user: 'U0ALICE', channel: 'C0INCIDENTS', text }).payload,
        };
      }
      if (which === 'click') {
        const posted = fake.messages('C0INCIDENTS').find((m) => m.text === 'card')!;
        const click = fake.build.blockActions({
          user: 'U0BOB',
          channel: 'C0INCIDENTS',
          messageTs: posted.ts,
          button: 'Approve',
        });
        return { kind: 'interactive', payload: click.payload };
      }
      return { kind: 'event', payload: fresh(eventFixtures[which % eventFixtures.length]!.payload) };
    };
    // Commands and clicks weigh most: a person waits for their answer.
    const which = fc.oneof(
      { weight: 2, arbitrary: fc.constant('command' as const) },
      { weight: 1, arbitrary: fc.constant('click' as const) },
      { weight: 1, arbitrary: fc.nat() },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(which, fc.array(mutation, { minLength: 1, maxLength: 2 })), {
          minLength: 60,
          maxLength: 60,
        }),
        async (batch) => {
          const results = await Promise.all(
            batch.map(async ([w, mutations]) => {
              const f = build(w);
              const { body, contentType: type } = encodeInbound(f.kind, mutate(fresh(f.payload), mutations));
              return post(body, { contentType: type, signing: 'valid' });
            }),
          );
          for (const res of results) {
            expect([200, 404, 500]).toContain(res.status);
            expect(leaks(res.text)).toBe(false);
          }
          await settle();
          expectNoListenerFailure();
          for (const event of events) expectWellFormed(event);
          for (const p of fake.responseUrlPosts()) {
            const text = String((p.body as { text?: unknown }).text ?? '');
            expect(leaks(text), text).toBe(false);
            expect(text).not.toMatch(GENERIC);
          }
        },
      ),
      { numRuns: 1, endOnFailure: true },
    );
    const ephemeralText = fake.ephemerals().map((e) => e.text);
    for (const text of ephemeralText) expect(leaks(text), text).toBe(false);
  }, 30_000);
});
