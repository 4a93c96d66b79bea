import type { Migration } from 'kysely';

/** The engines the migrations are written for; SQL differs between them only where it must. */
export type SqlDialect = 'sqlite' | 'postgres';

/** A migration is built for one dialect, so it can pick e.g. the auto-increment syntax. */
export type MigrationFactory = (dialect: SqlDialect) => Migration;
