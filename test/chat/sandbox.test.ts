import type { Kysely } from 'kysely';
import { SandboxChat } from '../../src/chat/sandbox/adapter.ts';
import { type SandboxTables, SandboxWorkspace } from '../../src/chat/sandbox/workspace.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { chatPlatformContract } from './contract.ts';

chatPlatformContract('sandbox', async () => {
  const opened = await openSqliteStore(':memory:');
  const workspace = new SandboxWorkspace(opened.db as unknown as Kysely<SandboxTables>, () => new Date());
  const chat = new SandboxChat(
    workspace,
    [{ id: 'alice', name: 'Alice (SRE)', groups: ['sre'] }],
    () => new Date(),
  );
  return {
    chat,
    userId: 'alice',
    async messages(channelId) {
      return (await workspace.listMessages(channelId, 'alice')).map((m) => ({
        id: m.id,
        text: m.message.text,
        buttons: (m.message.buttons ?? []).map((b) => b.label),
      }));
    },
    async channel(channelId) {
      const c = await workspace.getChannel(channelId);
      return { name: c.name, topic: c.topic, archived: c.archived, members: [...c.members] };
    },
    close: () => opened.close(),
  };
});
