import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatPlatform } from '../../src/chat/port.ts';
import { SlackChat } from '../../src/chat/slack/adapter.ts';
import { ManualClock } from '../../src/core/index.ts';
import { Outbox } from '../../src/delivery/outbox.ts';
import type { Store } from '../../src/store/port.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';

const logger = pino({ level: 'silent' });

/** What a call failed with, as the outbox and the tests see it. */
async function failure(call: Promise<unknown>): Promise<Record<string, unknown>> {
  const err = (await call.then(
    () => {
      throw new Error('the call succeeded');
    },
    (e: unknown) => e,
  )) as Record<string, unknown>;
  return { code: err.code, kind: err.kind, platformCode: err.platformCode };
}

describe('Slack errors, through the real adapter and WebClient against the fake Slack', () => {
  let fake: FakeSlack;
  let chat: SlackChat;
  beforeEach(async () => {
    fake = await startFakeSlack();
    chat = new SlackChat({
      botToken: fake.botToken,
      appToken: fake.appToken,
      apiUrl: fake.url,
      logger,
      // WebClient gives up at once, so what reaches the outbox is what Slack answered.
      retryConfig: { retries: 0 },
    });
    await chat.start(async () => undefined);
  });
  afterEach(async () => {
    await chat.stop();
    await fake.close();
  });

  it('gives each answer its kind, keeping Slack’s own code', async () => {
    fake.failNext('chat.postMessage', { status: 503 });
    expect(await failure(chat.postMessage('C0INCIDENTS', { text: 'x' }))).toEqual({
      code: 'bot.slack.api_error',
      kind: 'unavailable',
      platformCode: 503,
    });
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 0 });
    expect(await failure(chat.postMessage('C0INCIDENTS', { text: 'x' }))).toMatchObject({
      code: 'bot.slack.api_error',
      kind: 'rate_limited',
    });
    fake.failNext('chat.postMessage', { error: 'ratelimited' });
    expect(await failure(chat.postMessage('C0INCIDENTS', { text: 'x' }))).toEqual({
      code: 'bot.slack.api_error',
      kind: 'rate_limited',
      platformCode: 'ratelimited',
    });
    fake.failNext('chat.postMessage', { error: 'internal_error' });
    expect(await failure(chat.postMessage('C0INCIDENTS', { text: 'x' }))).toMatchObject({
      kind: 'unavailable',
      platformCode: 'internal_error',
    });
    fake.failNext('chat.postMessage', { reset: true });
    expect(await failure(chat.postMessage('C0INCIDENTS', { text: 'x' }))).toMatchObject({
      code: 'bot.slack.request_failed',
      kind: 'unavailable',
    });
    expect(await failure(chat.postMessage('C0NOCHANNEL', { text: 'x' }))).toEqual({
      code: 'bot.slack.api_error',
      kind: 'not_found',
      platformCode: 'channel_not_found',
    });
    fake.failNext('chat.postMessage', { error: 'missing_scope' });
    expect(await failure(chat.postMessage('C0INCIDENTS', { text: 'x' }))).toMatchObject({
      kind: 'forbidden',
    });
  });

  it('keeps the words people read', async () => {
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    const err = await chat.postMessage('C0INCIDENTS', { text: 'x' }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'Slack refused chat.postMessage: the bot is not in that channel; invite it with /invite @incident-bot.',
    );
  });

  it('raises the same code and kind as the fake Slack’s ChatPlatform for the same refusal', async () => {
    const theFake: ChatPlatform = fake.asChatPlatform();
    const both = async (call: (c: ChatPlatform) => Promise<unknown>) => [
      await failure(call(chat)),
      await failure(call(theFake)),
    ];
    const [a, b] = await both((c) => c.postMessage('C0NOCHANNEL', { text: 'x' }));
    expect(a).toEqual(b);
    expect(a).toMatchObject({ kind: 'not_found', platformCode: 'channel_not_found' });

    const archived = await chat.createChannel({ name: 'inc-9-archived', topic: '', private: false });
    await chat.archiveChannel(archived.id);
    const [c, d] = await both((p) => p.postMessage(archived.id, { text: 'late' }));
    expect(c).toEqual(d);
    expect(c).toMatchObject({ kind: 'conflict', platformCode: 'is_archived' });

    const [e, f] = await both((p) => p.createChannel({ name: 'inc-9-archived', topic: '', private: false }));
    expect(e).toEqual(f);
    expect(e).toMatchObject({ code: 'bot.chat.name_taken', kind: 'conflict' });
  });
});

describe('the outbox over the real Slack adapter', () => {
  let fake: FakeSlack;
  let chat: SlackChat;
  let store: Store;
  let close: () => Promise<void>;
  const clock = new ManualClock('2026-11-22T03:00:00Z');

  beforeEach(async () => {
    fake = await startFakeSlack();
    chat = new SlackChat({
      botToken: fake.botToken,
      appToken: fake.appToken,
      apiUrl: fake.url,
      logger,
      retryConfig: { retries: 0 },
    });
    await chat.start(async () => undefined);
    const opened = await openSqliteStore(':memory:');
    store = opened.store;
    close = () => opened.close();
  });
  afterEach(async () => {
    await chat.stop();
    await fake.close();
    await close();
  });

  const outbox = () => {
    const o = new Outbox(
      store,
      clock,
      logger,
      { say: z.object({ text: z.string() }) },
      { owner: 'a', pollMs: 60_000 },
    );
    o.attach({
      say: async (e) => {
        await chat.postMessage('C0INCIDENTS', { text: e.payload.text }, { key: e.id });
        return undefined;
      },
    });
    return o;
  };

  it.each([
    ['a 503', { status: 503 } as const],
    ['a 429', { status: 429, retryAfter: 0 } as const],
    ['ratelimited', { error: 'ratelimited' } as const],
    ['a reset connection', { reset: true } as const],
  ])('tries again after %s from Slack, and posts once', async (_what, fault) => {
    const o = outbox();
    fake.failNext('chat.postMessage', fault);
    const entries = await store.transaction((tx) =>
      o.write(tx, [{ incidentId: 'inc-1', op: 'say', payload: { text: 'status update' } }]),
    );
    const first = await o.deliver(entries);
    expect(first.failed).toEqual([]);
    expect(first.retrying).toHaveLength(1);
    expect(await store.getOutboxEntry(entries[0]!.id)).toMatchObject({ status: 'pending' });
    clock.advance(5_000);
    expect(await o.sweep()).toBe(1);
    expect(fake.messages('C0INCIDENTS').map((m) => m.text)).toEqual(['status update']);
  });

  it('gives up at once on a refusal', async () => {
    const o = outbox();
    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const entries = await store.transaction((tx) =>
      o.write(tx, [{ incidentId: 'inc-1', op: 'say', payload: { text: 'x' } }]),
    );
    const report = await o.deliver(entries);
    expect(report.failed).toHaveLength(1);
    expect(await store.getOutboxEntry(entries[0]!.id)).toMatchObject({ status: 'failed', attempts: 1 });
  });
});
