import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApi } from '../../src/http/api.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { type KyselyStore, openSqliteStore } from '../../src/store/index.ts';

describe('GET /api/incidents/:id/postmortem', () => {
  let store: KyselyStore;
  let close: () => Promise<void>;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    ({ store, close } = await openSqliteStore(':memory:'));
    const router = new Router();
    registerApi(router, { store });
    server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
    ({ url } = await listen(server, 0, '127.0.0.1'));
    await store.createIncident({
      id: 'inc-a',
      title: 'GPU node 5 fell off the bus',
      description: '',
      severity: 'SEV2',
      private: false,
      platform: 'sandbox',
      createdBy: 'alice',
      createdAt: new Date('2026-11-22T03:00:00Z'),
    });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await close();
  });

  it('answers 404 with a hint before there is a draft', async () => {
    const res = await fetch(`${url}/api/incidents/1/postmortem`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error).toEqual({
      code: 'bot.postmortem.not_found',
      message: 'INC-1 has no post-mortem draft yet.',
      hint: 'Run /incident postmortem in its channel (it is also drafted when the incident is resolved).',
    });
  });

  it('serves the latest draft as Markdown, or as JSON with how it was made', async () => {
    await store.putPostmortem({
      incidentId: 'inc-a',
      markdown: '# INC-1: GPU node 5 fell off the bus\n',
      source: 'deterministic',
      model: null,
      note: 'no OPENAI_API_KEY',
      promptTokens: null,
      createdAt: new Date('2026-11-22T04:00:00Z'),
    });
    const res = await fetch(`${url}/api/incidents/INC-1/postmortem`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('inline; filename="INC-1-postmortem.md"');
    expect(await res.text()).toBe('# INC-1: GPU node 5 fell off the bus\n');
    const json = (await (await fetch(`${url}/api/incidents/inc-a/postmortem?format=json`)).json()) as any;
    expect(json.postmortem).toMatchObject({ source: 'deterministic', note: 'no OPENAI_API_KEY', version: 1 });
    expect((await fetch(`${url}/api/incidents/9/postmortem`)).status).toBe(404);
  });
});
