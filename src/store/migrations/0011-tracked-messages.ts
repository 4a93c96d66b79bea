import type { MigrationFactory } from './types.ts';

/**
 * Messages the bot posted with buttons that stop meaning anything once the incident is resolved
 * (the alerts' "Resolve INC-n" offer, reminders with snooze buttons): where each is, and what it
 * said, so resolving can redraw them without their buttons.
 */
export const trackedMessages: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('tracked_messages')
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('incident_id', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('tracked_messages_pk', ['channel_id', 'message_id'])
      .execute();
    await db.schema
      .createIndex('tracked_messages_incident')
      .on('tracked_messages')
      .column('incident_id')
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('tracked_messages').execute();
  },
});
