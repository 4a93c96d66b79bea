import type { MigrationFactory } from './types.ts';

/**
 * The index on alerts.status is dropped: two values (firing, resolved) make it useless for finding
 * rows, and SQLite, without statistics, preferred it to the primary key when marking a group's
 * alerts as posted (`where group_key = ? and fingerprint in (…) and status = ?`): every one of
 * those updates then walked every firing alert, 3 s of a stalled event loop for a 60,000-alert
 * group. The only reader of status alone (`/node list`'s firing alerts) scans the table either way.
 */
export const dropAlertStatusIndex: MigrationFactory = () => ({
  async up(db) {
    await db.schema.dropIndex('alerts_status_idx').execute();
  },
  async down(db) {
    await db.schema.createIndex('alerts_status_idx').on('alerts').columns(['status']).execute();
  },
});
