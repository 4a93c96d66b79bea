import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BotError, describeIssue } from '../../core/index.ts';
import { type Router, readJson, sendJson } from '../../http/router.ts';
import type { SandboxChat } from './adapter.ts';
import { sendFile, withoutBytes } from './files.ts';
import { assertWritable, type SandboxChannel, type WorkspaceEvent } from './workspace.ts';

/**
 * The page's files: `public/` beside this module when run from the sources, and `dist/public/`
 * when bundled, where this code may sit in `dist/` itself or in one of its `chunks/` (the sandbox
 * is loaded lazily, so esbuild puts it in a chunk). Looked for on the first request, not at start-up.
 */
function publicFolder(): URL {
  const candidates = [new URL('./public/', import.meta.url), new URL('../public/', import.meta.url)];
  return candidates.find((u) => existsSync(fileURLToPath(new URL('index.html', u)))) ?? candidates[0]!;
}
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/sandbox/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/sandbox/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const userId = z.string().min(1).max(64);
const timeZone = z.string().max(64).optional();
const eventId = z.string().min(8).max(100).optional();

const sendBody = z.object({
  user: userId,
  channelId: z.string().min(1).max(64),
  text: z.string().max(4000),
  timeZone,
  eventId,
});
const clickBody = z.object({
  user: userId,
  channelId: z.string().min(1).max(64),
  messageId: z.string().min(1).max(64),
  buttonId: z.string().min(1).max(100),
  timeZone,
  eventId,
});
const editBody = z.object({ user: userId, text: z.string().min(1).max(4000), timeZone, eventId });
const userBody = z.object({ user: userId, timeZone, eventId });
const pinBody = z.object({ user: userId, on: z.boolean(), timeZone, eventId });
const reactBody = z.object({
  user: userId,
  emoji: z.string().min(1).max(32),
  on: z.boolean(),
  timeZone,
  eventId,
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new BotError(
    'bot.http.bad_request',
    describeIssue(issue, issue.path.length ? `The ${issue.path.join('.')}` : 'The request'),
    {
      // What a person typed can be too long; everything else the page fills in itself.
      hint:
        issue.path[0] === 'text'
          ? 'Shorten it, or send it in parts.'
          : 'The page sends this itself; reload it if it keeps happening.',
    },
  );
}

function visible(channel: SandboxChannel, user: string): boolean {
  return !channel.private || channel.members.includes(user);
}

/** The channel, if `user` may see it (and change things in it, with `write`). */
async function access(
  chat: SandboxChat,
  user: string,
  channelId: string,
  write: boolean,
): Promise<SandboxChannel> {
  chat.user(user);
  const channel = await chat.workspace.getChannel(channelId);
  if (!visible(channel, user)) {
    throw new BotError('bot.chat.forbidden', `#${channel.name} is private and ${user} is not a member.`, {
      hint: 'Ask someone in the incident to add you (/incident assign responder @you).',
    });
  }
  if (write) assertWritable(channel);
  return channel;
}

/** A stable message id for a client event id, so a retried send stores one message. */
function messageIdFor(eventId: string | undefined): string | undefined {
  return eventId ? `M${createHash('sha256').update(eventId).digest('hex').slice(0, 12)}` : undefined;
}

/**
 * The sandbox page and its small JSON API. Slash commands typed in the box arrive here as
 * `command` events, clicks as `button` events: the same inbound path Slack and Discord use.
 */
export function registerSandboxRoutes(router: Router, chat: SandboxChat): void {
  for (const [path, { file, type }] of Object.entries(STATIC)) {
    // Read on first request, not at start-up: start-up time is a budget, and most runs never open the page.
    let body: Buffer | undefined;
    router.on('GET', path, async (_req, res) => {
      body ??= readFileSync(fileURLToPath(new URL(file, publicFolder())));
      res.writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        'cache-control': 'no-cache',
      });
      res.end(body);
    });
  }

  router.on('GET', '/sandbox/api/workspace', async (req, res) => {
    const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? chat.users[0]!.id;
    chat.user(user);
    const channels = (await chat.workspace.listChannels()).filter((c) => visible(c, user));
    sendJson(res, 200, { users: chat.users, channels });
  });

  router.on('GET', '/sandbox/api/channels/:id/messages', async (req, res, params) => {
    const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
    const channel = await access(chat, user, params.id ?? '', false);
    const messages = await chat.workspace.listMessages(channel.id, user);
    // A file's bytes come from its own route when it is downloaded, not with every refresh.
    sendJson(res, 200, { channel, messages: messages.map(withoutBytes) });
  });

  router.on('GET', '/sandbox/api/messages/:id/file', async (req, res, params) => {
    const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
    chat.user(user);
    const m = await chat.workspace.getMessage(params.id ?? '');
    await access(chat, user, m.channelId, false);
    if (!m.file || m.deletedAt) {
      throw new BotError('bot.chat.message_not_found', 'That message has no file.', {
        hint: 'It was deleted, or never had one; reload the page.',
      });
    }
    sendFile(res, m.file);
  });

  router.on('POST', '/sandbox/api/send', async (req, res) => {
    const b = parse(sendBody, await readJson(req));
    const text = b.text.trim();
    if (!text) throw new BotError('bot.http.bad_request', 'Type a message or a command.');
    const command = /^\/([a-z][a-z0-9-]*)\s*([\s\S]*)$/i.exec(text);
    const base = { channelId: b.channelId, ...(b.eventId ? { eventId: b.eventId } : {}) };
    // Commands also work in an archived channel (reading the timeline); messages do not.
    await access(chat, b.user, b.channelId, !command);
    if (command) {
      const reply = await chat.receive(b.user, b.timeZone, {
        ...base,
        type: 'command',
        command: command[1]!.toLowerCase(),
        text: command[2] ?? '',
      });
      sendJson(res, 200, { reply: reply ?? null });
      return;
    }
    const posted = await chat.workspace.post(
      b.channelId,
      b.user,
      { text, sections: [text] },
      messageIdFor(b.eventId),
    );
    await chat.receive(b.user, b.timeZone, { ...base, type: 'message', messageId: posted.id, text });
    sendJson(res, 200, { message: posted });
  });

  router.on('POST', '/sandbox/api/click', async (req, res) => {
    const b = parse(clickBody, await readJson(req));
    // A reply only the clicker sees may carry buttons too (resolve: cancel or keep the requests).
    const ephemeral = chat.workspace.findEphemeral(b.messageId, b.user);
    const message = ephemeral ?? (await chat.workspace.getMessage(b.messageId));
    // The message says where it is; the body's channel is not trusted.
    await access(chat, b.user, message.channelId, true);
    // A button that has left the message since the page drew it (someone else approved, it
    // expired) still reaches the bot, as a stale click does on Slack and Discord: the bot answers
    // with what happened and when, which the page cannot know.
    const reply = await chat.receive(b.user, b.timeZone, {
      type: 'button',
      channelId: message.channelId,
      messageId: b.messageId,
      buttonId: b.buttonId,
      ...(b.eventId ? { eventId: b.eventId } : {}),
    });
    // Answered: the question goes, as Slack and Discord let a reply's buttons replace it.
    if (ephemeral && !reply?.message.text.startsWith('❌')) chat.workspace.dropEphemeral(ephemeral.id);
    sendJson(res, 200, { reply: reply ?? null });
  });

  router.on('POST', '/sandbox/api/messages/:id/edit', async (req, res, params) => {
    const b = parse(editBody, await readJson(req));
    const m = await ownMessage(chat, params.id ?? '', b.user);
    const text = b.text.trim();
    if (text === m.message.text) {
      sendJson(res, 200, { ok: true });
      return;
    }
    await chat.workspace.replaceMessage(m.id, { text, sections: [text] }, true);
    await chat.receive(b.user, b.timeZone, {
      type: 'message_edited',
      channelId: m.channelId,
      messageId: m.id,
      text,
      ...(b.eventId ? { eventId: b.eventId } : {}),
    });
    sendJson(res, 200, { ok: true });
  });

  router.on('POST', '/sandbox/api/messages/:id/delete', async (req, res, params) => {
    const b = parse(userBody, await readJson(req));
    const m = await ownMessage(chat, params.id ?? '', b.user);
    await chat.workspace.deleteMessage(m.id);
    await chat.receive(b.user, b.timeZone, {
      type: 'message_deleted',
      channelId: m.channelId,
      messageId: m.id,
      ...(b.eventId ? { eventId: b.eventId } : {}),
    });
    sendJson(res, 200, { ok: true });
  });

  router.on('POST', '/sandbox/api/messages/:id/react', async (req, res, params) => {
    const b = parse(reactBody, await readJson(req));
    const m = await chat.workspace.getMessage(params.id ?? '');
    await access(chat, b.user, m.channelId, true);
    const changed = await chat.workspace.setReaction(m.id, b.emoji, b.user, b.on);
    if (changed) {
      await chat.receive(b.user, b.timeZone, {
        type: 'reaction',
        channelId: m.channelId,
        messageId: m.id,
        emoji: b.emoji,
        added: b.on,
        ...(b.eventId ? { eventId: b.eventId } : {}),
      });
    }
    sendJson(res, 200, { on: b.on, changed });
  });

  router.on('POST', '/sandbox/api/messages/:id/pin', async (req, res, params) => {
    const b = parse(pinBody, await readJson(req));
    const m = await chat.workspace.getMessage(params.id ?? '');
    await access(chat, b.user, m.channelId, true);
    const changed = await chat.workspace.setPinned(m.id, b.on);
    if (changed) {
      await chat.receive(b.user, b.timeZone, {
        type: 'pin',
        channelId: m.channelId,
        messageId: m.id,
        added: b.on,
        ...(b.eventId ? { eventId: b.eventId } : {}),
      });
    }
    sendJson(res, 200, { on: b.on, changed });
  });

  router.on('GET', '/sandbox/api/events', async (req, res) => {
    const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
    chat.user(user);
    streamEvents(chat, res, user);
    await new Promise<void>((resolve) => req.on('close', resolve));
  });
}

async function ownMessage(chat: SandboxChat, id: string, user: string) {
  chat.user(user);
  const m = await chat.workspace.getMessage(id);
  await access(chat, user, m.channelId, true);
  if (m.userId !== user) {
    throw new BotError('bot.chat.forbidden', 'Only the author can edit or delete a message.');
  }
  if (m.deletedAt) throw new BotError('bot.chat.message_not_found', 'That message was deleted.');
  return m;
}

/** Server-sent events: the page learns what changed and refetches only that channel. */
function streamEvents(chat: SandboxChat, res: ServerResponse, user: string): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write('retry: 1000\n\n');
  const listener = (event: WorkspaceEvent) => {
    if (event.type === 'message' && event.visibleTo && event.visibleTo !== user) return;
    // Private channels' events go to their members only.
    chat.workspace.getChannel(event.channelId).then(
      (channel) => {
        if (visible(channel, user)) res.write(`data: ${JSON.stringify(event)}\n\n`);
      },
      () => undefined,
    );
  };
  // Proxies close idle streams; a comment every 25 s keeps it open.
  const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
  chat.workspace.events.on('event', listener);
  res.on('close', () => {
    clearInterval(ping);
    chat.workspace.events.off('event', listener);
  });
}
