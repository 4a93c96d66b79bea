import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { SandboxChat } from '../../src/chat/sandbox/adapter.ts';
import { registerSandboxRoutes } from '../../src/chat/sandbox/routes.ts';
import { type SandboxTables, SandboxWorkspace } from '../../src/chat/sandbox/workspace.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { SandboxClient } from '../helpers/sandbox-client.ts';
import { chatPlatformContract, type PersonDriver } from './contract.ts';

/** Alice in the sandbox page: its JSON API, served by the bot's own HTTP server. */
function sandboxPerson(client: SandboxClient): PersonDriver {
  const post = async (path: string, body: Record<string, unknown>) => {
    const r = await client.request('POST', path, { user: client.user, ...body });
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return {
    async say(channelId, text) {
      return { messageId: (await client.send(channelId, text)).message.id };
    },
    async edit(_channelId, messageId, text) {
      await post(`/sandbox/api/messages/${messageId}/edit`, { text });
    },
    async remove(_channelId, messageId) {
      await post(`/sandbox/api/messages/${messageId}/delete`, {});
    },
    async pushpin(_channelId, messageId) {
      await post(`/sandbox/api/messages/${messageId}/react`, { emoji: '📌', on: true });
    },
    async pin(_channelId, messageId) {
      await post(`/sandbox/api/messages/${messageId}/pin`, { on: true });
    },
    async command(channelId, group, sub, options) {
      await client.send(channelId, `/${group} ${[sub, ...Object.values(options)].join(' ')}`);
    },
    async click(channelId, messageId, buttonId) {
      await post('/sandbox/api/click', { channelId, messageId, buttonId });
    },
  };
}

chatPlatformContract('sandbox', async () => {
  const opened = await openSqliteStore(':memory:');
  const workspace = new SandboxWorkspace(opened.db as unknown as Kysely<SandboxTables>, () => new Date());
  const chat = new SandboxChat(
    workspace,
    [{ id: 'alice', name: 'Alice (SRE)', groups: ['sre'] }],
    () => new Date(),
  );
  const router = new Router();
  registerSandboxRoutes(router, chat);
  const server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
  const { url } = await listen(server, 0, '127.0.0.1');
  return {
    chat,
    userId: 'alice',
    person: sandboxPerson(new SandboxClient(url, 'alice')),
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
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await opened.close();
    },
  };
});
