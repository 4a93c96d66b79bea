import { BotError } from './errors.ts';

export const ROLES = ['commander', 'communications', 'responder'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABEL: Record<Role, string> = {
  commander: 'Commander',
  communications: 'Communications lead',
  responder: 'Responder',
};

/** Commander and communications lead are held by one person; responders are many. */
export function isSingleHolder(role: Role): boolean {
  return role !== 'responder';
}

const ALIASES: Record<string, Role> = {
  commander: 'commander',
  ic: 'commander',
  'incident-commander': 'commander',
  lead: 'commander',
  communications: 'communications',
  comms: 'communications',
  cl: 'communications',
  responder: 'responder',
  responders: 'responder',
};

/** What a role may be, as refusals say it: "must be …", "Use …". */
export const ROLE_WORDS = 'commander (ic), communications (comms) or responder';

/** The one reading of a role word, for commands and chat options alike; undefined for anything else. */
export function toRole(input: string): Role | undefined {
  const key = input.trim().toLowerCase();
  // Own keys only: `constructor` or `__proto__` must not resolve through Object.prototype.
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

export function parseRole(input: string): Role {
  const role = toRole(input);
  if (role) return role;
  throw new BotError('bot.role.unknown', `Unknown role "${input}".`, { hint: `Use ${ROLE_WORDS}.` });
}
