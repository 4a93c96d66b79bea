import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** The sandbox chat on an in-memory store, with its page's routes on the bot's HTTP server. */
async function sandboxServer(users = [{ id: 'alice', name: 'Alice (SRE)', groups: ['sre'] }]) {
  const opened = await openSqliteStore(':memory:');
  const workspace = new SandboxWorkspace(opened.db as unknown as Kysely<SandboxTables>, () => new Date());
  const chat = new SandboxChat(workspace, users, () => new Date());
  const router = new Router();
  registerSandboxRoutes(router, chat);
  const server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
  const { url } = await listen(server, 0, '127.0.0.1');
  const close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await opened.close();
  };
  return { chat, workspace, url, close };
}

chatPlatformContract('sandbox', async () => {
  const { chat, workspace, url, close } = await sandboxServer();
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
    // As a person gets them: listed with the channel's messages, downloaded from the file's route.
    async files(channelId) {
      const listed = await fetch(`${url}/sandbox/api/channels/${channelId}/messages?user=alice`);
      const { messages } = (await listed.json()) as {
        messages: { id: string; message: { header?: string }; file?: { filename: string } }[];
      };
      return Promise.all(
        messages.flatMap((m) => {
          const file = m.file;
          if (!file) return [];
          return [
            fetch(`${url}/sandbox/api/messages/${m.id}/file?user=alice`).then(async (r) => ({
              filename: file.filename,
              // The adapter heads the file's message with its title.
              title: m.message.header?.replace(/^📎 /, '') ?? '',
              bytes: Buffer.from(await r.arrayBuffer()),
              contentType: r.headers.get('content-type') ?? undefined,
            })),
          ];
        }),
      );
    },
    contentTypes: 'kept',
    close,
  };
});

describe("the sandbox page's files", () => {
  let sandbox: Awaited<ReturnType<typeof sandboxServer>>;
  let channelId: string;
  const bytes = Buffer.concat([Buffer.from([0x1f, 0x8b, 0xff, 0x00, 0xc0]), randomBytes(1000)]);

  beforeAll(async () => {
    sandbox = await sandboxServer([
      { id: 'alice', name: 'Alice', groups: [] },
      { id: 'bob', name: 'Bob', groups: [] },
    ]);
    await sandbox.chat.start(async () => undefined);
    channelId = (await sandbox.chat.createChannel({ name: 'inc-30-private', topic: '', private: true })).id;
    await sandbox.chat.invite(channelId, ['alice']);
    await sandbox.chat.uploadFile(channelId, {
      filename: 'nvidia-bug-report "gpu-node-5".tar.gz',
      title: 'Diagnostic bundle of gpu-node-5',
      content: bytes.toString('base64'),
      encoding: 'base64',
      contentType: 'application/gzip',
    });
    await sandbox.chat.uploadFile(channelId, {
      filename: 'INC-30-postmortem.md',
      title: 'INC-30 draft',
      content: '# INC-30\n',
    });
  });
  afterAll(() => sandbox.close());

  const list = async (user: string) => {
    const r = await fetch(`${sandbox.url}/sandbox/api/channels/${channelId}/messages?user=${user}`);
    return (await r.json()) as { messages: { id: string; file?: Record<string, unknown> }[] };
  };

  it('lists a binary file by name, type and size, without its bytes; text as before, inline', async () => {
    const [bundle, draft] = (await list('alice')).messages;
    expect(bundle?.file).toEqual({
      filename: 'nvidia-bug-report "gpu-node-5".tar.gz',
      encoding: 'base64',
      contentType: 'application/gzip',
      size: bytes.length,
      content: '',
    });
    expect(draft?.file).toEqual({ filename: 'INC-30-postmortem.md', content: '# INC-30\n' });
  });

  it('serves the bytes as a download, with their type and a header-safe name', async () => {
    const [bundle] = (await list('alice')).messages;
    const r = await fetch(`${sandbox.url}/sandbox/api/messages/${bundle!.id}/file?user=alice`);
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(bytes)).toBe(true);
    expect(r.headers.get('content-type')).toBe('application/gzip');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-disposition')).toBe(
      `attachment; filename="nvidia-bug-report _gpu-node-5_.tar.gz"; filename*=UTF-8''nvidia-bug-report%20%22gpu-node-5%22.tar.gz`,
    );
  });

  it('serves a file only to who may read its channel, and says when a message has none', async () => {
    const [bundle] = (await list('alice')).messages;
    const bob = await fetch(`${sandbox.url}/sandbox/api/messages/${bundle!.id}/file?user=bob`);
    expect(bob.status).toBe(403);
    expect(((await bob.json()) as { error: { code: string } }).error.code).toBe('bot.chat.forbidden');
    const general = (await sandbox.workspace.findChannelByName('general'))!;
    const plain = await sandbox.workspace.post(general.id, 'alice', { text: 'no file here' });
    const none = await fetch(`${sandbox.url}/sandbox/api/messages/${plain.id}/file?user=alice`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { message: string } }).error.message).toBe(
      'That message has no file.',
    );
  });
});
