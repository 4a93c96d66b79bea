import type { MigrationFactory } from './types.ts';

/**
 * Diagnostic bundles (`/node collect`): one row per node, the last collection asked of it. The
 * row is the per-node rate limit that every replica sees (a claim is one conditional upsert), and
 * what a restart left half done (`collecting` long past its time limit) is found by the sweeper.
 */
export const nodeBundles: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('node_bundles')
      .addColumn('node', 'text', (c) => c.primaryKey())
      .addColumn('claim_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('incident_id', 'text')
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema
      .createIndex('node_bundles_collecting')
      .on('node_bundles')
      .columns(['status', 'started_at'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('node_bundles').execute();
  },
});
