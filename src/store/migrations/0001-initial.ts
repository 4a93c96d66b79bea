import type { MigrationFactory } from './types.ts';

/**
 * Incidents, roles, timeline, actions and processed event ids.
 *
 * Migrations take `Kysely<any>`: they describe the schema as it was at their time, not the current
 * `Database` interface. Only the timeline id differs by dialect.
 */
export const initial: MigrationFactory = (dialect) => ({
  async up(db) {
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('number', 'integer', (c) => c.notNull().unique())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('is_private', 'integer', (c) => c.notNull())
      .addColumn('platform', 'text', (c) => c.notNull())
      .addColumn('channel_id', 'text')
      .addColumn('channel_name', 'text')
      .addColumn('card_message_id', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('acknowledged_at', 'text')
      .addColumn('mitigated_at', 'text')
      .addColumn('resolved_at', 'text')
      .addColumn('closed_at', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
    // Every inbound chat event is routed to its incident by channel.
    await db.schema
      .createIndex('incidents_platform_channel_idx')
      .on('incidents')
      .columns(['platform', 'channel_id'])
      .execute();
    await db.schema
      .createIndex('incidents_status_idx')
      .on('incidents')
      .columns(['status', 'number'])
      .execute();

    await db.schema
      .createTable('incident_roles')
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('user_name', 'text', (c) => c.notNull())
      .addColumn('assigned_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('incident_roles_pk', ['incident_id', 'role', 'user_id'])
      .execute();
    // Commander and communications lead have one holder; the index makes two concurrent
    // assignments fail instead of leaving two commanders (responders are exempt).
    await db.schema
      .createIndex('incident_roles_single_holder_idx')
      .on('incident_roles')
      .columns(['incident_id', 'role'])
      .unique()
      .where('role', '!=', 'responder')
      .execute();

    await db.schema
      .createTable('timeline_entries')
      // Ids are cited by post-mortems, so they must never be reused: SQLite's AUTOINCREMENT
      // (unlike a bare rowid) guarantees that, as an identity column does on PostgreSQL.
      .addColumn('id', 'integer', (c) =>
        dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
      )
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_name', 'text')
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('is_key', 'integer', (c) => c.notNull())
      .addColumn('source_message_id', 'text')
      .addColumn('edited_at', 'text')
      .addColumn('deleted_at', 'text')
      .execute();
    await db.schema
      .createIndex('timeline_entries_incident_idx')
      .on('timeline_entries')
      .columns(['incident_id', 'at'])
      .execute();
    // Edits and deletions of chat messages find their entry by the message id.
    await db.schema
      .createIndex('timeline_entries_source_idx')
      .on('timeline_entries')
      .columns(['incident_id', 'source_message_id'])
      .execute();

    await db.schema
      .createTable('actions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('preview', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('requested_by_name', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_by_name', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('result', 'text')
      .addColumn('message_id', 'text')
      .execute();
    await db.schema.createIndex('actions_incident_idx').on('actions').column('incident_id').execute();
    // The expiry sweep and the crash recovery look for requested/running actions by time.
    await db.schema
      .createIndex('actions_status_idx')
      .on('actions')
      .columns(['status', 'expires_at'])
      .execute();

    await db.schema
      .createTable('processed_events')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('processed_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('processed_events_pk', ['source', 'event_id'])
      .execute();
    // Old event ids are pruned by age once redeliveries can no longer arrive.
    await db.schema
      .createIndex('processed_events_at_idx')
      .on('processed_events')
      .column('processed_at')
      .execute();
  },

  async down(db) {
    for (const table of ['processed_events', 'actions', 'timeline_entries', 'incident_roles', 'incidents']) {
      await db.schema.dropTable(table).execute();
    }
  },
});
