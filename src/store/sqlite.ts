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
    // No waiting while the lock is taken: a second process is told at once, not after a timeout.
    sqlite = new SqliteDatabase(path, { timeout: 0 });
    if (path !== MEMORY) lockExclusively(sqlite, path);
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
    if (err instanceof BotError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new BotError('bot.store.open_failed', `Cannot open the SQLite database at ${path}: ${reason}`, {
      hint: 'Check that DATABASE_URL points at a writable directory and at an incident-bot database file.',
      cause: err,
    });
  }
}

/**
 * One process per SQLite file. Two bots on one file each think they are the only one: the second
 * one's recovery marked the first's running drain "outcome unknown" while the first finished it.
 * In EXCLUSIVE locking mode the connection keeps the lock it takes until it closes (and the OS drops
 * it when the process dies, so a `kill -9` leaves nothing to clean up); set before the first WAL
 * access, SQLite keeps the WAL index in the process instead of a shared-memory file. The lock is
 * taken here, with a write, so a second process is refused at start-up rather than at its first write.
 */
function lockExclusively(sqlite: SqliteDatabase.Database, path: string): void {
  sqlite.pragma('locking_mode = EXCLUSIVE');
  try {
    sqlite.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') throw err;
    throw new BotError(
      'bot.store.locked',
      `Another process is using the SQLite database at ${path}: is another incident-bot running on it?`,
      {
        hint: 'Stop the other process first, or give this one its own DATABASE_URL. Several bots on one database need PostgreSQL (see "Several replicas on PostgreSQL" in the README).',
        cause: err,
      },
    );
  }
}
