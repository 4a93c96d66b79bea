import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { BotError } from '../../src/core/errors.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { storeContract } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'incident-bot-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const freshPath = () => join(dir, `${randomUUID()}.db`);

storeContract('sqlite file', async () => {
  const { store, close } = await openSqliteStore(freshPath());
  return { store, close };
});

const incident = (createdAt = new Date('2026-02-03T04:05:06.789Z')) => ({
  id: randomUUID(),
  title: 'Xid 79 on gpu-node-3',
  description: '',
  severity: 'SEV2' as const,
  private: false,
  platform: 'sandbox',
  createdBy: 'U1',
  createdAt,
});

describe('openSqliteStore', () => {
  it('keeps every acknowledged write across closing and reopening the file', async () => {
    const path = freshPath();
    const first = await openSqliteStore(path);
    const inc = await first.store.createIncident(incident());
    const entry = await first.store.appendTimeline({
      incidentId: inc.id,
      kind: 'declared',
      at: inc.createdAt,
      actorId: 'U1',
      actorName: 'alice',
      text: 'declared',
    });
    await first.store.markEventProcessed('slack', 'Ev1', inc.createdAt);
    await first.close();

    const second = await openSqliteStore(path);
    try {
      expect(await second.store.getIncident(inc.id)).toEqual(inc);
      expect(await second.store.listTimeline(inc.id)).toEqual([entry]);
      expect(await second.store.markEventProcessed('slack', 'Ev1', new Date())).toBe(false);
      expect((await second.store.createIncident(incident())).number).toBe(2);
      // Ids are never reused, even for the highest one deleted.
      await sql`delete from timeline_entries`.execute(second.db);
      const next = await second.store.appendTimeline({ ...entry, text: 'again' });
      expect(next.id).toBeGreaterThan(entry.id);
    } finally {
      await second.close();
    }
  });

  it('creates the parent directory and sets WAL, FULL sync and foreign keys', async () => {
    const path = join(dir, 'nested', randomUUID(), 'bot.db');
    const { db, store, close } = await openSqliteStore(path);
    try {
      expect(existsSync(path)).toBe(true);
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as object)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2); // FULL
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
      await expect(
        store.appendTimeline({
          incidentId: 'no-such-incident',
          kind: 'note',
          at: new Date(),
          actorId: null,
          actorName: null,
          text: 'orphan',
        }),
      ).rejects.toThrow(/FOREIGN KEY/);
    } finally {
      await close();
    }
  });

  it('works in memory, each open a separate database', async () => {
    const a = await openSqliteStore(':memory:');
    const b = await openSqliteStore(':memory:');
    try {
      await a.store.createIncident(incident());
      expect(await a.store.countIncidents()).toBe(1);
      expect(await b.store.countIncidents()).toBe(0);
      expect(existsSync(':memory:')).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('closing twice is harmless', async () => {
    const { store, close } = await openSqliteStore(':memory:');
    await store.close();
    await expect(close()).resolves.toBeUndefined();
  });

  it('holds the file for one process: a second opener is refused at once with what to do', async () => {
    const path = freshPath();
    const first = await openSqliteStore(path);
    try {
      const err = await openSqliteStore(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BotError);
      expect((err as BotError).code).toBe('bot.store.locked');
      expect((err as BotError).message).toBe(
        `Another process is using the SQLite database at ${path}: is another incident-bot running on it?`,
      );
      expect((err as BotError).hint).toMatch(/PostgreSQL/);
      // The holder is unaffected.
      expect((await first.store.createIncident(incident())).number).toBe(1);
    } finally {
      await first.close();
    }
    // Closed, the file is free again.
    const again = await openSqliteStore(path);
    expect(await again.store.countIncidents()).toBe(1);
    await again.close();
  });

  it('refuses a file that is not a database with a clear error', async () => {
    const path = freshPath();
    writeFileSync(path, 'this is not a database, just text that is long enough to have a header......');
    const err = await openSqliteStore(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BotError);
    expect((err as BotError).code).toBe('bot.store.open_failed');
    expect((err as BotError).message).toContain(path);
    expect((err as BotError).message).toMatch(/not a database/);
  });

  it('refuses a database migrated by a newer version with a clear error', async () => {
    const path = freshPath();
    const first = await openSqliteStore(path);
    await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01')`.execute(
      first.db,
    );
    await first.close();

    const err = await openSqliteStore(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BotError);
    expect((err as BotError).code).toBe('bot.store.migration_failed');
    expect((err as BotError).message).toContain('9999-from-the-future');
    expect((err as BotError).hint).toMatch(/newer incident-bot/);
  });
});
