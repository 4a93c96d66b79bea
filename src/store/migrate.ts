import { type Kysely, Migrator } from 'kysely';
import { BotError } from '../core/errors.ts';
import { InCodeMigrationProvider, type SqlDialect } from './migrations/index.ts';

/**
 * Brings the schema up to date. Kysely takes a lock table first, so replicas starting together
 * migrate once. On failure it throws a BotError naming the migration; the cause keeps the driver error.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  dialect: SqlDialect,
  opts: {
    /**
     * PostgreSQL: the schema the tables live in. Kysely otherwise looks for its migration tables
     * in every schema, and takes another schema's for this one's.
     */
    readonly schema?: string;
  } = {},
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new InCodeMigrationProvider(dialect),
    ...(opts.schema !== undefined ? { migrationTableSchema: opts.schema } : {}),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error === undefined) return results.map((r) => r.migrationName);

  const failed = results.find((r) => r.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  // Kysely refuses a database that ran migrations this build does not know.
  const newer = /missing/i.test(reason);
  throw new BotError(
    'bot.store.migration_failed',
    failed
      ? `Database migration ${failed} failed: ${reason}`
      : `Database migrations could not run: ${reason}`,
    {
      hint: newer
        ? 'The database was probably written by a newer incident-bot; run that version or restore a backup.'
        : 'The failed migrations were rolled back; fix the cause and restart.',
      cause: error,
    },
  );
}
