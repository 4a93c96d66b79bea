import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiscordChat } from '../../src/chat/discord/adapter.ts';
import type { FileUpload } from '../../src/chat/port.ts';
import { SandboxChat } from '../../src/chat/sandbox/adapter.ts';
import { type SandboxTables, SandboxWorkspace } from '../../src/chat/sandbox/workspace.ts';
import { SlackChat } from '../../src/chat/slack/adapter.ts';
import {
  DISCORD_DEFAULT_UPLOAD_BYTES,
  discordUploadLimit,
  SANDBOX_MAX_UPLOAD_BYTES,
} from '../../src/chat/upload-limits.ts';
import { isBotError, ManualClock } from '../../src/core/index.ts';
import { isTransient } from '../../src/delivery/entry.ts';
import { CHAT_OPS } from '../../src/delivery/ops.ts';
import { Outbox } from '../../src/delivery/outbox.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord/index.ts';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { discordChatOn } from './discord-chat.ts';

/*
 * How big a file each platform takes (ChatPlatform.maxUploadBytes): a larger one is refused by the
 * adapter before anything is sent, as a refusal the outbox does not retry; the fakes refuse it on
 * the wire the way the platform does, for an adapter that would send it anyway.
 */

const logger = pino({ level: 'silent' });
const MESSAGES = /^\/channels\/\d+\/messages$/;

/** A text file of exactly `bytes` bytes (text is the cheap way to reach tens of MiB). */
const textOf = (bytes: number): FileUpload => ({
  filename: 'big.log',
  title: 'A big log',
  content: 'x'.repeat(bytes),
});

/** A binary file of exactly `bytes` random bytes, base64 in `content`. */
const bytesOf = (bytes: number): FileUpload => ({
  filename: 'nvidia-bug-report-gpu-node-5.tar.gz',
  title: 'Diagnostic bundle of gpu-node-5',
  content: randomBytes(bytes).toString('base64'),
  encoding: 'base64',
  contentType: 'application/gzip',
});

/** What the call failed with: the error, which must be a BotError. */
async function refusal(call: Promise<unknown>) {
  const err = await call.then(
    () => {
      throw new Error('the upload went through');
    },
    (e: unknown) => e,
  );
  if (!isBotError(err)) throw err;
  return err;
}

/** The local refusal, the same on every platform: coded, a refusal (not retried), saying sizes. */
function expectTooLarge(err: Awaited<ReturnType<typeof refusal>>, filename: string, limit: string): void {
  expect(err.code).toBe('bot.chat.file_too_large');
  expect(err.kind).toBe('invalid');
  expect(isTransient(err)).toBe(false);
  expect(err.message).toContain(filename);
  expect(err.message).toContain(limit);
}

describe('the sandbox', () => {
  let chat: SandboxChat;
  let workspace: SandboxWorkspace;
  let close: () => Promise<void>;
  let channelId: string;

  beforeEach(async () => {
    const opened = await openSqliteStore(':memory:');
    workspace = new SandboxWorkspace(opened.db as unknown as Kysely<SandboxTables>, () => new Date());
    chat = new SandboxChat(workspace, [{ id: 'alice', name: 'Alice', groups: [] }], () => new Date());
    await chat.start(async () => undefined);
    channelId = (await chat.createChannel({ name: 'inc-20-sandbox', topic: '', private: false })).id;
    close = () => opened.close();
  });
  afterEach(() => close());

  it('takes a file of exactly its cap and refuses one byte more before storing anything', async () => {
    expect(chat.maxUploadBytes).toBe(SANDBOX_MAX_UPLOAD_BYTES);
    await chat.uploadFile(channelId, textOf(SANDBOX_MAX_UPLOAD_BYTES));
    const err = await refusal(chat.uploadFile(channelId, textOf(SANDBOX_MAX_UPLOAD_BYTES + 1)));
    expectTooLarge(err, 'big.log', '25.0 MiB');
    expect(err.message).toBe(
      'big.log is 25.0 MiB (26,214,401 bytes); the sandbox takes files of up to 25.0 MiB (26,214,400 bytes).',
    );
    expect(await workspace.listMessages(channelId, 'alice')).toHaveLength(1);
  });

  it('counts the bytes of a base64 file, not the length of its base64', async () => {
    // 4/3 of the cap in base64 characters, one byte over the cap in bytes: refused by its bytes.
    const err = await refusal(chat.uploadFile(channelId, bytesOf(SANDBOX_MAX_UPLOAD_BYTES + 1)));
    expect(err.message).toContain('(26,214,401 bytes)');
  });

  it('through the outbox: fails the upload at its first attempt, and says why', async () => {
    const opened = await openSqliteStore(':memory:');
    try {
      const clock = new ManualClock('2026-12-08T00:00:00Z');
      // The bot's own op and schema; the handler is the upload handler's core (src/incidents/channel.ts).
      const outbox = new Outbox(opened.store, clock, logger, { upload: CHAT_OPS.upload }, { owner: 'a' });
      outbox.attach({
        upload: async (e) => {
          await chat.uploadFile(channelId, e.payload.file, { key: e.id });
          return undefined;
        },
      });
      const file = bytesOf(SANDBOX_MAX_UPLOAD_BYTES + 1);
      const entries = await opened.store.transaction((tx) =>
        outbox.write(tx, [{ incidentId: 'inc-20', op: 'upload', payload: { file } }]),
      );
      const report = await outbox.deliver(entries);
      expect(report.retrying).toEqual([]);
      expect(report.failed).toHaveLength(1);
      expect(await opened.store.getOutboxEntry(entries[0]!.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
      });
    } finally {
      await opened.close();
    }
  });
});

describe('the upload op', () => {
  const parse = (file: Record<string, unknown>) => CHAT_OPS.upload.safeParse({ file });
  const base = { filename: 'a.tar.gz', title: 'A', contentType: 'application/gzip' };

  it('takes text as before, and bytes as padded base64 only', () => {
    expect(parse({ filename: 'INC-1-postmortem.md', title: 'Draft', content: '# INC-1\n' }).success).toBe(
      true,
    );
    expect(
      parse({ ...base, encoding: 'base64', content: Buffer.from([0xff, 0x00]).toString('base64') }).success,
    ).toBe(true);
    // What Node's decoder would quietly turn into other bytes.
    for (const content of ['not base64!', 'AAA', '////=A==', 'QUJD\n']) {
      const r = parse({ ...base, encoding: 'base64', content });
      expect(r.success, content).toBe(false);
      expect(r.error?.issues[0]).toMatchObject({ path: ['file', 'content'], message: 'is not valid base64' });
    }
    // The same text as utf8 is fine: it is text.
    expect(parse({ ...base, content: 'not base64!' }).success).toBe(true);
  });

  it('takes a MIME type and nothing that could break the header it ends up in', () => {
    const content = 'AAAA';
    expect(
      parse({ ...base, encoding: 'base64', content, contentType: 'text/plain; charset=utf-8' }).success,
    ).toBe(true);
    for (const contentType of ['gzip', 'text/plain\r\nx-evil: 1', '', 'a/b c']) {
      expect(parse({ ...base, encoding: 'base64', content, contentType }).success, contentType).toBe(false);
    }
    expect(parse({ ...base, encoding: 'latin1', content }).success).toBe(false);
  });
});

describe('Discord', () => {
  let fake: FakeDiscord | undefined;
  let chat: DiscordChat | undefined;

  async function connect(options: Parameters<typeof startFakeDiscord>[0] = {}) {
    fake = await startFakeDiscord(options);
    chat = discordChatOn(fake);
    await chat.start(async () => undefined);
    const channelId = (await chat.createChannel({ name: 'inc-21-discord', topic: '', private: false })).id;
    return { fake, chat, channelId };
  }
  afterEach(async () => {
    await chat?.stop();
    await fake?.close();
    chat = undefined;
    fake = undefined;
  });

  it("goes by the server's boost tier, and by the default before it is connected", async () => {
    const unconnected = new DiscordChat({
      token: 'x',
      guildId: '1',
      category: 'Incidents',
      archiveCategory: 'Incidents Archive',
      logger,
    });
    expect(unconnected.maxUploadBytes).toBe(DISCORD_DEFAULT_UPLOAD_BYTES);
    await unconnected.stop();
    for (const tier of [0, 2, 3] as const) {
      const c = await connect({ premiumTier: tier });
      expect(c.chat.maxUploadBytes, `tier ${tier}`).toBe(discordUploadLimit(tier));
      await c.chat.stop();
      await c.fake.close();
      chat = undefined;
      fake = undefined;
    }
    expect([
      discordUploadLimit(0),
      discordUploadLimit(1),
      discordUploadLimit(2),
      discordUploadLimit(3),
    ]).toEqual([10 * 1024 * 1024, 10 * 1024 * 1024, 50 * 1024 * 1024, 100 * 1024 * 1024]);
  });

  it('refuses a file over the server’s limit itself: nothing reaches Discord', async () => {
    const c = await connect();
    const before = c.fake.callsTo('POST', MESSAGES).length;
    const err = await refusal(c.chat.uploadFile(c.channelId, textOf(DISCORD_DEFAULT_UPLOAD_BYTES + 1)));
    expectTooLarge(err, 'big.log', '10.0 MiB');
    expect(c.fake.callsTo('POST', MESSAGES)).toHaveLength(before);
    // Exactly the limit goes through: the fake, like Discord, takes it.
    await c.chat.uploadFile(c.channelId, bytesOf(DISCORD_DEFAULT_UPLOAD_BYTES));
    expect(c.fake.messages(c.channelId).at(-1)?.attachments[0]?.bytes.length).toBe(
      DISCORD_DEFAULT_UPLOAD_BYTES,
    );
  });

  it('the fake refuses, as Discord does (413, code 40005), what an adapter with a higher limit sends', async () => {
    // A tier-3 server as far as the adapter knows; a fake that takes only 64 KiB.
    const c = await connect({ premiumTier: 3, maxUploadBytes: 64 * 1024 });
    expect(c.chat.maxUploadBytes).toBe(100 * 1024 * 1024);
    const err = await refusal(c.chat.uploadFile(c.channelId, bytesOf(64 * 1024 + 1)));
    expect(err).toMatchObject({ code: 'bot.discord.api_error', kind: 'invalid', platformCode: 40005 });
    expect(isTransient(err)).toBe(false);
    expect(err.message).toContain('larger than this server takes');
    const calls = c.fake.callsTo('POST', MESSAGES);
    expect(calls.at(-1)?.status).toBe(413);
    expect(c.fake.messages(c.channelId)).toEqual([]);

    // The answer itself, on the wire.
    const form = new FormData();
    form.set('payload_json', JSON.stringify({ content: 'x' }));
    form.set('files[0]', new Blob([randomBytes(64 * 1024 + 1)], { type: 'application/gzip' }), 'a.tar.gz');
    const res = await fetch(`${c.fake.apiUrl}/v10/channels/${c.channelId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${c.fake.token}` },
      body: form,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request entity too large', code: 40005 });
  });
});

describe('Slack', () => {
  let fake: FakeSlack;
  let chat: SlackChat | undefined;

  const start = async (options: { fake?: number; adapter?: number }) => {
    fake = await startFakeSlack(options.fake === undefined ? {} : { maxUploadBytes: options.fake });
    chat = new SlackChat({
      botToken: fake.botToken,
      appToken: fake.appToken,
      apiUrl: fake.url,
      logger,
      retryConfig: { retries: 0 },
      ...(options.adapter === undefined ? {} : { maxUploadBytes: options.adapter }),
    });
    await chat.start(async () => undefined);
    return chat;
  };
  afterEach(async () => {
    await chat?.stop();
    await fake?.close();
    chat = undefined;
  });

  it('takes 1 GB by default, and refuses a larger file itself: no upload is even asked for', async () => {
    expect((await start({})).maxUploadBytes).toBe(1_000_000_000);
    await chat!.stop();
    await fake.close();
    const small = await start({ adapter: 4096 });
    const err = await refusal(small.uploadFile('C0INCIDENTS', bytesOf(4097)));
    expectTooLarge(err, 'nvidia-bug-report-gpu-node-5.tar.gz', '4.0 KiB');
    expect(fake.calls().filter((c) => c.method.startsWith('files.'))).toEqual([]);
    // The fake's ChatPlatform keeps the same limit the same way.
    const theFake = fake.asChatPlatform();
    expect(theFake.maxUploadBytes).toBe(1_000_000_000);
  });

  it('the fake refuses a `length` over its limit as Slack does (file_upload_size_restricted)', async () => {
    const c = await start({ fake: 4096 });
    const err = await refusal(c.uploadFile('C0INCIDENTS', bytesOf(4097)));
    expect(err).toMatchObject({
      code: 'bot.slack.api_error',
      kind: 'invalid',
      platformCode: 'file_upload_size_restricted',
    });
    expect(isTransient(err)).toBe(false);
    expect(fake.calls('files.getUploadURLExternal').map((x) => x.error)).toEqual([
      'file_upload_size_restricted',
    ]);
    expect(fake.files()).toEqual([]);
    // The fake's own ChatPlatform refuses it before its Web API would.
    const local = await refusal(fake.asChatPlatform().uploadFile('C0INCIDENTS', bytesOf(4097)));
    expect(local.code).toBe('bot.chat.file_too_large');
  });
});
