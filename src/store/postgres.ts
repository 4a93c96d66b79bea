import { Kysely } from 'kysely';
import pg from 'pg';
import { BotError } from '../core/errors.ts';
import { KyselyStore } from './kysely-store.ts';
import { migrateToLatest } from './migrate.ts';
import { SchemaScopedPostgresDialect } from './pg-introspector.ts';
import type { Database } from './schema.ts';
import type { OpenedStore } from './sqlite.ts';

export interface PostgresStoreOptions {
  /**
   * Schema for the bot's tables (created when missing), set as the connections' search_path.
   * Without it the URL's own `?options=-c search_path%3D…` or the server default (`public`) applies.
   */
  readonly schema?: string;
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing (default 10 s). */
  readonly connectTimeoutMs?: number;
  /**
   * Errors of idle pooled connections (the server restarted, the network dropped). The pool drops
   * such a connection and opens a new one when needed; without a listener Node would exit.
   */
  readonly onBackgroundError?: (err: Error) => void;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Opens a pool on the PostgreSQL database at `url` (`postgres://` or `postgresql://`) and migrates
 * it to the latest schema. Error messages name the server as host:port/database, never the URL,
 * since it may carry a password.
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<OpenedStore> {
  const where = describePostgresUrl(url);
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    throw new BotError(
      'bot.store.bad_url',
      `PostgreSQL schema name "${opts.schema}" is not a plain identifier.`,
      { hint: 'Use letters, digits and underscores, starting with a letter or underscore.' },
    );
  }
  const pool = new pg.Pool({
    connectionString: withSearchPath(url, opts.schema),
    max: opts.maxConnections ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
  });
  pool.on('error', (err) => opts.onBackgroundError?.(err));

  let schema: string | null;
  try {
    const client = await pool.connect();
    try {
      if (opts.schema !== undefined) await client.query(`create schema if not exists "${opts.schema}"`);
      // The first existing schema of the search_path: where unqualified tables are created.
      schema = (await client.query<{ schema: string | null }>('select current_schema() as schema')).rows[0]!
        .schema;
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new BotError('bot.store.open_failed', `Cannot connect to PostgreSQL at ${where}: ${reason}`, {
      hint: 'Check that the server is running and that DATABASE_URL names the right host, database, user and password.',
      cause: err,
    });
  }

  if (schema === null) {
    await pool.end().catch(() => undefined);
    throw new BotError(
      'bot.store.open_failed',
      `PostgreSQL at ${where}: no schema of the search_path exists, so there is nowhere to create the tables.`,
      { hint: 'Create the schema named in the URL (create schema <name>) or drop the search_path option.' },
    );
  }

  const db = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }, schema) });
  try {
    await migrateToLatest(db, 'postgres', { schema });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const store = new KyselyStore(db, { dialect: 'postgres' });
  let closing: Promise<void> | undefined;
  return {
    store,
    db,
    close: () => {
      closing ??= store.close();
      return closing;
    },
  };
}

/** `host:port/database` of a PostgreSQL URL: safe to log (no user, no password). */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || 'localhost';
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    return `${host}:${u.port || '5432'}${database ? `/${database}` : ''}`;
  } catch {
    return 'the PostgreSQL server';
  }
}

/** Adds `-c search_path=<schema>` to the URL's `options` parameter (after any given there). */
function withSearchPath(url: string, schema: string | undefined): string {
  if (schema === undefined) return url;
  const u = new URL(url);
  const given = u.searchParams.get('options');
  u.searchParams.set('options', `${given ? `${given} ` : ''}-c search_path=${schema}`);
  return u.toString();
}
