import type { World } from './state.ts';

/**
 * Whom a new message notifies, by Discord's rules (docs: Message → Allowed Mentions Object; the
 * API spec's MessageAllowedMentionsRequest). Only `content` mentions: `<@id>`/`<@!id>` users,
 * `<@&id>` roles, `@everyone`/`@here`; mentions inside embeds never notify. Without
 * `allowed_mentions`, every mention in the content notifies (@everyone and @here only with the
 * Mention Everyone permission, which the fake's bot lacks; the fake's roles are all mentionable). With it, a
 * type in `parse` notifies all of its kind in the content, and `users`/`roles` list the only ones
 * of theirs that may. An edit notifies nobody.
 */
export interface FakeNotified {
  readonly users: string[];
  readonly roles: string[];
  readonly everyone: boolean;
}

export const NOBODY: FakeNotified = { users: [], roles: [], everyone: false };

const uniq = (xs: string[]) => [...new Set(xs)];

/** Mention Everyone (1 << 17): needed for @everyone and @here to notify at all. */
const MENTION_EVERYONE = 1n << 17n;

export function notifiedBy(
  world: World,
  body: Record<string, any>,
  author: { readonly id: string; readonly channelId: string },
): FakeNotified {
  const content = typeof body.content === 'string' ? body.content : '';
  const users = uniq([...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1]!)).filter((id) =>
    world.users.has(id),
  );
  const roles = uniq([...content.matchAll(/<@&(\d+)>/g)].map((m) => m[1]!)).filter((id) =>
    world.roles.has(id),
  );
  const everyone =
    /@(everyone|here)\b/.test(content) && world.can(author.id, author.channelId, MENTION_EVERYONE);
  const allowed = body.allowed_mentions as
    | { parse?: string[]; users?: string[]; roles?: string[]; replied_user?: boolean }
    | undefined;
  if (!allowed) return { users, roles, everyone };
  const parse = new Set(allowed.parse ?? []);
  return {
    users: parse.has('users') ? users : users.filter((id) => (allowed.users ?? []).includes(id)),
    roles: parse.has('roles') ? roles : roles.filter((id) => (allowed.roles ?? []).includes(id)),
    everyone: everyone && parse.has('everyone'),
  };
}

/**
 * What Discord refuses in `allowed_mentions` (50035 Invalid Form Body): a `parse` type that is
 * not users, roles or everyone; more than 100 ids in `users` or `roles`; `parse` naming a type
 * whose list is also given ("MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE").
 */
export function allowedMentionsProblem(body: Record<string, any>): string | undefined {
  const a = body.allowed_mentions;
  if (a === undefined || a === null) return undefined;
  if (typeof a !== 'object') return 'allowed_mentions: must be an object';
  const parse: unknown[] = a.parse ?? [];
  if (!Array.isArray(parse)) return 'allowed_mentions.parse: must be an array';
  for (const p of parse) {
    if (p !== 'users' && p !== 'roles' && p !== 'everyone')
      return `allowed_mentions.parse: "${p}" is not a mention type`;
  }
  for (const kind of ['users', 'roles'] as const) {
    const ids = a[kind];
    if (ids === undefined || ids === null) continue;
    if (!Array.isArray(ids)) return `allowed_mentions.${kind}: must be an array`;
    if (ids.length > 100) return `allowed_mentions.${kind}: Must be 100 or fewer in length.`;
    if (new Set(ids).size !== ids.length) return `allowed_mentions.${kind}: items must be unique`;
    if (ids.length > 0 && parse.includes(kind)) {
      return `allowed_mentions: parse "${kind}" and a ${kind} list are mutually exclusive`;
    }
  }
  return undefined;
}
