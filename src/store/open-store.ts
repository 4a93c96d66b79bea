import { BotError } from '../core/errors.ts';
import { type OpenedStore, openSqliteStore } from './sqlite.ts';

/**
 * Opens the store named by DATABASE_URL: `sqlite:<path>` (`sqlite:./data/incident-bot.db`,
 * `sqlite::memory:`). Error messages never repeat the URL, since a postgres URL carries a password.
 */
export async function openStore(databaseUrl: string): Promise<OpenedStore> {
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
  if (/^postgres(ql)?:/i.test(url)) {
    throw new BotError(
      'bot.store.unsupported',
      'PostgreSQL support is not in this version yet; use sqlite:<path>.',
      { hint: 'Set DATABASE_URL=sqlite:./data/incident-bot.db.' },
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new BotError(
    'bot.store.bad_url',
    scheme
      ? `DATABASE_URL scheme "${scheme}:" is not supported; use sqlite:<path>.`
      : 'DATABASE_URL must start with sqlite: followed by a file path.',
    { hint: 'For example DATABASE_URL=sqlite:./data/incident-bot.db.' },
  );
}
