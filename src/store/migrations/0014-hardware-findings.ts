import { sql } from 'kysely';
import type { MigrationFactory } from './types.ts';

/**
 * The memory of bad hardware keeps GPU findings besides Xids (a row remap pending, a remapping
 * failure, a GPU held down for heat, NVLink links down): `finding` names one, and such an event has
 * no Xid. SQLite cannot drop a NOT NULL, so there the table is copied into its new shape.
 */
export const hardwareFindings: MigrationFactory = (dialect) => ({
  async up(db) {
    if (dialect === 'postgres') {
      await sql`ALTER TABLE hardware_events ALTER COLUMN xid DROP NOT NULL`.execute(db);
      await db.schema.alterTable('hardware_events').addColumn('finding', 'text').execute();
      return;
    }
    await db.schema
      .createTable('hardware_events_new')
      .addColumn('event_key', 'text', (c) => c.primaryKey())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('gpu', 'text', (c) => c.notNull())
      .addColumn('xid', 'integer')
      .addColumn('finding', 'text')
      .addColumn('incident_id', 'text')
      .addColumn('seen_at', 'text', (c) => c.notNull())
      .execute();
    await sql`INSERT INTO hardware_events_new (event_key, node, gpu, xid, finding, incident_id, seen_at)
      SELECT event_key, node, gpu, xid, NULL, incident_id, seen_at FROM hardware_events`.execute(db);
    await db.schema.dropTable('hardware_events').execute();
    await db.schema.alterTable('hardware_events_new').renameTo('hardware_events').execute();
    await db.schema
      .createIndex('hardware_events_gpu')
      .on('hardware_events')
      .columns(['gpu', 'seen_at'])
      .execute();
  },
  async down(db) {
    await db.deleteFrom('hardware_events').where('xid', 'is', null).execute();
    await db.schema.alterTable('hardware_events').dropColumn('finding').execute();
  },
});
