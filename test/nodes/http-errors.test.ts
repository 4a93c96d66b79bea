import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import type { BotError } from '../../src/core/errors.ts';
import {
  createHttpAdapter,
  type HttpAdapterInput,
  type HttpNodeAdapter,
} from '../../src/nodes/http/index.ts';
import { type FakeOrchestratorOptions, startFakeOrchestrator } from '../fakes/orchestrator/index.ts';
import { expectBotError } from './contract.ts';

const TOKEN = 'orch-token-4f9c2e7d1a';
const WRONG = 'not-the-token-88b1c0';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function setup(
  adapter: Partial<HttpAdapterInput> = {},
  fake: Partial<FakeOrchestratorOptions> = {},
  env: Record<string, string | undefined> = { ORCHESTRATOR_TOKEN: TOKEN },
) {
  const f = await startFakeOrchestrator({ token: TOKEN, ...fake });
  closers.push(() => f.close());
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const a: HttpNodeAdapter = createHttpAdapter(
    { type: 'http', baseUrl: f.url, tokenEnv: 'ORCHESTRATOR_TOKEN', refreshMs: 0, ...adapter },
    { clock: new ManualClock(), logger, env },
  );
  closers.push(() => a.close());
  return { fake: f, adapter: a, lines };
}

/** Everything about an error a person or a log could see. */
function visible(err: BotError): string {
  const cause =
    err.cause instanceof Error ? `${err.cause.message} ${String(err.cause.cause ?? '')}` : String(err.cause);
  return `${err.message} ${err.hint} ${cause} ${err.stack}`;
}

describe('http adapter: authentication', () => {
  it('a wrong token is a clear 401 naming the variable, never the token', async () => {
    const { fake, adapter, lines } = await setup({}, {}, { ORCHESTRATOR_TOKEN: WRONG });
    const err = await expectBotError(adapter.listNodes(), 'bot.node.unauthorized');
    expect(err.message).toContain('ORCHESTRATOR_TOKEN');
    expect(err.message).toContain('401');
    expect(err.message).toContain('GET /v2/nodes');
    expect(visible(err)).not.toContain(WRONG);
    expect(visible(err)).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(WRONG);
    expect(fake.requests.at(-1)?.authorization).toBe('invalid');
  });

  it('a wrong token on a change throws too (it is configuration, not the control plane saying no)', async () => {
    // orchestratord checks the token on changes only: the read before the drain passes.
    const { fake, adapter } = await setup({}, { authReads: false }, { ORCHESTRATOR_TOKEN: WRONG });
    const err = await expectBotError(adapter.cordon('gpu-node-1'), 'bot.node.unauthorized');
    expect(err.message).toContain('POST /v2/nodes/gpu-node-1/drain');
    expect(visible(err)).not.toContain(WRONG);
    expect(fake.node('gpu-node-1').draining).toBe(false);
  });

  it('a 403 says the token may not do that request', async () => {
    const { fake, adapter } = await setup();
    fake.inject({
      method: 'POST',
      path: '/v2/nodes/gpu-node-1/drain',
      fault: { kind: 'status', status: 403 },
    });
    const err = await expectBotError(adapter.drain('gpu-node-1'), 'bot.node.forbidden');
    expect(err.message).toContain('POST /v2/nodes/gpu-node-1/drain');
    expect(err.message).toContain('ORCHESTRATOR_TOKEN');
  });

  it('without tokenEnv, a 401 says to configure one', async () => {
    const { adapter } = await setup({ tokenEnv: undefined });
    const err = await expectBotError(adapter.listNodes(), 'bot.node.unauthorized');
    expect(err.hint).toContain('tokenEnv');
  });

  it('refuses to start when the variable named by tokenEnv is unset, naming it', async () => {
    const f = await startFakeOrchestrator({ token: TOKEN });
    closers.push(() => f.close());
    const logger = pino({ level: 'silent' });
    expect(() =>
      createHttpAdapter(
        { type: 'http', baseUrl: f.url, tokenEnv: 'ORCHESTRATOR_TOKEN' },
        { clock: new ManualClock(), logger, env: {} },
      ),
    ).toThrow(/ORCHESTRATOR_TOKEN.*not set/);
  });

  it('never follows a redirect (the token would go with it)', async () => {
    const other = await startFakeOrchestrator({ token: TOKEN });
    closers.push(() => other.close());
    const { fake, adapter } = await setup();
    fake.inject({ path: '/v2/nodes', fault: { kind: 'redirect', location: `${other.url}/v2/nodes` } });
    const err = await expectBotError(adapter.listNodes(), 'bot.node.api_error');
    expect(err.message).toContain('302');
    expect(other.requests).toEqual([]);
  });
});

describe('http adapter: what the control plane sends back', () => {
  it('malformed JSON is a clear error naming the endpoint', async () => {
    const { fake, adapter } = await setup();
    fake.inject({ path: '/v2/nodes', fault: { kind: 'malformed' } });
    const err = await expectBotError(adapter.listNodes(), 'bot.node.api_error');
    expect(err.message).toContain('GET /v2/nodes');
    expect(err.message).toContain('not valid JSON');
  });

  it('JSON of the wrong shape names the field', async () => {
    const { fake, adapter } = await setup();
    fake.inject({ path: '/v2/nodes', fault: { kind: 'wrong-shape' } });
    const err = await expectBotError(adapter.listNodes(), 'bot.node.api_error');
    expect(err.message).toContain('GET /v2/nodes');
    expect(err.message).toContain('nodes[0].online');
  });

  it('an empty 200 is an error, not an empty fleet', async () => {
    const { fake, adapter } = await setup();
    fake.inject({ path: '/v2/nodes', fault: { kind: 'status', status: 200, body: '' } });
    const err = await expectBotError(adapter.listNodes(), 'bot.node.api_error');
    expect(err.message).toContain('empty body');
  });

  it('refuses a body over maxResponseBytes, streamed or declared', async () => {
    const { fake, adapter } = await setup({ maxResponseBytes: 64 * 1024 });
    fake.inject({ path: '/v2/nodes', times: 1, fault: { kind: 'oversize', bytes: 1024 * 1024 } });
    const streamed = await expectBotError(adapter.listNodes(), 'bot.node.api_error');
    expect(streamed.message).toContain('larger than 65536 bytes');
    fake.inject({
      path: '/v2/nodes',
      times: 1,
      fault: { kind: 'oversize', bytes: 1024 * 1024, declared: true },
    });
    await expectBotError(adapter.listNodes(), 'bot.node.api_error');
    expect((await adapter.listNodes()).length).toBe(4);
  });

  it('leaves out names the bot cannot carry, with a warning', async () => {
    const { adapter, lines } = await setup(
      {},
      {
        nodes: [
          { id: 'gpu-node-1' },
          { id: 'bad name;rm -rf' },
          { id: 'gpu-node-2', pools: [{ id: '../x' }] },
        ],
      },
    );
    expect((await adapter.listNodes()).map((n) => n.name)).toEqual(['gpu-node-1', 'gpu-node-2']);
    expect(await adapter.listWorkloads('gpu-node-2')).toEqual([]);
    expect(lines.join('\n')).toContain('left out node \\"bad name;rm -rf\\"');
  });

  it('a 404 is an unknown node, with the way to list them', async () => {
    const { adapter } = await setup();
    const err = await expectBotError(adapter.health('gpu-node-77'), 'bot.node.unknown');
    expect(err.message).toContain('gpu-node-77');
    expect(err.hint).toContain('/node list');
    await expectBotError(adapter.health('../v2'), 'bot.node.invalid_name');
  });

  it('a 404 on a change for a node it listed is a failed result that suspects the path', async () => {
    const { adapter } = await setup({ paths: { drain: '/v2/nodes/{node}/drain-typo' } });
    await adapter.listNodes();
    const r = await adapter.drain('gpu-node-1');
    expect(r.ok).toBe(false);
    expect(r.summary).toContain('404');
    expect(r.summary).toContain('check paths.drain in the adapter config');
  });
});

describe('http adapter: failures of the control plane', () => {
  it('a slow endpoint is bot.node.timeout, on time', async () => {
    const { fake, adapter } = await setup({ timeoutMs: 200 });
    fake.inject({ path: '/v2/nodes', fault: { kind: 'delay', ms: 3000 } });
    const started = Date.now();
    const err = await expectBotError(adapter.listNodes(), 'bot.node.timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.message).toContain('GET /v2/nodes');
    expect(err.message).toContain('0.2 s');
  });

  it('a change that times out says it may or may not have happened', async () => {
    const { fake, adapter } = await setup({ timeoutMs: 200 });
    fake.inject({ method: 'POST', path: '/v2/nodes/gpu-node-1/drain', fault: { kind: 'hang' } });
    const err = await expectBotError(adapter.drain('gpu-node-1'), 'bot.node.timeout');
    expect(err.hint).toContain('may or may not');
  });

  it('a 5xx on a read is unreachable, with what the control plane said', async () => {
    const { fake, adapter } = await setup();
    fake.inject({
      path: '/v2/nodes',
      fault: { kind: 'status', status: 503, body: '{"error":"Cloud profile not enabled"}' },
    });
    const err = await expectBotError(adapter.listNodes(), 'bot.node.unreachable');
    expect(err.message).toContain('503');
    expect(err.message).toContain('Cloud profile not enabled');
  });

  it('a 5xx on a change is a failed result: the control plane said no', async () => {
    const { fake, adapter } = await setup();
    fake.inject({
      method: 'POST',
      path: '/v2/nodes/gpu-node-1/drain',
      fault: { kind: 'status', status: 500 },
    });
    const r = await adapter.drain('gpu-node-1');
    expect(r.ok).toBe(false);
    expect(r.summary).toContain('500');
    expect(r.output).toContain('POST /v2/nodes/gpu-node-1/drain → 500');
    expect((await adapter.listNodes()).find((n) => n.name === 'gpu-node-1')?.state).toBe('ready');
  });

  it('never repeats the token, even when the control plane echoes it', async () => {
    const { fake, adapter } = await setup();
    fake.inject({
      method: 'POST',
      path: '/v2/nodes/gpu-node-1/drain',
      fault: { kind: 'status', status: 500, body: JSON.stringify({ error: `bad header Bearer ${TOKEN}` }) },
    });
    const r = await adapter.drain('gpu-node-1');
    expect(r.ok).toBe(false);
    expect(`${r.summary} ${r.output}`).not.toContain(TOKEN);
    expect(r.output).toContain('Bearer [redacted]');
  });

  it('a read the control plane does not have (405) says to set the path to null', async () => {
    const { adapter } = await setup({}, { style: 'orchestratord' });
    const err = await expectBotError(adapter.health('gpu-node-1'), 'bot.node.api_error');
    expect(err.message).toContain('GET /v2/nodes/gpu-node-1');
    expect(err.message).toContain('405');
    expect(err.message).toContain('check paths.node');
  });

  it('a closed port is bot.node.unreachable naming the cause', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const { adapter } = await setup({ baseUrl: `http://127.0.0.1:${port}` });
    const err = await expectBotError(adapter.listNodes(), 'bot.node.unreachable');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.hint).toContain(`curl http://127.0.0.1:${port}/health`);
  });

  it('a dropped connection is bot.node.unreachable', async () => {
    const { fake, adapter } = await setup();
    fake.inject({ path: '/v2/nodes', fault: { kind: 'reset' } });
    await expectBotError(adapter.listNodes(), 'bot.node.unreachable');
  });

  it('the caller giving up mid-request is bot.node.aborted', async () => {
    const { fake, adapter } = await setup();
    fake.inject({ path: '/v2/nodes/gpu-node-1', fault: { kind: 'delay', ms: 3000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expectBotError(adapter.health('gpu-node-1', { signal: controller.signal }), 'bot.node.aborted');
  });

  it('reports the control plane’s own health endpoint', async () => {
    const { fake, adapter } = await setup();
    expect(await adapter.controlPlaneHealth()).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/^GET \/health → 200 OK/),
    });
    fake.inject({ path: '/health', fault: { kind: 'status', status: 503, body: 'down' } });
    expect(await adapter.controlPlaneHealth()).toMatchObject({
      ok: false,
      summary: expect.stringContaining('503'),
    });
  });
});
