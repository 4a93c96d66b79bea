import type { MigrationFactory } from './types.ts';

/**
 * Which process approved and runs each action (its lease owner: `local`, REPLICA_ID or a name per
 * start). A replica restarting under a stable REPLICA_ID reports the actions it was running at
 * once, instead of waiting until they are old enough to be sure no other replica runs them.
 */
export const actionRunner: MigrationFactory = () => ({
  async up(db) {
    await db.schema.alterTable('actions').addColumn('runner', 'text').execute();
  },
  async down(db) {
    await db.schema.alterTable('actions').dropColumn('runner').execute();
  },
});
