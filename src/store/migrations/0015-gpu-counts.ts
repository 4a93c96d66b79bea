import type { MigrationFactory } from './types.ts';

/**
 * How many GPUs triage saw on each node, the most of each day: a node that lists fewer than it
 * had in the last days lost one (`gpu_missing`), whether or not its inventory says how many.
 */
export const gpuCounts: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('gpu_counts')
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('gpus', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('gpu_counts_pk', ['node', 'day'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('gpu_counts').execute();
  },
});
