/**
 * A wire-level fake Slack for tests. The real WebClient, SocketModeClient and Bolt app talk to it
 * over HTTP and WebSocket on 127.0.0.1; nothing is patched.
 *
 * Start and wire:
 * ```ts
 * const fake = await startFakeSlack();   // { signingSecret?, latencyMs?, ackTimeoutMs? (3000), triggerTtlMs? (3000),
 *                                        //   pingIntervalMs? (5000), botToken?, appToken? }
 * // bot env: SLACK_API_URL=fake.url (ends in /api/), SLACK_BOT_TOKEN=fake.botToken,
 * //          SLACK_APP_TOKEN=fake.appToken (Socket Mode) or SLACK_SIGNING_SECRET=fake.signingSecret (HTTP)
 * await fake.waitForConnection();        // Socket Mode: the bot fetched a URL, connected and got `hello`
 * fake.useHttp(`${botUrl}/slack/events`); // HTTP mode instead: inbound payloads become signed POSTs
 * ```
 *
 * Seeded workspace (team T0FAKETEAM, app A0FAKEAPP, bot user U0BOT / bot B0BOT "incident-bot"):
 * U0ALICE alice "Alice Anders" Europe/Berlin, U0BOB bob "Bob Brown" America/New_York,
 * U0CAROL carol "Carol Chen" Asia/Tokyo, USLACKBOT; user group S0SRE @sre = alice + bob;
 * #general C0GENERAL (people, not the bot) and #incidents C0INCIDENTS (people and the bot).
 * More with `addUser`, `addUserGroup`, `addChannel({ name, private?, members?, topic?, archived? })`.
 *
 * People act through `fake.as(userId)`: each action changes the state like Slack and sends the
 * app what Slack sends (events only for channels the bot is in; see `skipped`):
 * ```ts
 * const alice = fake.as('U0ALICE');
 * const cmd = await alice.command('C0GENERAL', 'declare GPU 5 down');   // slash command
 * cmd.delivery.response;                 // the ack payload / HTTP JSON body; shown as ephemeral unless in_channel
 * const view = fake.views().at(-1)!;     // a modal the bot opened with cmd.triggerId
 * await alice.submit(view.id, { title: { title: 'GPU 5 down' }, sev: { sev: 'sev2' } });
 * const card = fake.messages(channelId).find((m) => m.byBot)!;
 * await fake.as('U0BOB').click(channelId, card.ts, 'Approve');         // by action_id, value or label
 * const said = await alice.post(channelId, 'rebooting node 5', { threadTs });  // `message` event
 * await alice.edit(channelId, said.ts, 'rebooted');                     // message_changed
 * await alice.delete(channelId, said.ts);                               // message_deleted
 * await alice.react(channelId, said.ts, 'pushpin', { remove? });        // reaction_added / _removed
 * await alice.pin(channelId, said.ts, { remove? });                     // pin_added / _removed
 * await fake.as('U0CAROL').join(channelId);                             // member_joined_channel
 * await fake.redeliver(said);            // the same payload (same event_id) with retry_attempt / X-Slack-Retry-Num 1
 * ```
 *
 * Lower level: `fake.build.*` (eventCallback, urlVerification, message, botMessage, messageChanged,
 * messageDeleted, reaction, pin, memberJoined, slashCommand, blockActions, viewSubmission),
 * `fake.deliver(kind, payload, opts)`, `fake.sendEnvelope(type, payload, opts)` → the ack,
 * `fake.postSigned(url, kind, payload, { forgeSignature, timestamp, retryNum, retryReason })`
 * → `{ status, body, json, headers, ms }`, `requestReconnect(reason)`, `dropConnections()`.
 *
 * Faults and time: `failNext(method | '*', { status: 429, retryAfter } | { status: 500 } |
 * { error } | { reset: true } | { delayMs }, { times })`, `clearFaults()`, `fake.latencyMs = 50`.
 *
 * Inspection (snapshots): `calls(method?)` → `{ method, params, at, status, ok, error, fault, token }`,
 * `channel(idOrName)`, `channels()`, `messages(channel, { includeDeleted, includeSystem })`,
 * `message(channel, ts)`, `buttons(channel, ts)`, `ephemerals({ channel, user })`, `views()`,
 * `files()`, `responseUrlPosts()`, `envelopes`, `acks`, `users()`, `socketConnections`.
 *
 * `asChatPlatform()` is the ChatPlatform port straight over the same state (the contract suite).
 *
 * Stop the bot or client before `fake.close()`: a Socket Mode client that loses the fake while
 * running tries to reconnect to a closed port.
 */
export { buttonsIn, type FakeButton, LIMITS, textIn } from './block-kit.ts';
export { channelNameError, MAX_CHANNEL_NAME } from './channel-name.ts';
export { FakeSlackChat, type FakeSlackChatOptions, renderBlocks } from './chat-platform.ts';
export { type CallRecord, FakeSlack, type FakeSlackOptions, startFakeSlack } from './fake-slack.ts';
export type { Fault } from './faults.ts';
export { type FakeMentions, mentionsOf } from './mentions.ts';
export type { BuiltInteraction, ChannelType, EventOptions, PayloadBuilder, ViewValue } from './payloads.ts';
export type {
  ActOptions,
  ClickResult,
  CommandResult,
  DeliverOptions,
  Delivery,
  EventResult,
  Person,
  PostResult,
  SubmitResult,
} from './people.ts';
export type {
  FakeChannel,
  FakeEphemeral,
  FakeFile,
  FakeMessage,
  FakeResponseUrlPost,
  FakeView,
  InteractionKind,
  MessageOrigin,
} from './records.ts';
export { type InboundKind, type PostSignedOptions, type SignedResponse, sign } from './signing.ts';
export type { Envelope, EnvelopeType, SendEnvelopeOptions, SocketAck } from './socket-mode.ts';
export type { FakeUser, FakeUserGroup, NewUser, NewUserGroup } from './users.ts';
