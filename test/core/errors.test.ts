import { describe, expect, it } from 'vitest';
import { BotError, isBotError } from '../../src/core/errors.ts';

describe('BotError', () => {
  it('carries code, message, hint and name', () => {
    const err = new BotError('bot.test.code', 'Something went wrong.', { hint: 'Try again.' });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BotError');
    expect(err.code).toBe('bot.test.code');
    expect(err.message).toBe('Something went wrong.');
    expect(err.hint).toBe('Try again.');
    expect(err.cause).toBeUndefined();
    expect('cause' in err).toBe(false);
  });

  it('has no hint when none is given', () => {
    expect(new BotError('bot.x', 'x').hint).toBeUndefined();
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    const err = new BotError('bot.x', 'x', { cause });
    expect(err.cause).toBe(cause);
  });

  it('keeps a falsy cause other than undefined', () => {
    const err = new BotError('bot.x', 'x', { cause: 0 });
    expect('cause' in err).toBe(true);
    expect(err.cause).toBe(0);
  });
});

describe('isBotError', () => {
  it.each([
    [new BotError('bot.x', 'x'), true],
    [new Error('x'), false],
    [{ code: 'bot.x', message: 'x', name: 'BotError' }, false],
    ['bot.x', false],
    [null, false],
    [undefined, false],
  ])('isBotError(%o) is %s', (value, expected) => {
    expect(isBotError(value)).toBe(expected);
  });
});
