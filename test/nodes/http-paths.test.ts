import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { BotError } from '../../src/core/errors.ts';
import {
  createHttpAdapter,
  expandPath,
  type HttpNodeAdapter,
  httpAdapterOptions,
} from '../../src/nodes/http/index.ts';
import { type FakeOrchestrator, startFakeOrchestrator } from '../fakes/orchestrator/index.ts';

const TOKEN = 'orch-token-4f9c2e7d1a';
const BASE = 'http://orchestrator.test:8080/api';

/** Text from chat, weighted towards what could break out of a path segment. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/),
  fc
    .array(
      fc.constantFrom(
        '/',
        '?',
        '#',
        '..',
        '.',
        '%2e',
        '%2F',
        '%',
        '\\',
        ' ',
        '{node}',
        'gpu-node-1',
        'a',
        '\u0000',
        '\n',
        'é',
        '\ud800',
        '&x=1',
        ';',
      ),
      { minLength: 1, maxLength: 8 },
    )
    .map((parts) => parts.join('')),
);

/** The request path must be the template with one segment carrying exactly `value`. */
function expectOneSegment(path: string, prefix: string[], value: string, suffix: string[]): void {
  expect(path).not.toMatch(/[?#]/);
  const segments = path.split('/').slice(1);
  expect(segments).toHaveLength(prefix.length + 1 + suffix.length);
  expect(segments.slice(0, prefix.length)).toEqual(prefix);
  expect(segments.slice(prefix.length + 1)).toEqual(suffix);
  const segment = segments[prefix.length]!;
  expect(segment).not.toMatch(/^(\.|%2e){1,2}$/i);
  expect(decodeURIComponent(segment)).toBe(value);
}

describe('path templates', () => {
  it('put any value into exactly one segment, or refuse it', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        let path: string;
        try {
          path = expandPath('/v2/nodes/{node}/drain', { node: value });
        } catch (err) {
          expect(err).toBeInstanceOf(BotError);
          expect((err as BotError).code).toBe('bot.node.invalid_name');
          return;
        }
        expectOneSegment(path, ['v2', 'nodes'], value, ['drain']);
        // What fetch would send: the URL parser must not fold or cut anything.
        expect(new URL(`${BASE}${path}`).pathname).toBe(`/api${path}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuse exactly the values no segment can carry', () => {
    for (const v of ['', '.', '..', '\ud800']) {
      expect(() => expandPath('/v2/nodes/{node}', { node: v })).toThrow(BotError);
    }
    expect(expandPath('/v2/nodes/{node}', { node: '...' })).toBe('/v2/nodes/...');
    expect(expandPath('/v2/nodes/{node}/pools/{workload}', { node: 'a/b', workload: '?' })).toBe(
      '/v2/nodes/a%2Fb/pools/%3F',
    );
  });
});

describe('http adapter options', () => {
  const parse = (v: Record<string, unknown>) =>
    httpAdapterOptions.safeParse({ type: 'http', baseUrl: BASE, ...v });
  const problems = (v: Record<string, unknown>) => {
    const r = parse(v);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('defaults to the reference orchestrator', () => {
    const o = httpAdapterOptions.parse({ type: 'http', baseUrl: 'http://orchestratord:8080/' });
    expect(o).toMatchObject({ name: 'http', baseUrl: 'http://orchestratord:8080', timeoutMs: 10_000 });
    expect(o.paths).toEqual({
      nodes: { method: 'GET', path: '/v2/nodes' },
      node: { method: 'GET', path: '/v2/nodes/{node}' },
      health: { method: 'GET', path: '/health' },
      drain: { method: 'POST', path: '/v2/nodes/{node}/drain' },
      deregister: { method: 'DELETE', path: '/v2/nodes/{node}' },
    });
    // Parsed options parse again to themselves (the composition root may validate first).
    expect(httpAdapterOptions.parse(o)).toEqual(o);
  });

  it('takes { method, path } for changes and null for endpoints the control plane lacks', () => {
    const o = httpAdapterOptions.parse({
      type: 'http',
      baseUrl: BASE,
      paths: { undrain: { method: 'DELETE', path: '/v2/nodes/{node}/drain' }, drain: null, node: null },
    });
    expect(o.paths.undrain).toEqual({ method: 'DELETE', path: '/v2/nodes/{node}/drain' });
    expect(o.paths.drain).toBeNull();
    expect(o.paths.node).toBeNull();
  });

  it('takes an optional logs path, a GET with {workload}, the tail added as a query by the adapter', () => {
    const o = httpAdapterOptions.parse({
      type: 'http',
      baseUrl: BASE,
      paths: { logs: '/v2/nodes/{node}/pools/{workload}/logs' },
    });
    expect(o.paths.logs).toEqual({ method: 'GET', path: '/v2/nodes/{node}/pools/{workload}/logs' });
    expect(httpAdapterOptions.parse(o)).toEqual(o);
    expect(problems({ paths: { logs: '/v2/nodes/{node}/logs' } })).toEqual([
      'paths.logs: must contain {workload}',
    ]);
    expect(problems({ paths: { logs: '/v2/pools/{workload}/logs?tail=10' } })[0]).toContain('without ? or #');
    expect(problems({ paths: { logs: { method: 'POST', path: '/v2/pools/{workload}/logs' } } })).not.toEqual(
      [],
    );
    expect(problems({ paths: { logs: null } })).toEqual([]);
  });

  it('refuses templates that could go astray', () => {
    expect(problems({ paths: { drain: '/v2/nodes/drain' } })).toEqual(['paths.drain: must contain {node}']);
    expect(problems({ paths: { drain: '/v2/{host}/{node}' } })[0]).toContain('unknown placeholder {host}');
    expect(problems({ paths: { nodes: '/v2/nodes/{node}' } })[0]).toContain('allowed here: none');
    expect(problems({ paths: { restart: '/v2/nodes/{node}' } })).toEqual([
      'paths.restart: must contain {workload}',
    ]);
    expect(problems({ paths: { drain: '/v2/nodes/{node}?force=1' } })[0]).toContain('without ? or #');
    expect(problems({ paths: { drain: '/v2/../nodes/{node}' } })).toEqual([
      'paths.drain: must not contain . or .. segments',
    ]);
    expect(problems({ paths: { drain: 'v2/nodes/{node}' } })).toHaveLength(1);
    expect(problems({ paths: { nodes: { method: 'POST', path: '/v2/nodes' } } })).toHaveLength(1);
    expect(problems({ paths: { cordon: '/v2/nodes/{node}/cordon' } })[0]).toContain('cordon');
  });

  it('refuses a token where the name of its variable belongs, without repeating it', () => {
    const pasted = 'a8f3e1c07b9d42e6a1f0c3b5d7e9f1a2';
    const found = problems({ tokenEnv: pasted });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('not the token itself');
    expect(found.join()).not.toContain(pasted);
  });

  it('refuses credentials in baseUrl, without repeating them', () => {
    const found = problems({ baseUrl: 'http://admin:hunter22@orchestrator:8080' });
    expect(found).toEqual([
      'baseUrl: must not contain credentials; put the token in the variable named by tokenEnv',
    ]);
    expect(problems({ baseUrl: 'ftp://orchestrator' })).toEqual([
      'baseUrl: must be an http:// or https:// URL',
    ]);
    expect(problems({ baseUrl: 'http://orchestrator:8080/?x=1' })).toHaveLength(1);
    expect(problems({ timeoutMs: 0 })).toHaveLength(1);
    expect(problems({ colour: 'blue' })[0]).toContain('colour');
  });
});

describe('http adapter: chat text never steers a request', () => {
  let fake: FakeOrchestrator;
  let adapter: HttpNodeAdapter;
  beforeAll(async () => {
    fake = await startFakeOrchestrator({ token: TOKEN });
    adapter = createHttpAdapter(
      {
        type: 'http',
        baseUrl: fake.url,
        tokenEnv: 'ORCHESTRATOR_TOKEN',
        refreshMs: 0,
        paths: { restart: '/v2/nodes/{node}/pools/{workload}/restart', workloads: '/v2/nodes/{node}/pools' },
      },
      { clock: new ManualClock(), logger: pino({ level: 'silent' }), env: { ORCHESTRATOR_TOKEN: TOKEN } },
    );
  });
  afterAll(async () => {
    await adapter.close();
    await fake.close();
  });

  type Shape = readonly [prefix: string[], suffix: string[]];

  /** Whether `url` is one of the shapes with `value` as its one variable segment. */
  function fits(url: string, value: string, [prefix, suffix]: Shape): boolean {
    if (/[?#]/.test(url)) return false;
    const segments = url.split('/').slice(1);
    const segment = segments[prefix.length];
    return (
      segment !== undefined &&
      segments.length === prefix.length + 1 + suffix.length &&
      segments.slice(0, prefix.length).join('/') === prefix.join('/') &&
      segments.slice(prefix.length + 1).join('/') === suffix.join('/') &&
      !/^(\.|%2e){1,2}$/i.test(segment) &&
      decodeURIComponent(segment) === value
    );
  }

  /** Runs `call`: it is refused before any request, or every request keeps `value` in its one segment. */
  async function check(call: () => Promise<unknown>, value: string, shapes: Shape[], refusal: string) {
    const before = fake.requests.length;
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    const made = fake.requests.slice(before);
    if (err instanceof BotError && err.code === refusal) expect(made).toEqual([]);
    for (const r of made)
      expect(
        shapes.some((shape) => fits(r.url, value, shape)),
        r.url,
      ).toBe(true);
  }

  it('node names: refused, or sent as one encoded segment', async () => {
    const shapes: Shape[] = [
      [['v2', 'nodes'], []],
      [['v2', 'nodes'], ['pools']],
    ];
    await fc.assert(
      fc.asyncProperty(hostile, async (name) => {
        await check(() => adapter.health(name), name, shapes, 'bot.node.invalid_name');
        await check(() => adapter.listWorkloads(name), name, shapes, 'bot.node.invalid_name');
      }),
      { numRuns: 300 },
    );
    // Not vacuous: valid names did reach the control plane.
    expect(fake.requests.length).toBeGreaterThan(20);
  });

  it('workload ids: refused, or sent as one encoded segment', async () => {
    const shapes: Shape[] = [[['v2', 'nodes', 'gpu-node-1', 'pools'], ['restart']]];
    await fc.assert(
      fc.asyncProperty(hostile, async (pool) => {
        await check(
          () => adapter.restartWorkload(`gpu-node-1/${pool}`),
          pool,
          shapes,
          'bot.workload.invalid_id',
        );
      }),
      { numRuns: 300 },
    );
  });
});
