import { BotError } from '../core/errors.ts';
import { type OpenedStore, openSqliteStore } from './sqlite.ts';

export interface OpenStoreOptions {
  /** PostgreSQL only: errors of idle pooled connections (see PostgresStoreOptions). */
  readonly onBackgroundError?: (err: Error) => void;
}

/**
 * Opens the store named by DATABASE_URL: `sqlite:<path>` (`sqlite:./data/incident-bot.db`,
 * `sqlite::memory:`) or `postgres://user:password@host:5432/database` (also `postgresql://`; a
 * schema other than the default through `?options=-c%20search_path%3Dname`). Error messages never
 * repeat the URL, since a postgres URL carries a password.
 */
export async function openStore(databaseUrl: string, opts: OpenStoreOptions = {}): Promise<OpenedStore> {
  const url = databaseUrl.trim();
  if (/^sqlite:/i.test(url)) {
    const path = url.slice('sqlite:'.length);
    if (path === '') {
      throw new BotError('bot.store.bad_url', 'DATABASE_URL sqlite: needs a file path.', {
        hint: 'For example sqlite:./data/incident-bot.db, or sqlite::memory: for a throwaway database.',
      });
    }
    return openSqliteStore(path);
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    if (!URL.canParse(url)) {
      throw new BotError('bot.store.bad_url', 'DATABASE_URL is not a valid postgres:// URL.', {
        hint: 'For example postgres://bot:password@db.internal:5432/incidents; percent-encode special characters in the password.',
      });
    }
    // Loaded only for PostgreSQL: most installs run on SQLite and need not pay for pg.
    const { openPostgresStore } = await import('./postgres.ts');
    return openPostgresStore(url, {
      ...(opts.onBackgroundError ? { onBackgroundError: opts.onBackgroundError } : {}),
    });
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new BotError(
    'bot.store.bad_url',
    scheme
      ? `DATABASE_URL scheme "${scheme}:" is not supported; use sqlite:<path> or postgres://….`
      : 'DATABASE_URL must be sqlite:<path> or a postgres:// URL.',
    {
      hint: 'For example DATABASE_URL=sqlite:./data/incident-bot.db or postgres://bot:password@db:5432/incidents.',
    },
  );
}
