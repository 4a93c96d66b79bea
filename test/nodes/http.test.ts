import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import {
  createHttpAdapter,
  DIAGNOSTIC_UNAVAILABLE,
  type HttpAdapterInput,
  type HttpNodeAdapter,
} from '../../src/nodes/http/index.ts';
import { parseDockerPs } from '../../src/nodes/parse/docker.ts';
import { parseNvidiaSmiCsv } from '../../src/nodes/parse/nvidia-smi.ts';
import type { NodeAdapter } from '../../src/nodes/port.ts';
import { type FakeOrchestratorOptions, startFakeOrchestrator } from '../fakes/orchestrator/index.ts';
import { expectBotError, nodeAdapterContract } from './contract.ts';

const TOKEN = 'orch-token-4f9c2e7d1a';
const ENV = { ORCHESTRATOR_TOKEN: TOKEN };
const EVERY_PATH = {
  undrain: '/v2/nodes/{node}/undrain',
  workloads: '/v2/nodes/{node}/pools',
  restart: '/v2/nodes/{node}/pools/{workload}/restart',
  stop: '/v2/nodes/{node}/pools/{workload}/stop',
  logs: '/v2/nodes/{node}/pools/{workload}/logs',
} as const;

function deps(lines: string[] = []) {
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { clock: new ManualClock(), logger, env: ENV };
}

/** A fresh fake and an adapter on it; closing the adapter closes the fake. */
async function pair(
  adapter: Partial<HttpAdapterInput> = {},
  fake: Partial<FakeOrchestratorOptions> = {},
): Promise<NodeAdapter> {
  const f = await startFakeOrchestrator({ token: TOKEN, ...fake });
  const a = createHttpAdapter(
    { type: 'http', baseUrl: f.url, tokenEnv: 'ORCHESTRATOR_TOKEN', ...adapter },
    deps(),
  );
  return {
    ...a,
    close: async () => {
      await a.close();
      await f.close();
    },
  };
}

nodeAdapterContract('http (default paths)', () => pair());
nodeAdapterContract('http (every path configured)', () => pair({ refreshMs: 0, paths: EVERY_PATH }));
nodeAdapterContract('http (undrain as DELETE on the drain path)', () =>
  pair({ refreshMs: 0, paths: { undrain: { method: 'DELETE', path: '/v2/nodes/{node}/drain' } } }),
);
nodeAdapterContract('http (orchestratord as its code is: list only, drain by deregistration)', () =>
  pair({ refreshMs: 0, paths: { node: null, drain: null } }, { style: 'orchestratord' }),
);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function setup(adapter: Partial<HttpAdapterInput> = {}, fake: Partial<FakeOrchestratorOptions> = {}) {
  const f = await startFakeOrchestrator({ token: TOKEN, ...fake });
  closers.push(() => f.close());
  const lines: string[] = [];
  const a: HttpNodeAdapter = createHttpAdapter(
    { type: 'http', baseUrl: f.url, tokenEnv: 'ORCHESTRATOR_TOKEN', refreshMs: 0, ...adapter },
    deps(lines),
  );
  closers.push(() => a.close());
  return { fake: f, adapter: a, lines };
}

describe('http adapter against the fake orchestrator', () => {
  it('maps the registry: online → ready, draining → cordoned, offline → not_ready, GPUs from capabilities', async () => {
    const { adapter } = await setup();
    const nodes = await adapter.listNodes();
    expect(nodes.map((n) => [n.name, n.state, n.gpus])).toEqual([
      ['gpu-node-1', 'ready', 8],
      ['gpu-node-2', 'ready', 8],
      ['gpu-node-3', 'not_ready', 8],
      ['gpu-node-4', 'cordoned', 4],
    ]);
    expect(nodes[0]?.labels).toEqual({ rack: 'r1', machine: 'machine-gpu-node-1', version: '0.1.0' });
    expect(nodes.every((n) => n.adapter === 'http')).toBe(true);
  });

  it('a node both draining and offline is not ready, and its drain plan knows it is cordoned', async () => {
    const { adapter } = await setup(
      {},
      { nodes: [{ id: 'gpu-node-7', online: false, draining: true, pools: [{ id: 'pool-0' }] }] },
    );
    expect((await adapter.listNodes()).map((n) => n.state)).toEqual(['not_ready']);
    const plan = await adapter.planDrain('gpu-node-7');
    expect(plan).toMatchObject({ alreadyCordoned: true, evict: [] });
    expect(plan.skip.map((s) => [s.workload.id, s.workload.state])).toEqual([
      ['gpu-node-7/pool-0', 'exited'],
    ]);
  });

  it('follows heartbeats: an offline node that heartbeats again is ready', async () => {
    const { fake, adapter } = await setup();
    expect((await adapter.health('gpu-node-3')).state).toBe('not_ready');
    const res = await fetch(`${fake.url}/v2/nodes/gpu-node-3/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        timestamp: new Date().toISOString(),
        pools: [{ pool_id: 'pool-0', ready: true }],
      }),
    });
    expect(res.status).toBe(200);
    expect((await adapter.health('gpu-node-3')).state).toBe('ready');
    expect((await adapter.listWorkloads('gpu-node-3')).map((w) => w.state)).toEqual(['running']);
  });

  it('reads orchestratord records as its code writes them (status enum, pools as ids)', async () => {
    const { adapter } = await setup({ paths: { node: null } }, { style: 'orchestratord' });
    const nodes = await adapter.listNodes();
    // orchestratord lists online nodes only.
    expect(nodes.map((n) => [n.name, n.state])).toEqual([
      ['gpu-node-1', 'ready'],
      ['gpu-node-2', 'ready'],
    ]);
    const workloads = await adapter.listWorkloads('gpu-node-1');
    expect(workloads.map((w) => [w.id, w.state])).toEqual([
      ['gpu-node-1/pool-0', 'running'],
      ['gpu-node-1/pool-1', 'running'],
    ]);
  });

  it('lists the fleet at start so hasNode knows it, and stops polling on close', async () => {
    const { fake, adapter } = await setup({ refreshMs: 60_000 });
    await vi.waitFor(() => expect(adapter.hasNode('gpu-node-3')).toBe(true));
    expect(adapter.hasNode('gpu-node-9')).toBe(false);
    await adapter.close();
    const seen = fake.requests.length;
    await expectBotError(adapter.listNodes(), 'bot.node.closed');
    expect(fake.requests.length).toBe(seen);
  });

  it('treats a node whose heartbeat is older than staleAfterMs as not ready', async () => {
    const { fake, adapter } = await setup();
    fake.node('gpu-node-1').lastHeartbeatAt = Date.now() - 60_000;
    expect((await adapter.health('gpu-node-1')).state).toBe('not_ready');
    const { fake: f2, adapter: trusting } = await setup({ staleAfterMs: 0 });
    f2.node('gpu-node-1').lastHeartbeatAt = Date.now() - 60_000;
    expect((await trusting.health('gpu-node-1')).state).toBe('ready');
  });

  it('reports health from the node record: GPU inventory, RAM, time since registration', async () => {
    const { adapter } = await setup();
    const h = await adapter.health('gpu-node-1');
    expect(h.state).toBe('ready');
    expect(h.memoryTotalMiB).toBe(512 * 1024);
    expect(h.uptimeSeconds).toBeGreaterThanOrEqual(3 * 86_400 - 5);
    expect(h.gpus).toHaveLength(8);
    expect(h.gpus[0]).toMatchObject({ index: 0, name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81_920 });
    expect(h.gpus.every((g) => g.responding)).toBe(true);
  });

  it('answers gpu and containers from the API and says plainly which diagnostics need a shell', async () => {
    const { adapter } = await setup();
    const gpu = await adapter.diagnose('gpu-node-1', 'gpu');
    expect(gpu.exitCode).toBe(0);
    const rows = parseNvidiaSmiCsv(gpu.stdout);
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatchObject({
      temperatureC: null,
      eccUncorrected: null,
      memoryTotalMiB: 81_920,
      responding: true,
    });

    const pools = await adapter.diagnose('gpu-node-2', 'containers');
    expect(pools.exitCode).toBe(0);
    expect(parseDockerPs(pools.stdout).map((c) => [c.name, c.state])).toEqual([
      ['pool-0', 'running'],
      ['pool-1', 'unknown'],
    ]);
    expect(pools.stdout).toContain('engine llamacpp');

    for (const id of ['xid', 'oom', 'nccl-port', 'container-restarts', 'memory', 'uptime'] as const) {
      const r = await adapter.diagnose('gpu-node-1', id);
      expect(r.exitCode, id).toBe(DIAGNOSTIC_UNAVAILABLE);
      expect(r.stdout, id).toBe('');
      expect(r.stderr, id).toContain('needs a shell on gpu-node-1');
      expect(r.command, id).toMatch(/^not run/);
    }
    expect((await adapter.diagnose('gpu-node-1', 'uptime')).stderr).toMatch(/last heartbeat \d+ s ago/);
    expect((await adapter.diagnose('gpu-node-1', 'memory')).stderr).toContain('512 GiB of RAM');
  });

  it('declares only the capabilities its paths allow', async () => {
    const { adapter: defaults } = await setup();
    expect([...defaults.capabilities].sort()).toEqual([
      'cordon',
      'diagnose',
      'drain',
      'health',
      'list',
      'workloads',
    ]);
    await expectBotError(defaults.uncordon('gpu-node-4'), 'bot.node.unsupported');
    await expectBotError(defaults.restartWorkload('gpu-node-1/pool-0'), 'bot.node.unsupported');

    const { adapter: readOnly } = await setup({ paths: { drain: null, deregister: null } });
    expect(readOnly.capabilities.has('drain')).toBe(false);
    expect(readOnly.capabilities.has('cordon')).toBe(false);
    await expectBotError(readOnly.drain('gpu-node-1'), 'bot.node.unsupported');

    const { adapter: full } = await setup({ paths: EVERY_PATH });
    expect(full.capabilities.size).toBe(10);
  });

  it('drains through the drain endpoint: one POST, with the bearer token, then idempotent', async () => {
    const { fake, adapter } = await setup();
    const r = await adapter.drain('gpu-node-1');
    expect(r.ok).toBe(true);
    expect(r.output).toContain('POST /v2/nodes/gpu-node-1/drain → 202');
    const posts = fake.requests.filter((q) => q.method === 'POST');
    expect(posts.map((q) => [q.url, q.authorization])).toEqual([['/v2/nodes/gpu-node-1/drain', 'valid']]);
    expect(fake.node('gpu-node-1').draining).toBe(true);

    const again = await adapter.drain('gpu-node-1');
    expect(again).toMatchObject({ ok: true, summary: expect.stringContaining('already draining') });
    expect(fake.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
  });

  it('drains by deregistration when no drain endpoint is configured, and forgets that once the node registers again', async () => {
    const { fake, adapter } = await setup({ paths: { node: null, drain: null } }, { style: 'orchestratord' });
    const plan = await adapter.planDrain('gpu-node-1');
    expect(plan.evict.map((w) => w.id)).toEqual(['gpu-node-1/pool-0', 'gpu-node-1/pool-1']);

    const r = await adapter.drain('gpu-node-1');
    expect(r.ok).toBe(true);
    expect(r.summary).toContain('deregistering');
    expect(fake.requests.filter((q) => q.method === 'DELETE').map((q) => q.url)).toEqual([
      '/v2/nodes/gpu-node-1',
    ]);
    expect((await adapter.listNodes()).find((n) => n.name === 'gpu-node-1')?.state).toBe('cordoned');
    expect(adapter.hasNode('gpu-node-1')).toBe(true);

    // pool-managerd restarts and registers again.
    const res = await fetch(`${fake.url}/v2/nodes/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        node_id: 'gpu-node-1',
        machine_id: 'm',
        address: 'http://gpu-node-1:9200',
        pools: ['pool-0'],
        capabilities: {},
        version: '0.1.0',
      }),
    });
    expect(res.status).toBe(200);
    expect((await adapter.listNodes()).find((n) => n.name === 'gpu-node-1')?.state).toBe('ready');
  });

  it('restarts and stops a pool through the configured endpoints', async () => {
    const { fake, adapter } = await setup({ paths: EVERY_PATH });
    const r = await adapter.restartWorkload('gpu-node-2/pool-1');
    expect(r.ok).toBe(true);
    expect(fake.requests.at(-1)?.url).toBe('/v2/nodes/gpu-node-2/pools/pool-1/restart');
    expect((await adapter.listWorkloads('gpu-node-2')).find((w) => w.name === 'pool-1')).toMatchObject({
      state: 'running',
      restartCount: 1,
    });
    expect((await adapter.stopWorkload('gpu-node-2/pool-0')).ok).toBe(true);
    expect((await adapter.listWorkloads('gpu-node-2')).find((w) => w.name === 'pool-0')?.state).toBe(
      'exited',
    );

    const before = fake.requests.length;
    await expectBotError(adapter.restartWorkload('gpu-node-2'), 'bot.workload.invalid_id');
    await expectBotError(
      adapter.stopWorkload('gpu-node-2/../../v2/nodes/gpu-node-1'),
      'bot.workload.invalid_id',
    );
    expect(fake.requests.length).toBe(before);
  });

  it('reads a pool’s log only when paths.logs is configured, with ?tail=', async () => {
    const { fake: plain, adapter: defaults } = await setup();
    expect(defaults.capabilities.has('logs')).toBe(false);
    const seen = plain.requests.length;
    await expectBotError(defaults.workloadLogs('gpu-node-1/pool-0', 5), 'bot.node.unsupported');
    expect(plain.requests.length).toBe(seen);

    const { fake, adapter } = await setup({ paths: EVERY_PATH });
    const r = await adapter.workloadLogs('gpu-node-2/pool-1', 3);
    expect(r).toMatchObject({
      command: 'GET /v2/nodes/gpu-node-2/pools/pool-1/logs?tail=3',
      exitCode: 0,
      stderr: '',
      stdout:
        "llama_load_model_from_file: failed to load model '/models/llama-3.1-8b-instruct.Q8_0.gguf'\nmain: error: unable to load model\npool-managerd: engine for pool-1 exited with status 1; pool not ready\n",
    });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'GET',
      url: '/v2/nodes/gpu-node-2/pools/pool-1/logs?tail=3',
      authorization: 'valid',
      status: 200,
    });
    // A restart shows in the log.
    await adapter.restartWorkload('gpu-node-2/pool-1');
    expect((await adapter.workloadLogs('gpu-node-2/pool-1', 1)).stdout).toBe(
      'srv  update_slots: all slots are idle\n',
    );

    await expectBotError(adapter.workloadLogs('gpu-node-2/pool-9', 3), 'bot.workload.unknown');
    await expectBotError(adapter.workloadLogs('gpu-node-9/pool-0', 3), 'bot.workload.unknown');
    const before = fake.requests.length;
    await expectBotError(adapter.workloadLogs('gpu-node-2/../x', 3), 'bot.workload.invalid_id');
    await expectBotError(adapter.workloadLogs('gpu-node-2/pool-1', 0), 'bot.workload.invalid_tail');
    await expectBotError(adapter.workloadLogs('gpu-node-2/pool-1', 5000), 'bot.workload.invalid_tail');
    expect(fake.requests.length).toBe(before);
  });

  it('reads a text/plain log too, cuts it to `tail` lines, and redacts the token if it shows up', async () => {
    const { adapter } = await setup(
      { paths: { logs: '/v2/nodes/{node}/pools/{workload}/logs' } },
      {
        logFormat: 'text',
        nodes: [
          {
            id: 'gpu-node-1',
            pools: [{ id: 'pool-0', logs: ['one', `auth with Bearer ${TOKEN}`, 'three', 'four'] }],
          },
        ],
      },
    );
    expect([...adapter.capabilities].sort()).toContain('logs');
    const r = await adapter.workloadLogs('gpu-node-1/pool-0', 3);
    expect(r.stdout).toBe('auth with Bearer [redacted]\nthree\nfour\n');
  });

  it('lists workloads across the fleet in a stable order', async () => {
    const { adapter } = await setup({ paths: EVERY_PATH });
    const all = await adapter.listWorkloads();
    expect(all.map((w) => `${w.id}:${w.state}`)).toEqual([
      'gpu-node-1/pool-0:running',
      'gpu-node-1/pool-1:running',
      'gpu-node-2/pool-0:running',
      'gpu-node-2/pool-1:exited',
      'gpu-node-3/pool-0:exited',
      'gpu-node-4/pool-0:stopped',
    ]);
  });
});
