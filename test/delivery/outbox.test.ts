import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { discordError } from '../../src/chat/discord/errors.ts';
import { slackApiError, slackError } from '../../src/chat/slack/errors.ts';
import { BotError, ManualClock } from '../../src/core/index.ts';
import {
  isTransient,
  newOutboxId,
  notReady,
  type OpHandlers,
  type OutboxDraft,
} from '../../src/delivery/entry.ts';
import { Outbox, type OutboxOptions } from '../../src/delivery/outbox.ts';
import type { Store } from '../../src/store/port.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

const logger = pino({ level: 'silent' });

/** The test's own ops: the outbox is generic over its op table. */
const OPS = {
  say: z.object({ text: z.string() }),
  request: z.object({}),
  update: z.object({}),
  slow: z.object({}),
};
type Ops = typeof OPS;

const draft = (incidentId: string | null, text: string): OutboxDraft<Ops> => ({
  incidentId,
  op: 'say',
  payload: { text },
});

/** The outbox with a handler that records what it was asked to deliver and can be told to fail. */
describe('Outbox', () => {
  let store: Store;
  let close: () => Promise<void>;
  let clock: ManualClock;
  let said: { text: string; attempts: number }[];
  let failWith: Map<string, unknown>;
  let failed: { text: string; error: unknown }[];

  const unused = async () => {
    throw new Error('not used by this test');
  };
  /** An outbox of owner `owner` whose `say` records what it says or fails as told; `more` replaces handlers. */
  const outbox = (
    owner: string,
    options: Omit<OutboxOptions, 'owner'> = {},
    more: Partial<OpHandlers<Ops>> = {},
  ) => {
    const o = new Outbox(store, clock, logger, OPS, { owner, pollMs: 60_000, ...options });
    o.attach(
      {
        say: async (e) => {
          const { text } = e.payload;
          const err = failWith.get(text);
          if (err) throw err;
          said.push({ text, attempts: e.attempts });
          return undefined;
        },
        request: unused,
        update: unused,
        slow: unused,
        ...more,
      },
      async (e, error) => {
        failed.push({ text: String(e.payload.text), error });
      },
    );
    return o;
  };

  beforeEach(async () => {
    const opened = await openSqliteStore(':memory:');
    store = opened.store;
    close = () => opened.close();
    clock = new ManualClock('2026-11-22T03:00:00Z');
    said = [];
    failWith = new Map();
    failed = [];
  });
  afterEach(async () => close());

  it('delivers what a committed transaction wrote, and nothing of one that rolled back', async () => {
    const o = outbox('a');
    const kept = await store.transaction((tx) => o.write(tx, [draft('inc-1', 'one'), draft('inc-1', 'two')]));
    await expect(
      store.transaction(async (tx) => {
        await o.write(tx, [draft('inc-1', 'never')]);
        throw new Error('decided otherwise');
      }),
    ).rejects.toThrow('decided otherwise');
    const report = await o.deliver(kept);
    expect(report.delivered).toBe(2);
    expect(said.map((s) => s.text)).toEqual(['one', 'two']);
    expect((await store.getOutboxEntry(kept[0]!.id))!.status).toBe('done');
    expect(await store.countPendingOutbox()).toBe(0);
    // A sweep finds nothing left to do.
    expect(await o.sweep()).toBe(0);
  });

  it('retries a transient failure later, holding back the incident’s later entries until then', async () => {
    const o = outbox('a');
    failWith.set('card', slackApiError('chat.update', 'internal_error'));
    const entries = await store.transaction((tx) =>
      o.write(tx, [draft('inc-1', 'card'), draft('inc-1', 'after the card'), draft('inc-2', 'elsewhere')]),
    );
    const report = await o.deliver(entries);
    // The other incident is not held back; this one's later entry waits for the failed one.
    expect(said.map((s) => s.text)).toEqual(['elsewhere']);
    expect(report.retrying.map((r) => r.entry.payload.text)).toEqual(['card', 'after the card']);
    expect(await store.getOutboxEntry(entries[0]!.id)).toMatchObject({
      status: 'pending',
      error: 'Slack refused chat.update: internal_error.',
      notBefore: new Date(clock.now().getTime() + 5_000),
    });
    // Not due yet.
    expect(await o.sweep()).toBe(0);
    failWith.clear();
    clock.advance(5_000);
    expect(await o.sweep()).toBe(2);
    // In order, and told that an earlier attempt may have reached the platform.
    expect(said.slice(1)).toEqual([
      { text: 'card', attempts: 2 },
      { text: 'after the card', attempts: 2 },
    ]);
  });

  it('gives up at once on a refusal, and after the last transient attempt; both are reported', async () => {
    const o = outbox('a', { maxAttempts: 2 });
    failWith.set('refused', slackApiError('chat.postMessage', 'channel_not_found'));
    // What the adapter makes of a connection that dropped: unavailable, so tried again.
    failWith.set(
      'flaky',
      slackError('chat.postMessage', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
    );
    const entries = await store.transaction((tx) =>
      o.write(tx, [draft('a', 'refused'), draft('b', 'flaky')]),
    );
    await o.deliver(entries);
    expect(failed.map((f) => f.text)).toEqual(['refused']);
    expect((await store.getOutboxEntry(entries[0]!.id))!.status).toBe('failed');
    clock.advance(5_000);
    await o.sweep();
    expect(failed.map((f) => f.text)).toEqual(['refused', 'flaky']);
    expect(await store.getOutboxEntry(entries[1]!.id)).toMatchObject({ status: 'failed', attempts: 2 });
  });

  it('waits for what is not there yet without reporting it as a failure', async () => {
    const o = outbox('a');
    failWith.set('in the channel', notReady('the incident channel'));
    const entries = await store.transaction((tx) => o.write(tx, [draft('inc-1', 'in the channel')]));
    const report = await o.deliver(entries);
    expect(report.retrying).toHaveLength(1);
    expect(failed).toEqual([]);
    failWith.clear();
    clock.advance(5_000);
    await o.sweep();
    expect(said.map((s) => s.text)).toEqual(['in the channel']);
  });

  it('retries an entry that waited as soon as what it waited for is delivered, not after its back-off', async () => {
    // The request message is being posted (slowly) while a click's update of it arrives.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let posted = false;
    const o = outbox(
      'a',
      {},
      {
        request: async () => {
          await gate;
          posted = true;
          said.push({ text: 'request', attempts: 1 });
          return undefined;
        },
        update: async (e) => {
          if (!posted) throw notReady('the request message');
          said.push({ text: 'update', attempts: e.attempts });
          return undefined;
        },
      },
    );
    await o.start();
    const request = await store.transaction((tx) =>
      o.write(tx, [{ incidentId: 'inc-1', op: 'request', payload: {} }]),
    );
    const posting = o.deliver(request);
    const update = await store.transaction((tx) =>
      o.write(tx, [
        { incidentId: 'inc-1', op: 'update', payload: {} },
        { incidentId: 'inc-1', op: 'say', payload: { text: 'after the update' } },
      ]),
    );
    const report = await o.deliver(update);
    expect(report.retrying).toHaveLength(2);
    release();
    await posting;
    // The clock has not moved: no back-off ran out, yet both are delivered, in order.
    await vi.waitFor(() =>
      expect(said.map((s) => s.text)).toEqual(['request', 'update', 'after the update']),
    );
    expect(said[1]).toEqual({ text: 'update', attempts: 2 });
    expect(await store.countPendingOutbox()).toBe(0);
    expect(failed).toEqual([]);
    await o.stop();
  });

  it('delivers what a dead process left: at start with a stable owner, else once its lease ran out', async () => {
    // A process wrote entries and died before delivering them.
    const dead = outbox('local');
    await store.transaction((tx) => dead.write(tx, [draft('inc-1', 'stable')]));
    const gone = outbox('replica-x');
    await store.transaction((tx) => gone.write(tx, [draft('inc-2', 'leased')]));

    // The same stable owner starting again takes its own at once; another's lease still holds.
    const restarted = outbox('local', { ownerIsStable: true });
    await restarted.start();
    expect(said.map((s) => s.text)).toEqual(['stable']);

    clock.advance(120_000);
    await restarted.sweep();
    await restarted.stop();
    expect(said.map((s) => s.text)).toEqual(['stable', 'leased']);
  });

  it('never lets a sweep take an entry this process is still delivering', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const o = outbox(
      'a',
      {},
      {
        slow: async () => {
          await gate;
          said.push({ text: 'slow', attempts: 1 });
          return undefined;
        },
      },
    );
    const entries = await store.transaction((tx) =>
      o.write(tx, [{ incidentId: 'inc-1', op: 'slow', payload: {} }]),
    );
    const delivering = o.deliver(entries);
    expect(await o.sweep()).toBe(0);
    release();
    await delivering;
    expect(said).toEqual([{ text: 'slow', attempts: 1 }]);
  });

  it('makes ids short enough for a Discord nonce, and tells passing failures from refusals', () => {
    const ids = new Set(Array.from({ length: 1000 }, newOutboxId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^ob[A-Za-z0-9]{22}$/);
    expect(isTransient(slackApiError('chat.postMessage', 'ratelimited'))).toBe(true);
    expect(isTransient(slackApiError('chat.update', 'service_unavailable'))).toBe(true);
    expect(isTransient(discordError('post a message', { code: 0, status: 503, message: 'x' }))).toBe(true);
    expect(isTransient(discordError('post a message', { code: 0, status: 429, message: 'x' }))).toBe(true);
    expect(isTransient(notReady('the incident channel'))).toBe(true);
    expect(isTransient(new BotError('bot.chat.not_started', 'x'))).toBe(true);
    expect(isTransient(slackApiError('chat.postMessage', 'channel_not_found'))).toBe(false);
    expect(isTransient(discordError('post a message', { code: 50013, status: 403, message: 'x' }))).toBe(
      false,
    );
    // Not a BotError: a bug, however it is worded.
    expect(isTransient(new Error('ECONNRESET'))).toBe(false);
    expect(isTransient(new TypeError("Cannot read properties of undefined (reading 'ts')"))).toBe(false);
  });

  it('fails a handler’s bug (not a BotError) at once, after one attempt, and logs it as a bug', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    let calls = 0;
    const o = new Outbox(store, clock, log, OPS, { owner: 'a', pollMs: 60_000 });
    o.attach(
      {
        say: async () => {
          calls++;
          // What a slip in a handler throws: not the platform's doing, and no retry will mend it.
          throw new TypeError("Cannot read properties of undefined (reading 'ts')");
        },
        request: unused,
        update: unused,
        slow: unused,
      },
      async (e, error) => {
        failed.push({ text: String(e.payload.text), error });
      },
    );
    const entries = await store.transaction((tx) => o.write(tx, [draft('inc-1', 'buggy')]));
    const report = await o.deliver(entries);
    expect(report.retrying).toEqual([]);
    expect(report.failed.map((f) => f.error)).toEqual([expect.any(TypeError)]);
    expect(await store.getOutboxEntry(entries[0]!.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.map((f) => f.text)).toEqual(['buggy']);
    // Nothing is left to try again later.
    clock.advance(3_600_000);
    await o.sweep();
    expect(calls).toBe(1);
    const logged = lines.filter((l) => l.level === 50);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      msg: 'a chat call hit a bug in the bot; not retried',
      kind: 'internal',
    });
    expect((logged[0]!.err as { type: string }).type).toBe('TypeError');
  });

  it('checks each payload against its op: a draft that does not fit is refused in its transaction', async () => {
    const o = outbox('a');
    const bad = { incidentId: 'inc-1', op: 'say', payload: { text: 42 } } as unknown as OutboxDraft<Ops>;
    const err = await store.transaction((tx) => o.write(tx, [bad])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BotError);
    expect((err as BotError).code).toBe('bot.outbox.bad_payload');
    expect((err as BotError).message).toMatch(
      /^The stored say call is not one this version can read \(text: /,
    );
    expect(await store.countPendingOutbox()).toBe(0);
  });

  it('fails an entry read back in a shape it cannot read, saying why, without calling its handler', async () => {
    const o = outbox('a', { ownerIsStable: true });
    // As a crash, a bug or an older version could have left it on disk.
    await store.enqueueOutbox(
      [{ id: newOutboxId(), incidentId: 'inc-1', op: 'say', payload: { words: 'no text' } }],
      clock.now(),
      'a',
      new Date(clock.now().getTime() + 60_000),
    );
    await o.start();
    await o.stop();
    expect(said).toEqual([]);
    expect(failed).toHaveLength(1);
    expect((failed[0]!.error as BotError).code).toBe('bot.outbox.bad_payload');
    const [entry] = await store.claimOutbox(clock.now(), 'b', 1000);
    expect(entry).toBeUndefined();
  });
});

describe('isTransient', () => {
  it('retries what the database or the network did to a call, not a bug', () => {
    const pg = (code: string) => Object.assign(new Error('db'), { code });
    expect(isTransient(pg('08006'))).toBe(true); // connection failure
    expect(isTransient(pg('57P01'))).toBe(true); // admin shutdown
    expect(isTransient(pg('40001'))).toBe(true); // serialization failure
    expect(isTransient(pg('40P01'))).toBe(true); // deadlock
    expect(isTransient(pg('SQLITE_BUSY'))).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(pg('23505'))).toBe(false); // unique violation: a bug, not a passing failure
    expect(isTransient(pg('42P01'))).toBe(false); // undefined table
    expect(isTransient(new TypeError("Cannot read properties of undefined (reading 'ts')"))).toBe(false);
  });
});
