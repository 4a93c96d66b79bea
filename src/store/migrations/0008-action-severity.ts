import type { MigrationFactory } from './types.ts';

/**
 * The incident's severity when each action was requested. The two-person rule applies for the more
 * severe of that and the severity at approval, so lowering the incident to approve one's own
 * request, then raising it back, does not get round it. Null for actions requested before this
 * column existed: they are judged by the severity at approval, as before.
 */
export const actionSeverity: MigrationFactory = () => ({
  async up(db) {
    await db.schema.alterTable('actions').addColumn('severity', 'text').execute();
  },
  async down(db) {
    await db.schema.alterTable('actions').dropColumn('severity').execute();
  },
});
