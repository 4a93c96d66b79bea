import type { MigrationFactory } from './types.ts';

/**
 * The simulated fleet's state (cordons, workloads after drains and restarts), one row per
 * simulated adapter, so the demo fleet survives a restart like the incidents do. Real fleets keep
 * their own state.
 */
export const simulatedFleet: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('simulated_fleet')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('simulated_fleet').execute();
  },
});
