// Persistence: the Store port, its Kysely implementation, the schema and its migrations.
export { KyselyStore } from './kysely-store.ts';
export { migrateToLatest } from './migrate.ts';
export {
  InCodeMigrationProvider,
  type MigrationFactory,
  migrations,
  type SqlDialect,
} from './migrations/index.ts';
export { type OpenStoreOptions, openStore } from './open-store.ts';
export type {
  ActionTransition,
  IncidentFilter,
  IncidentPatch,
  NewAction,
  NewIncident,
  Store,
} from './port.ts';
export type { Database } from './schema.ts';
export { type OpenedStore, openSqliteStore, type SqliteStoreOptions } from './sqlite.ts';
