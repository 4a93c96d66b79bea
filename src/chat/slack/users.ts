import type { Logger } from 'pino';
import type { Actor } from '../../core/index.ts';
import { slackError } from './errors.ts';
import type { SlackOutbound } from './outbound.ts';

interface SlackUser {
  id: string;
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  tz?: string;
  profile?: { display_name?: string; real_name?: string };
}

interface UserGroup {
  id: string;
  handle: string;
  users?: string[];
}

/** People change names rarely and incidents are short: ten minutes of caching is plenty. */
const TTL_MS = 10 * 60_000;

/**
 * Who is who in Slack: a person's name, time zone (users.info, so times are shown in their own
 * zone) and user groups (so `@sre` in the policy and in responders means the Slack group).
 */
export class SlackDirectory {
  private readonly users = new Map<string, { user: SlackUser; at: number }>();
  private groups: { list: UserGroup[]; at: number } | undefined;

  constructor(
    private readonly outbound: SlackOutbound,
    private readonly logger: Logger,
  ) {}

  /** A Web API call whose failure is coded as the adapter's are (an invite retries on an outage). */
  private async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    try {
      return await this.outbound.call<T>(method, params);
    } catch (err) {
      throw slackError(method, err);
    }
  }

  async actor(userId: string): Promise<Actor> {
    const [user, groups] = await Promise.all([this.user(userId), this.groupsOf(userId)]);
    return {
      id: userId,
      name: displayName(user) ?? userId,
      groups,
      ...(user?.tz ? { timeZone: user.tz } : {}),
    };
  }

  /** `<@U123|name>`, `<@U123>`, `U123`, `@name` or `name` → the person, if they exist. */
  async resolve(reference: string): Promise<Actor | undefined> {
    const ref = reference.trim();
    const id =
      /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(ref)?.[1] ?? (/^[UW][A-Z0-9]{2,}$/.test(ref) ? ref : undefined);
    if (id) {
      const user = await this.user(id);
      return user && !user.deleted ? this.actor(id) : undefined;
    }
    const name = ref.replace(/^@/, '').toLowerCase();
    const all = await this.listUsers();
    const match = all.find(
      (u) =>
        !u.deleted &&
        (u.name?.toLowerCase() === name ||
          u.profile?.display_name?.toLowerCase() === name ||
          u.real_name?.toLowerCase() === name),
    );
    return match ? this.actor(match.id) : undefined;
  }

  /** Responders may be users (U…), group ids (S…) or `@handle`s; groups become their members. */
  async expand(entries: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const entry of entries) {
      if (/^S[A-Z0-9]+$/.test(entry) || entry.startsWith('@')) {
        const group = (await this.listGroups()).find((g) => g.id === entry || `@${g.handle}` === entry);
        if (group) out.push(...(await this.members(group.id)));
        else this.logger.warn({ entry }, 'responder group not found in Slack');
      } else {
        out.push(entry);
      }
    }
    return out;
  }

  private async user(id: string): Promise<SlackUser | undefined> {
    const cached = this.users.get(id);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.user;
    try {
      const r = await this.call<{ user?: SlackUser }>('users.info', { user: id });
      if (r.user) this.users.set(id, { user: r.user, at: Date.now() });
      return r.user;
    } catch (err) {
      this.logger.warn({ err, user: id }, 'users.info failed; showing the id instead of a name');
      return undefined;
    }
  }

  private async listUsers(): Promise<SlackUser[]> {
    const all: SlackUser[] = [];
    let cursor: string | undefined;
    do {
      const r = await this.call<{
        members?: SlackUser[];
        response_metadata?: { next_cursor?: string };
      }>('users.list', { limit: 200, ...(cursor ? { cursor } : {}) });
      for (const u of r.members ?? []) {
        all.push(u);
        this.users.set(u.id, { user: u, at: Date.now() });
      }
      cursor = r.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return all;
  }

  private async listGroups(): Promise<UserGroup[]> {
    if (this.groups && Date.now() - this.groups.at < TTL_MS) return this.groups.list;
    try {
      const r = await this.call<{ usergroups?: UserGroup[] }>('usergroups.list', {
        include_users: true,
      });
      this.groups = { list: r.usergroups ?? [], at: Date.now() };
    } catch (err) {
      // Free workspaces have no user groups; policy then matches by user id only.
      this.logger.debug({ err }, 'usergroups.list failed');
      this.groups = { list: [], at: Date.now() };
    }
    return this.groups.list;
  }

  private async members(groupId: string): Promise<string[]> {
    const group = (await this.listGroups()).find((g) => g.id === groupId);
    if (group?.users) return group.users;
    const r = await this.call<{ users?: string[] }>('usergroups.users.list', { usergroup: groupId });
    return r.users ?? [];
  }

  private async groupsOf(userId: string): Promise<string[]> {
    const groups = await this.listGroups();
    const mine: string[] = [];
    for (const g of groups) {
      if ((g.users ?? (await this.members(g.id))).includes(userId)) mine.push(g.handle);
    }
    return mine;
  }
}

function displayName(user: SlackUser | undefined): string | undefined {
  return user?.profile?.display_name || user?.real_name || user?.profile?.real_name || user?.name;
}
