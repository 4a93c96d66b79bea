import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { KyselyStore } from '../../src/store/kysely-store.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { InCodeMigrationProvider } from '../../src/store/migrations/index.ts';
import type { Database } from '../../src/store/schema.ts';

/** An upgrade of a database a released version wrote: what it held survives the new migrations. */
describe('upgrading a SQLite database', () => {
  it('keeps the Xids remembered before GPU findings were (0014 rebuilds hardware_events)', async () => {
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
    });
    try {
      const migrator = new Migrator({ db, provider: new InCodeMigrationProvider('sqlite') });
      const to12 = await migrator.migrateTo('0012-hardware-events');
      expect(to12.error).toBeUndefined();
      await db
        .insertInto('hardware_events')
        .values({
          event_key: 'gpu-node-5 0000:9a:00 79 812.5',
          node: 'gpu-node-5',
          gpu: 'serial 1654923962909',
          xid: 79,
          incident_id: 'inc-1',
          seen_at: '2026-12-01T03:00:00.000Z',
        } as never)
        .execute();
      expect(await migrateToLatest(db, 'sqlite')).toEqual([
        '0013-node-bundles',
        '0014-hardware-findings',
        '0015-gpu-counts',
      ]);
      const store = new KyselyStore(db);
      expect(await store.listHardwareEvents('gpu-node-5', new Date(0))).toEqual([
        {
          key: 'gpu-node-5 0000:9a:00 79 812.5',
          node: 'gpu-node-5',
          gpu: 'serial 1654923962909',
          xid: 79,
          finding: null,
          incidentId: 'inc-1',
          seenAt: new Date('2026-12-01T03:00:00.000Z'),
        },
      ]);
      // The index the counts use came back with the table.
      const { rows } = await sql<{ name: string }>`
        SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hardware_events'`.execute(db);
      expect(rows.map((r) => r.name)).toContain('hardware_events_gpu');
    } finally {
      await db.destroy();
    }
  });
});
