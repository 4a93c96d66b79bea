import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/core/roles.ts';
import { isSingleHolder, parseRole, ROLES } from '../../src/core/roles.ts';
import { catchBotError } from './fixtures.ts';

describe('isSingleHolder', () => {
  it.each([
    ['commander', true],
    ['communications', true],
    ['responder', false],
  ] as const)('%s: %s', (role, single) => {
    expect(isSingleHolder(role)).toBe(single);
  });
});

describe('parseRole', () => {
  it.each([
    ['commander', 'commander'],
    ['ic', 'commander'],
    ['IC', 'commander'],
    ['incident-commander', 'commander'],
    ['lead', 'commander'],
    ['  Commander ', 'commander'],
    ['communications', 'communications'],
    ['comms', 'communications'],
    ['cl', 'communications'],
    ['COMMS', 'communications'],
    ['responder', 'responder'],
    ['responders', 'responder'],
    ['Responder\n', 'responder'],
  ] as [string, Role][])('parses %j as %s', (input, role) => {
    expect(parseRole(input)).toBe(role);
  });

  it.each(['', 'boss', 'incident commander', 'comm', 'scribe', 'toString', 'hasOwnProperty'])(
    'refuses %j with bot.role.unknown',
    (input) => {
      const err = catchBotError(() => parseRole(input));
      expect(err.code).toBe('bot.role.unknown');
      expect(err.message).toBe(`Unknown role "${input}".`);
      expect(err.hint).toBe('Use commander (ic), communications (comms) or responder.');
    },
  );

  // Regression: ALIASES was once a plain object lookup, so keys inherited from
  // Object.prototype resolve to truthy non-roles: parseRole('constructor') returns the Object
  // function and parseRole('__proto__') returns Object.prototype instead of throwing.
  it.each(['constructor', '__proto__', 'Constructor'])('refuses Object.prototype key %j', (input) => {
    const err = catchBotError(() => parseRole(input));
    expect(err.code).toBe('bot.role.unknown');
  });

  it('only ever returns one of ROLES', () => {
    for (const input of ['constructor', '__proto__', 'valueOf', 'isPrototypeOf', 'ic', 'comms']) {
      let result: unknown;
      try {
        result = parseRole(input);
      } catch {
        continue;
      }
      expect(ROLES).toContain(result);
    }
  });
});
