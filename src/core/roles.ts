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

export function parseRole(input: string): Role {
  const key = input.trim().toLowerCase();
  // Own keys only: `constructor` or `__proto__` must not resolve through Object.prototype.
  if (Object.hasOwn(ALIASES, key)) return ALIASES[key]!;
  throw new BotError('bot.role.unknown', `Unknown role "${input}".`, {
    hint: 'Use commander (ic), comms (communications lead) or responder.',
  });
}
