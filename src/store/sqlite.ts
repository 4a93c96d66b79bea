import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { BotError } from '../core/errors.ts';
import { KyselyStore } from './kysely-store.ts';
import { migrateToLatest } from './migrate.ts';
import type { Database } from './schema.ts';

export interface SqliteStoreOptions {
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

export interface OpenedStore {
  readonly store: KyselyStore;
  /** The same connection, for parts that keep their own tables (added by their own migrations). */
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

const MEMORY = ':memory:';

/** Opens (creating if needed) the SQLite file at `path`, or `:memory:`, and migrates it to the latest schema. */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<OpenedStore> {
  const sqlite = openFile(path, opts.busyTimeoutMs ?? 5000);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrateToLatest(db, 'sqlite');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const store = new KyselyStore(db);
  return { store, db, close: () => store.close() };
}

function openFile(path: string, busyTimeoutMs: number): SqliteDatabase.Database {
  let sqlite: SqliteDatabase.Database | undefined;
  try {
    if (path !== MEMORY) mkdirSync(dirname(path), { recursive: true });
    sqlite = new SqliteDatabase(path, { timeout: busyTimeoutMs });
    // WAL lets readers (the HTTP API, /healthz) run while a write is in progress.
    sqlite.pragma('journal_mode = WAL');
    // In WAL mode NORMAL already survives a killed process (committed pages sit in the OS cache)
    // but may lose the last commits on power loss or an OS crash, because the WAL is fsynced only
    // at checkpoints. FULL fsyncs the WAL at every commit, so once a write is acknowledged (an
    // approval recorded, an event marked processed) it stays written. Incident traffic is a few
    // writes a second at most, so the fsync costs nothing that matters.
    sqlite.pragma('synchronous = FULL');
    // SQLite leaves foreign keys off per connection unless asked.
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    return sqlite;
  } catch (err) {
    sqlite?.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new BotError('bot.store.open_failed', `Cannot open the SQLite database at ${path}: ${reason}`, {
      hint: 'Check that DATABASE_URL points at a writable directory and at an incident-bot database file.',
      cause: err,
    });
  }
}
