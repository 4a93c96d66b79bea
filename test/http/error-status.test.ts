import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotError, type ErrorCode, type ErrorKind } from '../../src/core/index.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';

/** One code of each kind, as handlers raise them. */
const BY_KIND: readonly [ErrorKind, ErrorCode, number][] = [
  ['invalid', 'bot.http.bad_query', 400],
  ['not_found', 'bot.incident.not_found', 404],
  ['forbidden', 'bot.chat.forbidden', 403],
  ['conflict', 'bot.chat.archived', 409],
  ['unavailable', 'bot.chat.not_started', 503],
  ['internal', 'bot.store.migration_failed', 500],
];

describe('HTTP status by error kind', () => {
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const router = new Router();
    for (const [kind, code] of BY_KIND) {
      router.on('GET', `/test/${kind}`, async () => {
        throw new BotError(code, `A ${kind} error.`);
      });
    }
    // An adapter's mapped error: one code, the kind it was given.
    router.on('GET', '/test/rate_limited', async () => {
      throw new BotError('bot.slack.api_error', 'Slack refused chat.postMessage: ratelimited.', {
        kind: 'rate_limited',
        platformCode: 'ratelimited',
      });
    });
    router.on('GET', '/test/too_large', async () => {
      throw new BotError('bot.http.too_large', 'The request body is over 10 bytes.');
    });
    router.on('GET', '/test/content_type', async () => {
      throw new BotError('bot.http.content_type', 'Send JSON.');
    });
    const server = createHttpServer({ router, logger: createLogger('silent'), apiToken: undefined });
    ({ url } = await listen(server, 0, '127.0.0.1'));
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => close());

  it.each(BY_KIND)('answers %s (%s) with %i and the error body', async (kind, code, status) => {
    const res = await fetch(`${url}/test/${kind}`);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: `A ${kind} error.` } });
  });

  it('answers rate_limited with 429, by the kind an adapter gave', async () => {
    const res = await fetch(`${url}/test/rate_limited`);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bot.slack.api_error');
  });

  it('keeps 413 and 415 for the body refusals HTTP has its own statuses for', async () => {
    expect((await fetch(`${url}/test/too_large`)).status).toBe(413);
    expect((await fetch(`${url}/test/content_type`)).status).toBe(415);
  });
});
