import type { MigrationFactory } from './types.ts';

/**
 * Alerts as received (one row per alert group and fingerprint, updated by resends) and which
 * incident each alert group feeds. `pending` marks an alert whose current status has not yet been
 * carried to its incident: the processor's work list, which survives a restart.
 */
export const alerts: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable('alerts')
      .addColumn('group_key', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('labels', 'text', (c) => c.notNull())
      .addColumn('annotations', 'text', (c) => c.notNull())
      .addColumn('nodes', 'text', (c) => c.notNull())
      .addColumn('summary', 'text')
      .addColumn('runbook_url', 'text')
      .addColumn('generator_url', 'text')
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('ends_at', 'text')
      .addColumn('first_received_at', 'text', (c) => c.notNull())
      .addColumn('last_received_at', 'text', (c) => c.notNull())
      .addColumn('received_count', 'integer', (c) => c.notNull())
      .addColumn('incident_id', 'text')
      .addColumn('posted_status', 'text')
      .addColumn('pending', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('alerts_pk', ['group_key', 'fingerprint'])
      .execute();
    await db.schema
      .createIndex('alerts_pending_idx')
      .on('alerts')
      .columns(['pending', 'group_key'])
      .execute();
    await db.schema.createIndex('alerts_incident_idx').on('alerts').columns(['incident_id']).execute();
    await db.schema.createIndex('alerts_status_idx').on('alerts').columns(['status']).execute();
    await db.schema
      .createTable('alert_groups')
      .addColumn('group_key', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull())
      .addColumn('storm', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('alert_groups_incident_idx')
      .on('alert_groups')
      .columns(['incident_id'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('alert_groups').execute();
    await db.schema.dropTable('alerts').execute();
  },
});
