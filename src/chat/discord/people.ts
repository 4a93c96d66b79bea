import type { Guild, GuildMember } from 'discord.js';
import type { Actor } from '../../core/index.ts';

/** A user and (in a server) member object as the gateway and interactions deliver them. */
export interface ApiUser {
  readonly id: string;
  readonly username?: string;
  readonly global_name?: string | null;
  readonly bot?: boolean;
}
export interface ApiMember {
  readonly nick?: string | null;
  readonly roles?: readonly string[];
  readonly user?: ApiUser;
}

/**
 * Role names as policy groups: a role is `@` and its exact name, in any case (`@SRE`, `@sre`;
 * "Hardware On-call" is `@Hardware On-call`), or its id. Never a loosened form of the name: anyone
 * allowed to create roles could otherwise name one `S.R.E.` or `sre!` and pass for `@sre`.
 */
export function roleGroups(guild: Guild | undefined, roleIds: readonly string[]): string[] {
  const groups = new Set<string>();
  for (const id of roleIds) {
    const role = guild?.roles.cache.get(id);
    // @everyone is every member: not a group anyone means in a policy.
    if (!role || role.id === guild?.id) continue;
    groups.add(role.name);
    groups.add(role.id);
  }
  return [...groups].filter(Boolean);
}

/** Discord has no time zone for a person; times in shared messages use <t:…> instead (localTime). */
export function actorFromApi(guild: Guild | undefined, user: ApiUser, member?: ApiMember): Actor {
  // Read from raw gateway packets: only text is a name, only a list is roles.
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const name = text(member?.nick) ?? text(user.global_name) ?? text(user.username) ?? user.id;
  return { id: user.id, name, groups: roleGroups(guild, Array.isArray(member?.roles) ? member.roles : []) };
}

export function actorFromMember(member: GuildMember): Actor {
  return {
    id: member.id,
    name: member.displayName,
    groups: roleGroups(member.guild, [...member.roles.cache.keys()]),
  };
}

/** The stand-in when Discord does not say who did something (a deletion, an unpin). */
export const SOMEONE: Actor = { id: 'unknown', name: 'someone', groups: [] };
