import type { MigrationFactory } from './types.ts';

/**
 * Which replica is carrying an alert group right now: a lease, so two replicas never carry the
 * same pending alerts at once, and a replica that died mid-way is taken over when it runs out.
 */
export const alertClaims: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('alert_claims')
      .addColumn('group_key', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('lease_until', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('alert_claims').execute();
  },
});
