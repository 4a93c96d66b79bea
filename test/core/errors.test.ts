import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  BotError,
  describeError,
  ERROR_CODES,
  ERROR_KINDS,
  type ErrorCode,
  errorKind,
  isBotError,
  isNetworkError,
  kindOfHttpStatus,
} from '../../src/core/errors.ts';

describe('BotError', () => {
  it('carries code, kind, message, hint and name', () => {
    const err = new BotError('bot.incident.closed', 'INC-1 is closed.', { hint: 'Declare a new one.' });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BotError');
    expect(err.code).toBe('bot.incident.closed');
    expect(err.kind).toBe('conflict');
    expect(err.message).toBe('INC-1 is closed.');
    expect(err.hint).toBe('Declare a new one.');
    expect(err.platformCode).toBeUndefined();
    expect(err.cause).toBeUndefined();
    expect('cause' in err).toBe(false);
  });

  it('takes its kind from the code table, or from an adapter that maps a platform error', () => {
    expect(new BotError('bot.node.unknown', 'x').kind).toBe('not_found');
    expect(new BotError('bot.outbox.not_ready', 'x').kind).toBe('unavailable');
    expect(new BotError('bot.chat.not_started', 'x').kind).toBe('unavailable');
    const limited = new BotError('bot.slack.api_error', 'x', {
      kind: 'rate_limited',
      platformCode: 'ratelimited',
    });
    expect(limited).toMatchObject({
      code: 'bot.slack.api_error',
      kind: 'rate_limited',
      platformCode: 'ratelimited',
    });
  });

  it('has no hint when none is given', () => {
    expect(new BotError('bot.command.unknown', 'x').hint).toBeUndefined();
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    const err = new BotError('bot.node.unreachable', 'x', { cause });
    expect(err.cause).toBe(cause);
  });

  it('keeps a falsy cause other than undefined', () => {
    const err = new BotError('bot.node.unreachable', 'x', { cause: 0 });
    expect('cause' in err).toBe(true);
    expect(err.cause).toBe(0);
  });

  it('accepts only the codes of the table, checked by the compiler', () => {
    expectTypeOf<'bot.incident.not_found'>().toExtend<ErrorCode>();
    expectTypeOf<'bot.incident.nope'>().not.toExtend<ErrorCode>();
    // @ts-expect-error: a code that is not in ERROR_CODES does not compile.
    const unknown = new BotError('bot.incident.nope', 'x');
    // At run time it has no kind to take: the compiler is what keeps it out.
    expect(unknown.kind).toBeUndefined();
  });

  it('gives every code one of the kinds', () => {
    for (const [code, kind] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^bot\.[a-z]+\.[a-z0-9_]+$/);
      expect(ERROR_KINDS).toContain(kind);
    }
  });
});

describe('isBotError and errorKind', () => {
  it.each([
    [new BotError('bot.command.unknown', 'x'), true],
    [new Error('x'), false],
    [{ code: 'bot.command.unknown', message: 'x', name: 'BotError' }, false],
    ['bot.command.unknown', false],
    [null, false],
    [undefined, false],
  ])('isBotError(%o) is %s', (value, expected) => {
    expect(isBotError(value)).toBe(expected);
  });

  it('calls anything that is not a BotError internal: a bug', () => {
    expect(errorKind(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe('internal');
    expect(errorKind('a string')).toBe('internal');
    expect(errorKind(new BotError('bot.node.timeout', 'x'))).toBe('unavailable');
  });
});

describe('describeError', () => {
  const err = new BotError('bot.incident.closed', 'INC-1 is closed and can no longer change.', {
    hint: 'Declare a new incident if the problem is back.',
  });

  it('shows a BotError’s message, with its hint on its own line or inline when asked', () => {
    expect(describeError(err)).toBe('INC-1 is closed and can no longer change.');
    expect(describeError(err, { hint: 'line' })).toBe(
      'INC-1 is closed and can no longer change.\nDeclare a new incident if the problem is back.',
    );
    expect(describeError(err, { hint: 'inline' })).toBe(
      'INC-1 is closed and can no longer change. Declare a new incident if the problem is back.',
    );
  });

  it('never shows what a non-BotError says, nor its stack', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'channelId')");
    for (const e of [bug, new Error('SQLITE_BUSY: database is locked at /var/lib/bot.db'), 'boom', null]) {
      const text = describeError(e, { hint: 'line', ref: 'abc123' });
      expect(text).toBe("Something went wrong on the bot's side (ref abc123); the log has the details.");
    }
    expect(describeError(bug)).not.toContain('channelId');
    expect(describeError(bug)).not.toContain('at ');
  });
});

describe('kindOfHttpStatus and isNetworkError', () => {
  it.each([
    [400, 'invalid'],
    [401, 'forbidden'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [409, 'conflict'],
    [408, 'unavailable'],
    [422, 'invalid'],
    [429, 'rate_limited'],
    [500, 'unavailable'],
    [503, 'unavailable'],
  ] as const)('HTTP %i is %s', (status, kind) => {
    expect(kindOfHttpStatus(status)).toBe(kind);
  });

  it('tells a request that got no answer from a bug', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isNetworkError(reset)).toBe(true);
    expect(isNetworkError(new TypeError('fetch failed', { cause: reset }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))).toBe(
      true,
    );
    expect(isNetworkError(new DOMException('The operation was aborted.', 'AbortError'))).toBe(true);
    expect(isNetworkError(new DOMException('The operation timed out.', 'TimeoutError'))).toBe(true);
    expect(isNetworkError(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isNetworkError(new Error('ECONNRESET in a message alone is not a network error'))).toBe(false);
    expect(isNetworkError(undefined)).toBe(false);
  });
});
