import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, type FaultRule, Faults } from './faults.ts';
import {
  DEFAULT_FLEET,
  engineStart,
  type FakeNode,
  type FakeNodeSeed,
  type FakePool,
  orchestratordRecord,
  type RecordStyle,
  runbookRecord,
  seedNode,
} from './state.ts';

/**
 * A fake orchestrator control plane on 127.0.0.1, speaking the reference API:
 *
 *   GET    /health                            liveness (no token)
 *   GET    /metrics                           orchd_nodes_online, orchd_pools_available
 *   GET    /v2/nodes                          { count, nodes[] }
 *   POST   /v2/nodes/register                 { node_id, machine_id, address, pools, capabilities, version }
 *   POST   /v2/nodes/{id}/heartbeat           { timestamp, pools: [{ pool_id, ready, draining, … }] }
 *   DELETE /v2/nodes/{id}                     deregistration (204)
 * and, in the `runbook` style, what the adapter's default paths expect beyond the reference:
 *   GET    /v2/nodes/{id}                     one record
 *   POST   /v2/nodes/{id}/drain               202; the node and its pools drain
 *   POST   /v2/nodes/{id}/undrain             (also DELETE /v2/nodes/{id}/drain)
 *   GET    /v2/nodes/{id}/pools               { pools[] }
 *   POST   /v2/nodes/{id}/pools/{pool}/restart | /stop
 *   GET    /v2/nodes/{id}/pools/{pool}/logs?tail=N   the pool engine's last N lines (all without tail)
 *
 * Every /v2 request needs `Authorization: Bearer <token>` (401 otherwise) unless the token is null
 * (or, with authReads: false, it is a GET).
 * Faults are injected per path; every request is logged (never the token).
 */

export interface FakeOrchestratorOptions {
  /** The bearer token /v2 requires; null: no authentication (orchestratord without LLORCH_API_TOKEN). */
  readonly token: string | null;
  readonly nodes?: readonly FakeNodeSeed[];
  readonly style?: RecordStyle;
  /** Whether GETs need the token too (default true); orchestratord itself guards only changes. */
  readonly authReads?: boolean;
  /** How GET …/pools/{pool}/logs answers: JSON `{ pool_id, lines }` (default) or text/plain. */
  readonly logFormat?: 'json' | 'text';
}

export interface RequestRecord {
  readonly method: string;
  /** The request target exactly as received (path and query, still percent-encoded). */
  readonly url: string;
  readonly authorization: 'none' | 'valid' | 'invalid';
  status: number;
}

export interface FakeOrchestrator {
  readonly url: string;
  readonly requests: RequestRecord[];
  node(id: string): FakeNode;
  nodes(): FakeNode[];
  inject(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const MAX_REQUEST_BODY = 64 * 1024;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BODY) reject(new Error('too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch {
        reject(new Error('not JSON'));
      }
    });
    req.on('error', reject);
  });
}

export async function startFakeOrchestrator(options: FakeOrchestratorOptions): Promise<FakeOrchestrator> {
  const style = options.style ?? 'runbook';
  const registry = new Map<string, FakeNode>();
  for (const seed of options.nodes ?? DEFAULT_FLEET) registry.set(seed.id, seedNode(seed, Date.now()));
  const faults = new Faults();
  const requests: RequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const expected = options.token === null ? undefined : Buffer.from(`Bearer ${options.token}`);

  function authOf(req: IncomingMessage): RequestRecord['authorization'] {
    const header = req.headers.authorization;
    if (header === undefined) return 'none';
    const got = Buffer.from(header);
    return expected && got.length === expected.length && timingSafeEqual(got, expected) ? 'valid' : 'invalid';
  }

  const record = (n: FakeNode) =>
    style === 'runbook' ? runbookRecord(n, Date.now()) : orchestratordRecord(n, Date.now());

  function pool(n: FakeNode, id: string): FakePool | undefined {
    return n.pools.find((p) => p.id === id);
  }

  function setDraining(n: FakeNode, draining: boolean): void {
    n.draining = draining;
    for (const p of n.pools) p.draining = draining;
  }

  /** Answers the request; false when no route matches. */
  async function route(req: IncomingMessage, res: ServerResponse, segments: string[]): Promise<boolean> {
    const method = req.method ?? 'GET';
    const [a, b, id, action, poolId, poolAction] = segments;
    if (segments.length === 1 && a === 'health' && method === 'GET') {
      json(res, 200, { status: 'ok' });
      return true;
    }
    if (segments.length === 1 && a === 'metrics' && method === 'GET') {
      const nodes = [...registry.values()];
      const text = [
        '# TYPE orchd_nodes_online gauge',
        `orchd_nodes_online ${nodes.filter((n) => n.online).length}`,
        '# TYPE orchd_pools_available gauge',
        `orchd_pools_available ${nodes.flatMap((n) => n.pools).filter((p) => p.ready && !p.draining).length}`,
        '',
      ].join('\n');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(text);
      return true;
    }
    if (a !== 'v2' || b !== 'nodes') return false;

    if (id === undefined) {
      if (method !== 'GET') return false;
      const listed = [...registry.values()].filter((n) => style === 'runbook' || (n.online && !n.draining));
      json(res, 200, { nodes: listed.map(record), count: listed.length });
      return true;
    }
    if (id === 'register' && action === undefined && method === 'POST') {
      const body = (await readBody(req)) as Record<string, unknown>;
      const nodeId = body.node_id;
      if (typeof nodeId !== 'string' || !nodeId) {
        json(res, 400, { success: false, message: 'node_id required' });
        return true;
      }
      const pools = Array.isArray(body.pools)
        ? body.pools.filter((p): p is string => typeof p === 'string')
        : [];
      registry.set(nodeId, seedNode({ id: nodeId, pools: pools.map((p) => ({ id: p })) }, Date.now()));
      json(res, 200, { success: true, message: 'Registered successfully', node_id: nodeId });
      return true;
    }
    const n = registry.get(id);
    const missing = () => json(res, 404, { error: `node ${id} not found` });

    if (action === undefined) {
      if (method === 'GET' && style === 'runbook') {
        if (n) json(res, 200, record(n));
        else missing();
        return true;
      }
      if (method === 'GET') {
        json(res, 405, { error: 'method not allowed' });
        return true;
      }
      if (method === 'DELETE') {
        if (!n) missing();
        else {
          registry.delete(id);
          res.writeHead(204).end();
        }
        return true;
      }
      return false;
    }
    if (action === 'heartbeat' && method === 'POST' && poolId === undefined) {
      if (!n) {
        json(res, 404, { success: false, next_heartbeat_ms: 10_000 });
        return true;
      }
      const body = (await readBody(req)) as { pools?: unknown };
      n.online = true;
      n.lastHeartbeatAt = Date.now();
      for (const snap of Array.isArray(body.pools) ? body.pools : []) {
        const s = snap as Record<string, unknown>;
        const p = typeof s.pool_id === 'string' ? pool(n, s.pool_id) : undefined;
        if (!p) continue;
        if (typeof s.ready === 'boolean') p.ready = s.ready;
        if (typeof s.draining === 'boolean') p.draining = s.draining;
      }
      json(res, 200, { success: true, next_heartbeat_ms: 10_000 });
      return true;
    }
    if (style !== 'runbook') return false;

    if (poolId === undefined) {
      const drain = action === 'drain' && method === 'POST';
      const undrain =
        (action === 'undrain' && method === 'POST') || (action === 'drain' && method === 'DELETE');
      if (drain || undrain) {
        if (!n) missing();
        else {
          setDraining(n, drain);
          json(res, drain ? 202 : 200, { node_id: id, status: drain ? 'draining' : 'online' });
        }
        return true;
      }
      if (action === 'pools' && method === 'GET') {
        if (!n) missing();
        else json(res, 200, { pools: (record(n).pools as unknown[]) ?? [] });
        return true;
      }
      return false;
    }
    if (action === 'pools' && method === 'GET' && poolAction === 'logs' && segments.length === 6) {
      const p = n ? pool(n, poolId) : undefined;
      if (!n || !p) {
        json(res, 404, { error: `pool ${poolId} not found on ${id}` });
        return true;
      }
      const tailText = new URL(req.url ?? '/', 'http://fake').searchParams.get('tail');
      const tail = tailText === null ? undefined : Number(tailText);
      if (tail !== undefined && (!Number.isInteger(tail) || tail < 1)) {
        json(res, 400, { error: 'tail must be a positive integer' });
        return true;
      }
      const lines = tail === undefined ? p.logs : p.logs.slice(-tail);
      if (options.logFormat === 'text') {
        const text = lines.map((l) => `${l}\n`).join('');
        res.writeHead(200, {
          'content-type': 'text/plain; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      } else {
        json(res, 200, { pool_id: p.id, lines });
      }
      return true;
    }
    if (action === 'pools' && method === 'POST' && (poolAction === 'restart' || poolAction === 'stop')) {
      const p = n ? pool(n, poolId) : undefined;
      if (!n || !p) {
        json(res, 404, { error: `pool ${poolId} not found on ${id}` });
        return true;
      }
      if (poolAction === 'restart') {
        Object.assign(p, { ready: true, live: true, draining: false, restartCount: p.restartCount + 1 });
        p.logs.push(`pool-managerd: restarting pool ${p.id}`, ...engineStart(p.id, p.gpus, true));
      } else {
        Object.assign(p, { ready: false, live: false });
        p.logs.push(`pool-managerd: stopping pool ${p.id}`, 'main: received SIGTERM, shutting down');
      }
      json(res, 202, { pool_id: p.id, status: poolAction === 'restart' ? 'restarting' : 'stopped' });
      return true;
    }
    return false;
  }

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  /** True when the fault answered (or dropped) the request itself. */
  async function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    switch (fault.kind) {
      case 'delay':
        await wait(fault.ms);
        return false;
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(fault.body ?? JSON.stringify({ error: `injected ${fault.status}` }));
        return true;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"nodes": [ {"node_id": "gpu-node-1", ');
        return true;
      case 'wrong-shape':
        json(res, 200, { nodes: [{ node_id: 'gpu-node-1', online: 'yes' }] });
        return true;
      case 'oversize': {
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(fault.declared ? { 'content-length': fault.bytes } : {}),
        });
        if (fault.declared) {
          // Declared is enough for the client to refuse; do not bother sending it all.
          res.write(chunk.subarray(0, Math.min(chunk.length, fault.bytes)));
          return true;
        }
        for (let sent = 0; sent < fault.bytes; sent += chunk.length) {
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
          if (res.destroyed) return true;
        }
        res.end();
        return true;
      }
      case 'reset':
        req.socket.destroy();
        return true;
      case 'hang':
        return true;
      case 'redirect':
        res.writeHead(302, { location: fault.location }).end();
        return true;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const entry: RequestRecord = { method, url, authorization: authOf(req), status: 0 };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    const pathname = url.split('?')[0] ?? '/';
    let segments: string[];
    try {
      segments = pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      json(res, 400, { error: 'bad path encoding' });
      return;
    }
    const fault = faults.take(method, url, pathname);
    if (fault && (await applyFault(fault, req, res))) return;
    const guarded = method !== 'GET' || (options.authReads ?? true);
    if (segments[0] === 'v2' && guarded && expected && entry.authorization !== 'valid') {
      json(res, 401, { success: false, message: 'Unauthorized: Invalid or missing API token' });
      return;
    }
    try {
      if (!(await route(req, res, segments))) json(res, 404, { error: `no route for ${method} ${pathname}` });
    } catch (err) {
      json(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    node(id) {
      const n = registry.get(id);
      if (!n) throw new Error(`fake orchestrator has no node ${id}`);
      return n;
    },
    nodes: () => [...registry.values()],
    inject: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
