import type { MigrationFactory } from './types.ts';

/**
 * The local sandbox's chat workspace (channels, members, messages), kept beside the incidents so a
 * restarted sandbox shows the same channels and conversation. Real platforms keep this themselves.
 */
export const sandbox: MigrationFactory = (dialect) => ({
  async up(db) {
    await db.schema
      .createTable('sandbox_channels')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('is_private', 'integer', (c) => c.notNull())
      .addColumn('archived', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sandbox_members')
      .addColumn('channel_id', 'text', (c) =>
        c.notNull().references('sandbox_channels.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('sandbox_members_pk', ['channel_id', 'user_id'])
      .execute();
    await db.schema
      .createTable('sandbox_messages')
      .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('channel_id', 'text', (c) =>
        c.notNull().references('sandbox_channels.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('edited_at', 'text')
      .addColumn('deleted_at', 'text')
      .addColumn('pinned', 'integer', (c) => c.notNull())
      .addColumn('reactions', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('sandbox_messages_channel_idx')
      .on('sandbox_messages')
      .columns(['channel_id', 'seq'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('sandbox_messages').execute();
    await db.schema.dropTable('sandbox_members').execute();
    await db.schema.dropTable('sandbox_channels').execute();
  },
});
