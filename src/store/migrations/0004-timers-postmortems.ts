import type { MigrationFactory } from './types.ts';

/**
 * Durable timers (reminders) with leases, so they survive restarts and, with several replicas,
 * fire once; and the post-mortem draft of each incident.
 */
export const timersAndPostmortems: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('timers')
      .addColumn('incident_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('timers_pk', ['incident_id', 'kind'])
      .execute();
    await db.schema.createIndex('timers_due_idx').on('timers').columns(['due_at']).execute();
    await db.schema
      .createTable('postmortems')
      .addColumn('incident_id', 'text', (c) => c.primaryKey())
      .addColumn('markdown', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('note', 'text')
      .addColumn('prompt_tokens', 'integer')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('postmortems').execute();
    await db.schema.dropTable('timers').execute();
  },
});
