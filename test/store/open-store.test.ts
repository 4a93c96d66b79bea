import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BotError } from '../../src/core/errors.ts';
import { openStore } from '../../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'incident-bot-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(url: string): Promise<BotError> {
  const err = await openStore(url).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BotError);
  return err as BotError;
}

describe('openStore', () => {
  it('opens sqlite:<path>, creating the file', async () => {
    const path = join(dir, 'data', 'incident-bot.db');
    const { store, close } = await openStore(`sqlite:${path}`);
    try {
      await store.ping();
      expect(existsSync(path)).toBe(true);
    } finally {
      await close();
    }
  });

  it('opens sqlite::memory:', async () => {
    const { store, close } = await openStore('sqlite::memory:');
    try {
      expect(await store.countIncidents()).toBe(0);
    } finally {
      await close();
    }
  });

  it('opens postgres:// and postgresql:// URLs, naming the server but never the password when it fails', async () => {
    // Port 1 on loopback: nothing listens, so the attempt fails fast without a server.
    for (const url of ['postgres://bot:s3cret@127.0.0.1:1/bot', 'postgresql://bot:s3cret@127.0.0.1:1/bot']) {
      const err = await refusal(url);
      expect(err.code).toBe('bot.store.open_failed');
      expect(err.message).toMatch(/^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/bot: /);
      expect(`${err.message} ${err.hint}`).not.toContain('s3cret');
    }
  });

  it('refuses a postgres URL it cannot parse, without repeating it', async () => {
    const err = await refusal('postgres://bot:s3cret@[bad');
    expect(err.code).toBe('bot.store.bad_url');
    expect(`${err.message} ${err.hint}`).not.toContain('s3cret');
  });

  it('refuses other URLs and an empty sqlite path', async () => {
    const mysql = await refusal('mysql://root:pw@db/bot');
    expect(mysql.code).toBe('bot.store.bad_url');
    expect(mysql.message).toContain('"mysql:"');
    expect(mysql.message).not.toContain('pw');
    expect((await refusal('./data/incident-bot.db')).code).toBe('bot.store.bad_url');
    expect((await refusal('')).code).toBe('bot.store.bad_url');
    expect((await refusal('sqlite:')).message).toMatch(/needs a file path/);
  });
});
