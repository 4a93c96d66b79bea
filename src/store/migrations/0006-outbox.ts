import type { MigrationFactory } from './types.ts';

/**
 * The outbox: every chat call the bot decides on is written here in the transaction that decided
 * it, then delivered. A crash between deciding and posting leaves the entry pending, and the next
 * process (or another replica, once the lease runs out) delivers it; the entry's id goes to the
 * platform as an idempotency key, so an entry whose post did land is not posted twice.
 */
export const outbox: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text')
      .addColumn('op', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      // Delivery order: creation time, then position within the transaction that wrote it.
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('ord', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('not_before', 'text', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('error', 'text')
      .addColumn('done_at', 'text')
      .execute();
    await db.schema
      .createIndex('outbox_pending_idx')
      .on('outbox')
      .columns(['status', 'not_before'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('outbox').execute();
  },
});
