import { conversationJson, fileJson, messageJson, viewJson } from './json.ts';
import { openView, updateView } from './modals.ts';
import { bool, str } from './request-body.ts';
import { completeUpload, startUpload } from './uploads.ts';
import { userGroupJson, userJson } from './users.ts';
import type { SlackResult, Workspace } from './workspace.ts';

export interface MethodContext {
  readonly ws: Workspace;
  /** Who the token belongs to: the bot user for the bot token. */
  readonly actor: string;
  /** `http://127.0.0.1:<port>`: for upload URLs, permalinks and the Socket Mode URL. */
  readonly origin: string;
  /** Issues a one-time Socket Mode URL (apps.connections.open). */
  openSocketUrl(): string;
}

type Json = Record<string, unknown>;
type Handler = (p: Json, ctx: MethodContext) => Json;

/** Methods that take the app-level token (xapp-…); every other method wants the bot token. */
export const APP_TOKEN_METHODS: ReadonlySet<string> = new Set(['apps.connections.open']);

function answer<T>(r: SlackResult<T>, shape: (v: T) => Json): Json {
  if (!r.ok) return { ok: false, error: r.error, ...(r.extra ?? {}) };
  const warning = r.warning ? { warning: r.warning, response_metadata: { warnings: [r.warning] } } : {};
  return { ok: true, ...shape(r.value), ...warning };
}

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  const s = str(v);
  return s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
}

/** Cursor pagination as Slack does it: an opaque `next_cursor`, empty on the last page. */
function page<T>(items: T[], p: Json): { items: T[]; next: string } {
  const limit = Number(str(p.limit) ?? 0);
  const cursor = str(p.cursor);
  const start = cursor
    ? Number(Buffer.from(cursor, 'base64').toString('utf8').replace('offset:', '')) || 0
    : 0;
  if (!limit || limit <= 0) return { items: items.slice(start), next: '' };
  const end = start + limit;
  return {
    items: items.slice(start, end),
    next: end < items.length ? Buffer.from(`offset:${end}`).toString('base64') : '',
  };
}

const ok = (extra: Json = {}): Json => ({ ok: true, ...extra });

export const METHODS: Readonly<Record<string, Handler>> = {
  'api.test': (p) => ok({ args: p }),

  'auth.test': (_p, { ws }) => {
    const id = ws.identity;
    return ok({
      url: `https://${id.teamDomain}.slack.com/`,
      team: 'Fake Workspace',
      user: id.botName,
      team_id: id.teamId,
      user_id: id.botUserId,
      bot_id: id.botId,
      is_enterprise_install: false,
    });
  },

  'apps.connections.open': (_p, { openSocketUrl }) => ok({ url: openSocketUrl() }),

  'conversations.create': (p, { ws, actor }) =>
    answer(ws.createChannel(actor, str(p.name), bool(p.is_private)), (c) => ({
      channel: conversationJson(c, actor, ws.identity.teamId),
    })),

  'conversations.rename': (p, { ws, actor }) =>
    answer(ws.renameChannel(actor, str(p.channel), str(p.name)), (c) => ({
      channel: conversationJson(c, actor, ws.identity.teamId),
    })),

  'conversations.archive': (p, { ws, actor }) => answer(ws.archiveChannel(actor, str(p.channel)), () => ({})),

  'conversations.setTopic': (p, { ws, actor }) =>
    answer(ws.setTopic(actor, str(p.channel), str(p.topic) ?? ''), (c) => ({
      channel: conversationJson(c, actor, ws.identity.teamId),
    })),

  'conversations.invite': (p, { ws, actor }) =>
    answer(ws.invite(actor, str(p.channel), list(p.users), bool(p.force)), ({ channel, errors }) => ({
      channel: conversationJson(channel, actor, ws.identity.teamId),
      ...(errors.length > 0 ? { errors } : {}),
    })),

  'conversations.join': (p, { ws, actor }) =>
    answer(ws.join(actor, str(p.channel)), (c) => ({
      channel: conversationJson(c, actor, ws.identity.teamId),
    })),

  'conversations.info': (p, { ws, actor }) =>
    answer(ws.info(actor, str(p.channel)), (c) => ({
      channel: {
        ...conversationJson(c, actor, ws.identity.teamId),
        ...(bool(p.include_num_members) ? { num_members: c.members.size } : {}),
      },
    })),

  'conversations.list': (p, { ws, actor }) => {
    const types = list(p.types ?? 'public_channel');
    const all = [...ws.channels.values()].filter(
      (c) =>
        (c.private
          ? types.includes('private_channel') && c.members.has(actor)
          : types.includes('public_channel')) && !(bool(p.exclude_archived) && c.archived),
    );
    const { items, next } = page(all, p);
    return ok({
      channels: items.map((c) => conversationJson(c, actor, ws.identity.teamId)),
      response_metadata: { next_cursor: next },
    });
  },

  'conversations.members': (p, { ws, actor }) =>
    answer(ws.info(actor, str(p.channel)), (c) => {
      const { items, next } = page([...c.members], p);
      return { members: items, response_metadata: { next_cursor: next } };
    }),

  // Newest first, as Slack answers; metadata only when asked for (include_all_metadata).
  'conversations.history': (p, { ws, actor, origin }) =>
    answer(ws.info(actor, str(p.channel)), (c) => {
      const all = ws
        .channelMessages(c.id)
        .filter((m) => m.deletedAt === undefined && !m.threadTs)
        .reverse();
      const { items, next } = page(all, { ...p, limit: str(p.limit) ?? '100' });
      const withMetadata = bool(p.include_all_metadata);
      return {
        messages: items.map((m) => ({
          ...messageJson(m, ws.identity),
          // Shared files in full, as Slack lists them (name, title, who uploaded).
          ...(m.files.length > 0
            ? {
                files: m.files.flatMap((id) => {
                  const f = ws.files.get(id);
                  return f ? [fileJson(f, origin)] : [];
                }),
              }
            : {}),
          ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
        })),
        has_more: next !== '',
        response_metadata: { next_cursor: next },
      };
    }),

  'chat.postMessage': (p, { ws, actor }) =>
    answer(
      ws.postMessage(actor, {
        channel: str(p.channel) ?? '',
        text: str(p.text),
        blocks: p.blocks,
        attachments: p.attachments,
        threadTs: str(p.thread_ts),
        metadata: p.metadata,
      }),
      (m) => ({ channel: m.channel, ts: m.ts, message: messageJson(m, ws.identity) }),
    ),

  'chat.update': (p, { ws, actor }) =>
    answer(
      ws.updateMessage(actor, {
        channel: str(p.channel),
        ts: str(p.ts),
        text: str(p.text),
        blocks: p.blocks,
        attachments: p.attachments,
      }),
      (m) => ({ channel: m.channel, ts: m.ts, text: m.text, message: messageJson(m, ws.identity) }),
    ),

  'chat.delete': (p, { ws, actor }) =>
    answer(ws.deleteMessage(actor, str(p.channel), str(p.ts)), (m) => ({ channel: m.channel, ts: m.ts })),

  'chat.postEphemeral': (p, { ws, actor }) =>
    answer(
      ws.postEphemeral(actor, {
        channel: str(p.channel) ?? '',
        user: str(p.user),
        text: str(p.text),
        blocks: p.blocks,
        attachments: p.attachments,
        threadTs: str(p.thread_ts),
      }),
      (e) => ({ message_ts: e.ts }),
    ),

  'chat.getPermalink': (p, { ws, origin }) =>
    answer(ws.permalink(origin, str(p.channel), str(p.message_ts)), (permalink) => ({
      channel: ws.findChannel(str(p.channel) ?? '')?.id,
      permalink,
    })),

  'users.info': (p, { ws }) => {
    const u = ws.users.get(str(p.user) ?? '');
    return u
      ? ok({ user: userJson(u, ws.identity.teamId, ws.identity.appId) })
      : { ok: false, error: 'user_not_found' };
  },

  'users.list': (p, { ws }) => {
    const { items, next } = page([...ws.users.values()], p);
    return ok({
      members: items.map((u) => userJson(u, ws.identity.teamId, ws.identity.appId)),
      cache_ts: Math.floor(Date.now() / 1000),
      response_metadata: { next_cursor: next },
    });
  },

  'usergroups.list': (p, { ws }) =>
    ok({
      usergroups: [...ws.groups.values()].map((g) =>
        userGroupJson(g, ws.identity.teamId, bool(p.include_users)),
      ),
    }),

  'usergroups.users.list': (p, { ws }) => {
    const g = ws.groups.get(str(p.usergroup) ?? '');
    return g ? ok({ users: [...g.users] }) : { ok: false, error: 'no_such_subteam' };
  },

  'views.open': (p, { ws }) =>
    answer(openView(ws, str(p.trigger_id), p.view), (v) => ({ view: viewJson(v, ws.identity) })),

  'views.update': (p, { ws }) =>
    answer(
      updateView(ws, { viewId: str(p.view_id), externalId: str(p.external_id), hash: str(p.hash) }, p.view),
      (v) => ({ view: viewJson(v, ws.identity) }),
    ),

  'files.getUploadURLExternal': (p, { ws, actor, origin }) =>
    answer(
      startUpload(ws, actor, {
        filename: str(p.filename),
        length: Number(str(p.length)),
        snippetType: str(p.snippet_type),
        altText: str(p.alt_text ?? p.alt_txt),
      }),
      (f) => ({ upload_url: `${origin}/upload/v1/${f.ticket}`, file_id: f.id }),
    ),

  'files.completeUploadExternal': (p, { ws, actor, origin }) =>
    answer(
      completeUpload(ws, actor, {
        files: Array.isArray(p.files) ? (p.files as { id?: string; title?: string }[]) : [],
        channel: str(p.channel_id) ?? list(p.channels)[0],
        initialComment: str(p.initial_comment),
        threadTs: str(p.thread_ts),
      }),
      (files) => ({ files: files.map((f) => fileJson(f, origin)) }),
    ),

  'reactions.add': (p, { ws, actor }) =>
    answer(ws.react(actor, str(p.channel), str(p.timestamp), str(p.name), true), () => ({})),

  'reactions.remove': (p, { ws, actor }) =>
    answer(ws.react(actor, str(p.channel), str(p.timestamp), str(p.name), false), () => ({})),

  'pins.add': (p, { ws, actor }) => answer(ws.pin(actor, str(p.channel), str(p.timestamp), true), () => ({})),

  'pins.remove': (p, { ws, actor }) =>
    answer(ws.pin(actor, str(p.channel), str(p.timestamp), false), () => ({})),
};
