import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, verifySlackRequest } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { retryPolicies, WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from './slack/index.ts';

/** The Slack error code a WebClient call failed with. */
async function slackError(call: Promise<unknown>): Promise<string> {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { data?: { error?: string } } | undefined;
  if (!err) throw new Error('expected the call to fail');
  return err.data?.error ?? String(err);
}

const quiet = { logLevel: LogLevel.ERROR };

/** WebClient logs Slack's `[ERROR] …` response messages; these tests provoke them on purpose. */
const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

describe('fake Slack Web API, through the real WebClient', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeEach(async () => {
    fake = await startFakeSlack();
    client = new WebClient(fake.botToken, {
      slackApiUrl: fake.url,
      retryConfig: retryPolicies.rapidRetryPolicy,
      logger: silent,
    });
  });
  afterEach(() => fake.close());

  it('checks tokens the way Slack does', async () => {
    const me = await client.auth.test();
    expect(me).toMatchObject({ ok: true, user_id: fake.botUserId, bot_id: fake.botId, team_id: fake.teamId });
    const opts = { slackApiUrl: fake.url, retryConfig: retryPolicies.rapidRetryPolicy, ...quiet };
    expect(await slackError(new WebClient('xoxb-wrong', opts).auth.test())).toBe('invalid_auth');
    expect(await slackError(new WebClient(undefined, opts).auth.test())).toBe('not_authed');
    // The app-level token opens Socket Mode connections and nothing else, and the bot token cannot.
    const app = new WebClient(fake.appToken, opts);
    expect(await slackError(app.chat.postMessage({ channel: 'C0INCIDENTS', text: 'x' }))).toBe(
      'not_allowed_token_type',
    );
    expect(await slackError(client.apps.connections.open({}))).toBe('not_allowed_token_type');
    expect((await app.apps.connections.open({})).url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
    expect(await slackError(client.apiCall('no.such.method'))).toBe('unknown_method');
    expect(fake.calls('auth.test').map((c) => c.token)).toEqual(['bot', 'invalid', 'none']);
  });

  it('creates, posts, updates, invites, sets the topic and archives, keeping state', async () => {
    const created = await client.conversations.create({ name: 'inc-7-gpu-5', is_private: true });
    const id = created.channel!.id!;
    expect(created.channel).toMatchObject({ name: 'inc-7-gpu-5', is_private: true, is_member: true });

    const topic = await client.conversations.setTopic({ channel: id, topic: 'SEV2 · investigating' });
    expect(topic.ok).toBe(true);
    await client.conversations.invite({ channel: id, users: 'U0ALICE,U0BOB' });
    expect(await slackError(client.conversations.invite({ channel: id, users: 'U0ALICE' }))).toBe(
      'already_in_channel',
    );
    expect(await slackError(client.conversations.invite({ channel: id, users: fake.botUserId }))).toBe(
      'cant_invite_self',
    );
    // All or nothing: carol is not invited when alice's invite fails, unless `force`.
    const mixed = client.conversations.invite({ channel: id, users: 'U0CAROL,U0ALICE' });
    expect(await slackError(mixed)).toBe('already_in_channel');
    expect(fake.channel(id)!.members).not.toContain('U0CAROL');
    const forced = await client.conversations.invite({ channel: id, users: 'U0CAROL,U0ALICE', force: true });
    expect(forced.errors).toEqual([{ user: 'U0ALICE', ok: true, error: 'already_in_channel' }]);

    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: '*INC-7* GPU 5' } },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'card:resolve', text: { type: 'plain_text', text: 'Resolve' } },
        ],
      },
    ];
    const posted = await client.chat.postMessage({ channel: id, text: 'INC-7', blocks });
    expect(posted).toMatchObject({ ok: true, channel: id, message: { text: 'INC-7', bot_id: fake.botId } });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    const updated = await client.chat.update({
      channel: id,
      ts: posted.ts!,
      text: 'INC-7 resolved',
      blocks: [],
    });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'INC-7 resolved' });
    const link = await client.chat.getPermalink({ channel: id, message_ts: posted.ts! });
    expect(link.permalink).toBe(`${fake.origin}/archives/${id}/p${posted.ts!.replace('.', '')}`);

    await client.conversations.rename({ channel: id, name: 'inc-7-gpu-5-resolved' });
    await client.conversations.archive({ channel: id });
    expect(await slackError(client.chat.postMessage({ channel: id, text: 'late' }))).toBe('is_archived');
    expect(await slackError(client.chat.update({ channel: id, ts: posted.ts!, text: 'x' }))).toBe(
      'is_inactive',
    );
    expect(await slackError(client.conversations.archive({ channel: id }))).toBe('already_archived');

    expect(fake.channel(id)).toMatchObject({
      name: 'inc-7-gpu-5-resolved',
      previousNames: ['inc-7-gpu-5'],
      topic: 'SEV2 · investigating',
      archived: true,
      private: true,
      members: expect.arrayContaining([fake.botUserId, 'U0ALICE', 'U0BOB', 'U0CAROL']),
    });
    const [card] = fake.messages(id);
    expect(card).toMatchObject({ ts: posted.ts, text: 'INC-7 resolved', blocks: [], byBot: true });
    expect(card!.edited?.user).toBe(fake.botUserId);
    const notices = fake.messages(id, { includeSystem: true }).map((m) => m.subtype);
    expect(notices).toEqual(
      expect.arrayContaining(['channel_topic', 'channel_join', 'channel_name', 'channel_archive']),
    );
  });

  it('applies Slack channel name rules, archived channels keeping their names', async () => {
    expect(await slackError(client.conversations.create({ name: 'Inc-1' }))).toBe('invalid_name_specials');
    expect(await slackError(client.conversations.create({ name: 'inc 1' }))).toBe('invalid_name_specials');
    expect(await slackError(client.conversations.create({ name: 'x'.repeat(81) }))).toBe(
      'invalid_name_maxlength',
    );
    expect(await slackError(client.conversations.create({ name: '' }))).toBe('invalid_name_required');
    expect(await slackError(client.conversations.create({ name: '--' }))).toBe('invalid_name_punctuation');
    await client.conversations.create({ name: 'x'.repeat(80) });

    const old = await client.conversations.create({ name: 'inc-2-old' });
    await client.conversations.archive({ channel: old.channel!.id! });
    expect(await slackError(client.conversations.create({ name: 'inc-2-old' }))).toBe('name_taken');
    const other = await client.conversations.create({ name: 'inc-3' });
    expect(
      await slackError(client.conversations.rename({ channel: other.channel!.id!, name: 'inc-2-old' })),
    ).toBe('name_taken');
  });

  it('refuses posts to private channels the bot is not in, and bad blocks', async () => {
    const secret = fake.addChannel({ name: 'secret', private: true, members: ['U0ALICE'] });
    expect(await slackError(client.chat.postMessage({ channel: secret.id, text: 'hi' }))).toBe(
      'not_in_channel',
    );
    expect(await slackError(client.conversations.info({ channel: secret.id }))).toBe('channel_not_found');
    // Public channels take the bot's posts without membership (chat:write.public).
    expect((await client.chat.postMessage({ channel: '#general', text: 'hello' })).channel).toBe('C0GENERAL');
    const long = [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }];
    const err = await client.chat
      .postMessage({ channel: 'C0INCIDENTS', text: 'x', blocks: long })
      .catch((e) => e);
    expect(err.data.error).toBe('invalid_blocks');
    expect(err.data.response_metadata.messages[0]).toContain('[json-pointer:/blocks/0/text/text]');
    expect(await slackError(client.chat.postMessage({ channel: 'C0INCIDENTS', text: '' }))).toBe('no_text');
  });

  it('answers a 429 with Retry-After, and WebClient waits and retries', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const rateLimited: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (seconds: number) => rateLimited.push(seconds));
    const posted = await client.chat.postMessage({ channel: 'C0INCIDENTS', text: 'status update' });
    expect(posted.ok).toBe(true);
    const attempts = fake.calls('chat.postMessage');
    expect(attempts.map((c) => [c.status, c.ok, c.error])).toEqual([
      [429, false, 'ratelimited'],
      [200, true, undefined],
    ]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(rateLimited).toEqual([1]);
    expect(fake.messages('C0INCIDENTS').map((m) => m.text)).toEqual(['status update']);
  });

  it('injects 5xx, platform errors, lost responses and latency', async () => {
    fake.failNext('conversations.setTopic', { error: 'fatal_error' });
    expect(await slackError(client.conversations.setTopic({ channel: 'C0INCIDENTS', topic: 't' }))).toBe(
      'fatal_error',
    );
    expect(fake.channel('C0INCIDENTS')!.topic).toBe('');

    // The post happened but its answer was lost: WebClient retries the 5xx and the message is there twice.
    fake.failNext('chat.postMessage', { status: 500, applied: true });
    await client.chat.postMessage({ channel: 'C0INCIDENTS', text: 'twice' });
    expect(fake.messages('C0INCIDENTS').map((m) => m.text)).toEqual(['twice', 'twice']);
    expect(fake.calls('chat.postMessage').map((c) => c.status)).toEqual([500, 200]);

    fake.failNext('*', { status: 503 }, { times: 2 });
    await client.auth.test();
    expect(fake.calls('auth.test').map((c) => c.status)).toEqual([503, 503, 200]);

    fake.latencyMs = 50;
    const started = performance.now();
    await client.auth.test();
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('takes a file through the v2 upload flow (filesUploadV2)', async () => {
    const r = await client.filesUploadV2({
      channel_id: 'C0INCIDENTS',
      content: 'node 5: Xid 79\n',
      filename: 'triage.txt',
      title: 'Triage output',
      initial_comment: 'Triage for gpu-node-5',
    });
    expect(r.ok).toBe(true);
    expect(fake.calls().map((c) => c.method)).toEqual([
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
    const [file] = fake.files();
    expect(file).toMatchObject({
      filename: 'triage.txt',
      title: 'Triage output',
      content: 'node 5: Xid 79\n',
      completed: true,
      channel: 'C0INCIDENTS',
    });
    const [message] = fake.messages('C0INCIDENTS');
    expect(message).toMatchObject({ text: 'Triage for gpu-node-5', files: [file!.id], byBot: true });
  });

  it('keeps uploaded bytes exactly, and refuses a `length` over its limit as Slack does', async () => {
    // Bytes no UTF-8 round trip keeps (a lone continuation byte, 0xff, a NUL).
    const bytes = Buffer.from([0x1f, 0x8b, 0x08, 0x80, 0xff, 0xfe, 0x00, 0xc0, 0xaf]);
    await client.filesUploadV2({ channel_id: 'C0INCIDENTS', file: bytes, filename: 'a.tar.gz', title: 'A' });
    const [file] = fake.files();
    expect(file?.bytes?.equals(bytes)).toBe(true);
    expect(file).toMatchObject({ length: bytes.length, completed: true });
    // Slack's 1 GB: one byte more is refused before any upload URL is handed out.
    expect(
      await slackError(client.files.getUploadURLExternal({ filename: 'b.tar.gz', length: 1_000_000_001 })),
    ).toBe('file_upload_size_restricted');
    expect(fake.files()).toHaveLength(1);
  });

  it('accepts JSON bodies with a bearer token, and raw bytes at the upload URL', async () => {
    const res = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fake.botToken}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ channel: 'C0INCIDENTS', text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0INCIDENTS', message: { text: 'json' } });
    expect(fake.calls('chat.postMessage')[0]!.params).toEqual({
      channel: 'C0INCIDENTS',
      text: 'json',
      blocks: [{ type: 'divider' }],
    });

    const ticket = await client.files.getUploadURLExternal({ filename: 'notes.md', length: 5 });
    const upload = await fetch(ticket.upload_url!, { method: 'POST', body: 'hello' });
    expect([upload.status, await upload.text()]).toEqual([200, 'OK - 5']);
    await client.files.completeUploadExternal({ files: [{ id: ticket.file_id! }] });
    expect(fake.files()[0]).toMatchObject({ content: 'hello', completed: true, channel: undefined });
    expect(await slackError(client.files.completeUploadExternal({ files: [{ id: ticket.file_id! }] }))).toBe(
      'file_not_found',
    );
  });

  it('knows people, their time zones and user groups', async () => {
    const { user } = await client.users.info({ user: 'U0ALICE' });
    expect(user).toMatchObject({
      id: 'U0ALICE',
      name: 'alice',
      real_name: 'Alice Anders',
      tz: 'Europe/Berlin',
      profile: { display_name: 'alice', real_name: 'Alice Anders' },
    });
    expect(user!.tz_label).toMatch(/^Central European (Standard|Summer) Time$/);
    expect([3600, 7200]).toContain(user!.tz_offset);
    const carol = (await client.users.info({ user: 'U0CAROL' })).user!;
    expect([carol.tz, carol.tz_offset, carol.tz_label]).toEqual(['Asia/Tokyo', 32400, 'Japan Standard Time']);
    expect(await slackError(client.users.info({ user: 'U0NOBODY' }))).toBe('user_not_found');

    const groups = await client.usergroups.list({ include_users: true });
    expect(groups.usergroups).toEqual([
      expect.objectContaining({ id: 'S0SRE', handle: 'sre', users: ['U0ALICE', 'U0BOB'] }),
    ]);
    expect((await client.usergroups.users.list({ usergroup: 'S0SRE' })).users).toEqual(['U0ALICE', 'U0BOB']);
    fake.addUser({ id: 'U0DAVE', name: 'dave', tz: 'UTC' });
    fake.addUserGroup({ id: 'S0NET', handle: 'netops', users: ['U0DAVE'] });
    const members = (await client.users.list({})).members!.map((m) => m.id);
    expect(members).toEqual(
      expect.arrayContaining(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', fake.botUserId]),
    );
    expect((await client.usergroups.users.list({ usergroup: 'S0NET' })).users).toEqual(['U0DAVE']);
  });

  it('opens and updates modals only with a fresh trigger_id', async () => {
    const { triggerId } = fake.build.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'declare' });
    const view = {
      type: 'modal' as const,
      callback_id: 'declare',
      private_metadata: 'C0GENERAL',
      title: { type: 'plain_text' as const, text: 'Declare an incident' },
      submit: { type: 'plain_text' as const, text: 'Declare' },
      blocks: [
        {
          type: 'input',
          block_id: 'title',
          label: { type: 'plain_text', text: 'Title' },
          element: { type: 'plain_text_input', action_id: 'title' },
        },
      ],
    };
    const opened = await client.views.open({ trigger_id: triggerId, view });
    expect(opened.view).toMatchObject({
      callback_id: 'declare',
      private_metadata: 'C0GENERAL',
      type: 'modal',
    });
    expect(await slackError(client.views.open({ trigger_id: triggerId, view }))).toBe('exchanged_trigger_id');
    expect(await slackError(client.views.open({ trigger_id: '123.456.abc', view }))).toBe(
      'invalid_trigger_id',
    );
    const longTitle = {
      ...view,
      title: { type: 'plain_text' as const, text: 'Declare a brand new incident now' },
    };
    const t2 = fake.build.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: '' }).triggerId;
    expect(await slackError(client.views.open({ trigger_id: t2, view: longTitle }))).toBe(
      'invalid_arguments',
    );

    const id = opened.view!.id!;
    const updated = await client.views.update({ view_id: id, hash: opened.view!.hash!, view });
    expect(await slackError(client.views.update({ view_id: id, hash: opened.view!.hash!, view }))).toBe(
      'hash_conflict',
    );
    expect(updated.view!.hash).not.toBe(opened.view!.hash);
    expect(fake.views()).toEqual([expect.objectContaining({ id, userId: 'U0ALICE', callbackId: 'declare' })]);
    expect(fake.views()[0]!.history).toHaveLength(2);
  });

  it('records reactions, pins and ephemeral messages', async () => {
    const { ts } = await client.chat.postMessage({ channel: 'C0INCIDENTS', text: 'card' });
    await client.reactions.add({ channel: 'C0INCIDENTS', timestamp: ts!, name: 'eyes' });
    expect(
      await slackError(client.reactions.add({ channel: 'C0INCIDENTS', timestamp: ts!, name: 'eyes' })),
    ).toBe('already_reacted');
    await client.pins.add({ channel: 'C0INCIDENTS', timestamp: ts! });
    expect(await slackError(client.pins.add({ channel: 'C0INCIDENTS', timestamp: ts! }))).toBe(
      'already_pinned',
    );
    expect(fake.message('C0INCIDENTS', ts!)).toMatchObject({
      reactions: { eyes: [fake.botUserId] },
      pinned: true,
    });

    const eph = await client.chat.postEphemeral({ channel: 'C0INCIDENTS', user: 'U0BOB', text: 'only you' });
    expect(eph.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(fake.ephemerals({ user: 'U0BOB' })).toEqual([
      expect.objectContaining({ text: 'only you', origin: 'api' }),
    ]);
    fake.addUser({ id: 'U0EVE', name: 'eve' });
    expect(
      await slackError(client.chat.postEphemeral({ channel: 'C0INCIDENTS', user: 'U0EVE', text: 'x' })),
    ).toBe('user_not_in_channel');
  });
});

describe('fake Slack Socket Mode, through the real SocketModeClient', () => {
  let fake: FakeSlack;
  let client: SocketModeClient;

  beforeEach(async () => {
    fake = await startFakeSlack({ ackTimeoutMs: 1000 });
    client = new SocketModeClient({
      appToken: fake.appToken,
      clientOptions: { slackApiUrl: fake.url },
      // Reconnect after 300 ms instead of 5 s (the client waits clientPingTimeout × failures).
      clientPingTimeout: 300,
      ...quiet,
    });
  });
  afterEach(async () => {
    // Disconnect first: a client that loses the fake would try to reconnect to a closed port.
    await client.disconnect();
    await fake.close();
  });

  it('connects with hello, delivers a slash command and resolves with the ack', async () => {
    await client.start();
    expect(fake.socketConnections).toBe(1);
    expect(fake.calls('apps.connections.open')).toEqual([
      expect.objectContaining({ ok: true, token: 'app' }),
    ]);

    client.on('slash_commands', async ({ ack, body }) => {
      await ack({ response_type: 'ephemeral', text: `got ${body.command} ${body.text}` });
    });
    const { payload } = fake.build.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'declare x' });
    const ack = await fake.sendEnvelope('slash_commands', payload);
    expect(ack).toEqual({
      envelope_id: fake.envelopes[0]!.envelope_id,
      payload: { response_type: 'ephemeral', text: 'got /incident declare x' },
    });
    expect(fake.envelopes[0]).toMatchObject({
      type: 'slash_commands',
      accepts_response_payload: true,
      payload,
    });
  });

  it('delivers events_api envelopes with retry_attempt and rejects when nobody acks', async () => {
    await client.start();
    const seen: { retry: number | undefined; reason: string | undefined; text: string }[] = [];
    client.on('message', async ({ ack, event, retry_num, retry_reason }) => {
      seen.push({ retry: retry_num, reason: retry_reason, text: event.text });
      await ack();
    });
    const event = fake.build.eventCallback(
      fake.build.message({ channel: 'C0INCIDENTS', user: 'U0BOB', text: 'hi' }),
    );
    expect(await fake.sendEnvelope('events_api', event)).toMatchObject({ payload: {} });
    await fake.sendEnvelope('events_api', event, { retryAttempt: 1, retryReason: 'timeout' });
    expect(seen).toEqual([
      { retry: 0, reason: '', text: 'hi' },
      { retry: 1, reason: 'timeout', text: 'hi' },
    ]);
    await expect(
      fake.sendEnvelope('interactive', { type: 'block_actions' }, { ackTimeoutMs: 200 }),
    ).rejects.toThrow(/not acked within 200 ms/);
  });

  it('turns what people do into the events Slack sends, and redelivers with the same event_id', async () => {
    await client.start();
    const events: any[] = [];
    client.on('slack_event', async ({ ack, body, retry_num }) => {
      events.push({ ...body.event, retry_num, event_id: body.event_id });
      await ack();
    });
    const alice = fake.as('U0ALICE');
    const ch = 'C0INCIDENTS';
    const root = await alice.post(ch, 'gpu-node-5 dropped off the bus');
    const reply = await alice.post(ch, 'xid 79 in dmesg', { threadTs: root.ts });
    await alice.edit(ch, root.ts, 'gpu-node-5 fell off the bus');
    await fake.as('U0BOB').react(ch, root.ts, 'pushpin');
    await fake.as('U0BOB').pin(ch, reply.ts);
    await alice.delete(ch, reply.ts);
    const inc9 = fake.addChannel({ name: 'inc-9', members: [fake.botUserId] });
    await fake.as('U0CAROL').join(inc9.id);
    await fake.redeliver(root);

    expect(events.map((e) => [e.type, e.subtype])).toEqual([
      ['message', undefined],
      ['message', undefined],
      ['message', 'message_changed'],
      ['reaction_added', undefined],
      ['pin_added', undefined],
      ['message', 'message_deleted'],
      ['member_joined_channel', undefined],
      ['message', undefined],
    ]);
    const [post, threaded, edited, reaction, pin, deleted, member, again] = events;
    expect(post).toMatchObject({
      user: 'U0ALICE',
      text: 'gpu-node-5 dropped off the bus',
      channel: ch,
      channel_type: 'channel',
      ts: root.ts,
    });
    expect(threaded).toMatchObject({ thread_ts: root.ts, parent_user_id: 'U0ALICE', ts: reply.ts });
    expect(edited).toMatchObject({
      hidden: true,
      message: { ts: root.ts, text: 'gpu-node-5 fell off the bus', edited: { user: 'U0ALICE' } },
      previous_message: { ts: root.ts, text: 'gpu-node-5 dropped off the bus' },
    });
    expect(reaction).toMatchObject({
      user: 'U0BOB',
      reaction: 'pushpin',
      item_user: 'U0ALICE',
      item: { type: 'message', channel: ch, ts: root.ts },
    });
    expect(pin).toMatchObject({
      user: 'U0BOB',
      channel_id: ch,
      item: { type: 'message', message: { ts: reply.ts } },
    });
    expect(deleted).toMatchObject({
      deleted_ts: reply.ts,
      previous_message: { text: 'xid 79 in dmesg', thread_ts: root.ts },
    });
    expect(member).toMatchObject({
      user: 'U0CAROL',
      channel: inc9.id,
      channel_type: 'C',
    });
    expect(again).toMatchObject({ event_id: root.eventId, retry_num: 1, ts: root.ts });
    expect(post.retry_num).toBe(0);

    expect(fake.message(ch, root.ts)).toMatchObject({
      text: 'gpu-node-5 fell off the bus',
      reactions: { pushpin: ['U0BOB'] },
    });
    expect(fake.messages(ch).map((m) => m.ts)).toEqual([root.ts]);
    expect(fake.messages(ch, { includeDeleted: true }).map((m) => m.ts)).toEqual([root.ts, reply.ts]);
  });

  it('asks the client to reconnect with a disconnect message', async () => {
    await client.start();
    const reconnected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    fake.requestReconnect('refresh_requested');
    await reconnected;
    expect(fake.socketConnectionCount).toBe(2);
    expect(fake.calls('apps.connections.open')).toHaveLength(2);
    expect(fake.socketConnections).toBe(1);
  });
});

describe('fake Slack HTTP mode: signed requests', () => {
  let fake: FakeSlack;
  let server: Server | undefined;

  beforeEach(async () => {
    fake = await startFakeSlack({ signingSecret: 'shh-secret' });
  });
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    await fake.close();
  });

  async function capture(): Promise<{
    url: string;
    seen: { headers: IncomingMessage['headers']; body: string }[];
  }> {
    const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
    server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ headers: req.headers, body });
      res.end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, seen };
  }

  function verify(seen: { headers: IncomingMessage['headers']; body: string }): void {
    verifySlackRequest({
      signingSecret: 'shh-secret',
      body: seen.body,
      headers: {
        'x-slack-signature': String(seen.headers['x-slack-signature']),
        'x-slack-request-timestamp': Number(seen.headers['x-slack-request-timestamp']),
      },
    });
  }

  // A slash command's fields are form fields, so text on the wire whatever a test put in them:
  // the fuzz replaces fields by any JSON value, and String() throws for a null-prototype object or
  // one whose own toString is not a function.
  it('sends any value a slash-command field holds as text, the way a form can carry it', async () => {
    const { url, seen } = await capture();
    const odd = {
      command: '/incident',
      text: Object.assign(Object.create(null), { a: 1 }),
      user_id: { toString: 1, valueOf: 'x' },
      channel_id: ['C1', { toString: null }],
      trigger_id: 12.5,
      team_id: false,
      response_url: null,
      api_app_id: undefined,
    };
    await fake.postSigned(url, 'command', odd);
    expect(seen).toHaveLength(1);
    verify(seen[0]!);
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
      command: '/incident',
      text: '{"a":1}',
      user_id: '{"toString":1,"valueOf":"x"}',
      channel_id: '["C1",{"toString":null}]',
      trigger_id: '12.5',
      team_id: 'false',
    });
  });

  it('signs like Slack, so verifySlackRequest accepts it, and forges and replays on request', async () => {
    const { url, seen } = await capture();
    const command = fake.build.slashCommand({ user: 'U0BOB', channel: 'C0GENERAL', text: 'status' }).payload;
    await fake.postSigned(url, 'command', command);
    await fake.postSigned(
      url,
      'event',
      fake.build.eventCallback(fake.build.message({ channel: 'C0GENERAL', user: 'U0BOB', text: 'x' })),
      {
        retryNum: 1,
        retryReason: 'http_timeout',
      },
    );
    await fake.postSigned(url, 'interactive', { type: 'block_actions', actions: [] });
    await fake.postSigned(url, 'command', command, { forgeSignature: true });
    await fake.postSigned(url, 'command', command, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });

    const [cmd, event, click, forged, replayed] = seen as [
      (typeof seen)[0],
      (typeof seen)[0],
      (typeof seen)[0],
      (typeof seen)[0],
      (typeof seen)[0],
    ];
    for (const ok of [cmd, event, click]) verify(ok);
    expect(() => verify(forged)).toThrow(/signature mismatch/);
    expect(() => verify(replayed)).toThrow(/stale/);

    expect(cmd.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(cmd.body))).toMatchObject({
      command: '/incident',
      text: 'status',
      user_id: 'U0BOB',
      user_name: 'bob',
      channel_id: 'C0GENERAL',
      team_id: fake.teamId,
    });
    expect(event.headers).toMatchObject({
      'content-type': 'application/json',
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(JSON.parse(event.body)).toMatchObject({
      type: 'event_callback',
      event: { type: 'message', text: 'x' },
    });
    expect(JSON.parse(new URLSearchParams(click.body).get('payload')!)).toEqual({
      type: 'block_actions',
      actions: [],
    });
  });

  it('talks to a real Bolt HTTP receiver: acks, url_verification, 401 for forged and replayed requests', async () => {
    const receiver = new HTTPReceiver({ signingSecret: 'shh-secret', ...quiet });
    const app = new App({
      token: fake.botToken,
      receiver,
      clientOptions: { slackApiUrl: fake.url },
      ...quiet,
    });
    app.command('/incident', async ({ ack, command }) => {
      await ack({ response_type: 'ephemeral', text: `on it: ${command.text}` });
    });
    server = createServer(receiver.requestListener);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;

    fake.useHttp(url);
    const result = await fake.as('U0ALICE').command('C0GENERAL', 'status');
    expect(result.delivery).toMatchObject({
      transport: 'http',
      status: 200,
      response: { text: 'on it: status' },
    });
    expect(fake.ephemerals({ user: 'U0ALICE' })).toEqual([
      expect.objectContaining({ text: 'on it: status', origin: 'http_response', channel: 'C0GENERAL' }),
    ]);
    expect(fake.calls('auth.test')).toHaveLength(1);

    const challenge = await fake.postSigned(url, 'event', fake.build.urlVerification('abc'));
    expect(challenge.json).toEqual({ challenge: 'abc' });
    expect((await fake.postSigned(url, 'command', result.payload, { forgeSignature: true })).status).toBe(
      401,
    );
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await fake.postSigned(url, 'command', result.payload, { timestamp: stale })).status).toBe(401);
  });
});

describe('fake Slack with a real Bolt app in Socket Mode', () => {
  let fake: FakeSlack;
  let app: App;

  beforeEach(async () => {
    fake = await startFakeSlack();
    app = new App({
      token: fake.botToken,
      appToken: fake.appToken,
      socketMode: true,
      clientOptions: { slackApiUrl: fake.url },
      ...quiet,
    });
  });
  afterEach(async () => {
    await app.stop();
    await fake.close();
  });

  it('runs a command, a modal, a message, a click and a response_url round trip', async () => {
    const seen: string[] = [];
    app.command('/incident', async ({ ack, body, client }) => {
      await ack();
      await client.views.open({
        trigger_id: body.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'declare',
          private_metadata: body.channel_id,
          title: { type: 'plain_text', text: 'Declare' },
          submit: { type: 'plain_text', text: 'Declare' },
          blocks: [
            {
              type: 'input',
              block_id: 'sev',
              label: { type: 'plain_text', text: 'Severity' },
              element: {
                type: 'static_select',
                action_id: 'sev',
                options: [{ text: { type: 'plain_text', text: 'SEV2' }, value: 'sev2' }],
              },
            },
          ],
        },
      });
    });
    app.view('declare', async ({ ack, view, client }) => {
      await ack();
      const sev = view.state.values.sev?.sev?.selected_option?.value;
      seen.push(`view:${sev}`);
      await client.chat.postMessage({
        channel: 'C0INCIDENTS',
        text: `declared ${sev}`,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `declared ${sev}` } },
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                action_id: 'approve',
                value: 'act-1',
                text: { type: 'plain_text', text: 'Approve' },
              },
            ],
          },
        ],
      });
    });
    app.message(async ({ message }) => {
      if (!('user' in message)) return;
      seen.push(`message:${message.user}:${'text' in message ? message.text : ''}`);
    });
    app.action('approve', async ({ ack, body, respond }) => {
      await ack();
      seen.push(
        `click:${body.user.id}:${'actions' in body ? (body.actions[0] as { value?: string }).value : ''}`,
      );
      await respond({ replace_original: true, text: 'approved by bob' });
    });
    await app.start();

    const alice = fake.as('U0ALICE');
    const cmd = await alice.command('C0GENERAL', '');
    expect(cmd.delivery).toMatchObject({ transport: 'socket', status: 200 });
    await expect.poll(() => fake.views().length).toBe(1);
    const view = fake.views()[0]!;
    expect(view).toMatchObject({ userId: 'U0ALICE', callbackId: 'declare', privateMetadata: 'C0GENERAL' });

    await alice.submit(view.id, { sev: { sev: 'sev2' } });
    await expect.poll(() => fake.messages('C0INCIDENTS').length).toBe(1);
    const card = fake.messages('C0INCIDENTS')[0]!;
    expect(fake.buttons('C0INCIDENTS', card.ts).map((b) => b.label)).toEqual(['Approve']);

    const said = await alice.post('C0INCIDENTS', 'node 5 is back');
    expect(said.delivery?.transport).toBe('socket');
    const outside = await alice.post(fake.addChannel({ name: 'random', members: ['U0ALICE'] }).id, 'lunch?');
    expect(outside.skipped).toBe('bot_not_in_channel');

    await fake.as('U0BOB').click('C0INCIDENTS', card.ts, 'Approve');
    await expect.poll(() => fake.message('C0INCIDENTS', card.ts)?.text).toBe('approved by bob');
    expect(seen).toEqual(['view:sev2', 'message:U0ALICE:node 5 is back', 'click:U0BOB:act-1']);
    expect(fake.responseUrlPosts()).toEqual([
      expect.objectContaining({
        kind: 'block_actions',
        user: 'U0BOB',
        status: 200,
        body: { replace_original: true, text: 'approved by bob' },
      }),
    ]);
  });
});
