import type { MigrationFactory } from './types.ts';

/**
 * The bot's memory of bad hardware: each Xid it saw on a GPU, by the GPU's board serial where it
 * knew it, once per event (`event_key`: node, bus, Xid and dmesg time), whatever the incident and
 * however often triage read the same dmesg line again.
 */
export const hardwareEvents: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('hardware_events')
      .addColumn('event_key', 'text', (c) => c.primaryKey())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('gpu', 'text', (c) => c.notNull())
      .addColumn('xid', 'integer', (c) => c.notNull())
      .addColumn('incident_id', 'text')
      .addColumn('seen_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('hardware_events_gpu')
      .on('hardware_events')
      .columns(['gpu', 'seen_at'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('hardware_events').execute();
  },
});
