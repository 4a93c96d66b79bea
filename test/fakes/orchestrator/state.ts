/**
 * The fake control plane's registry: nodes with GPUs and pools, online or offline, draining or
 * not. Shaped after the reference orchestrator (orchestratord + pool-managerd): nodes register with
 * `node_id`, `machine_id`, `address` (pool-managerd on :9200), `pools`, `capabilities`, `version`;
 * heartbeats carry pool snapshots `{ pool_id, ready, draining, slots_free, slots_total,
 * vram_free_bytes, engine }`; a node whose heartbeats stop is offline (30 s timeout).
 */

export interface FakePool {
  id: string;
  ready: boolean;
  /** Engine process up (pool-managerd's `live`), even while not ready (loading a model). */
  live: boolean;
  draining: boolean;
  engine: string;
  model: string;
  gpus: number;
  slotsTotal: number;
  slotsFree: number;
  vramFreeBytes: number;
  restartCount: number;
  /** What the pool's engine has printed, oldest first (GET …/pools/{pool}/logs). */
  logs: string[];
}

export interface FakeNode {
  id: string;
  machineId: string;
  address: string;
  online: boolean;
  draining: boolean;
  gpus: { name: string; vramTotalBytes: number }[];
  cpuCores: number;
  ramTotalBytes: number;
  pools: FakePool[];
  labels: Record<string, string>;
  registeredAt: number;
  /** Set by a heartbeat; until then an online node "heartbeated 2 s ago", an offline one 5 min ago. */
  lastHeartbeatAt: number | undefined;
  version: string;
}

export interface FakePoolSeed {
  readonly id: string;
  readonly ready?: boolean;
  readonly live?: boolean;
  readonly draining?: boolean;
  readonly gpus?: number;
  /** Its log; default: an engine start-up (and, if not live, its failure) and a few requests. */
  readonly logs?: readonly string[];
}

export interface FakeNodeSeed {
  readonly id: string;
  readonly online?: boolean;
  readonly draining?: boolean;
  readonly gpus?: number;
  readonly pools?: readonly FakePoolSeed[];
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * How records are spelled: `runbook` is the shape the runbook's jq lines read (`online`,
 * `pools[].ready`, plus orchestratord's fields); `orchestratord` is the registry as its code
 * serialises it (`status: "Online"`, pools as ids, no `online`, only online nodes listed, no
 * single-node GET and no drain endpoint).
 */
export type RecordStyle = 'runbook' | 'orchestratord';

const GIB = 1024 ** 3;
const H100 = { name: 'NVIDIA H100 80GB HBM3', vramTotalBytes: 80 * GIB };

export const DEFAULT_FLEET: readonly FakeNodeSeed[] = [
  {
    id: 'gpu-node-1',
    gpus: 8,
    labels: { rack: 'r1' },
    pools: [
      { id: 'pool-0', gpus: 4 },
      { id: 'pool-1', gpus: 4 },
    ],
  },
  {
    id: 'gpu-node-2',
    gpus: 8,
    labels: { rack: 'r1' },
    pools: [
      { id: 'pool-0', gpus: 4 },
      { id: 'pool-1', gpus: 4, ready: false, live: false },
    ],
  },
  { id: 'gpu-node-3', gpus: 8, online: false, labels: { rack: 'r2' }, pools: [{ id: 'pool-0', gpus: 8 }] },
  { id: 'gpu-node-4', gpus: 4, draining: true, labels: { rack: 'r2' }, pools: [{ id: 'pool-0', gpus: 4 }] },
];

export function seedNode(seed: FakeNodeSeed, now: number): FakeNode {
  const draining = seed.draining ?? false;
  return {
    id: seed.id,
    machineId: `machine-${seed.id}`,
    address: `http://${seed.id}:9200`,
    online: seed.online ?? true,
    draining,
    gpus: Array.from({ length: seed.gpus ?? 8 }, () => ({ ...H100 })),
    cpuCores: 64,
    ramTotalBytes: 512 * GIB,
    pools: (seed.pools ?? []).map((p) => ({
      id: p.id,
      ready: p.ready ?? true,
      live: p.live ?? p.ready ?? true,
      draining: p.draining ?? draining,
      engine: 'llamacpp',
      model: 'llama-3.1-8b-instruct',
      gpus: p.gpus ?? 1,
      slotsTotal: 4,
      slotsFree: 3,
      vramFreeBytes: 18 * GIB,
      restartCount: 0,
      logs: [...(p.logs ?? poolLog(p.id, p.gpus ?? 1, p.live ?? p.ready ?? true))],
    })),
    labels: { ...(seed.labels ?? {}) },
    registeredAt: now - 3 * 86_400_000,
    lastHeartbeatAt: undefined,
    version: '0.1.0',
  };
}

const MODEL = 'llama-3.1-8b-instruct';

/** A llama.cpp engine starting under pool-managerd: up and serving, or failing to load its model. */
export function engineStart(pool: string, gpus: number, live: boolean): string[] {
  const start = [
    `pool-managerd: starting pool ${pool} (engine llamacpp, model ${MODEL}, gpus ${gpus})`,
    `llama_model_loader: loaded meta data with 29 key-value pairs and 292 tensors from /models/${MODEL}.Q8_0.gguf (version GGUF V3 (latest))`,
    `ggml_cuda_init: found ${gpus} CUDA devices:`,
  ];
  if (!live) {
    return [
      ...start,
      'ggml_cuda_init: failed to initialize CUDA: unknown error',
      `llama_load_model_from_file: failed to load model '/models/${MODEL}.Q8_0.gguf'`,
      'main: error: unable to load model',
      `pool-managerd: engine for ${pool} exited with status 1; pool not ready`,
    ];
  }
  return [
    ...start,
    'llm_load_tensors: offloaded 33/33 layers to GPU',
    'llama_new_context_with_model: n_ctx      = 8192',
    'main: server is listening on http://0.0.0.0:8081 - starting the main loop',
    'srv  update_slots: all slots are idle',
  ];
}

function poolLog(pool: string, gpus: number, live: boolean): string[] {
  if (!live) return engineStart(pool, gpus, false);
  const requests = [1, 2, 3].flatMap((task) => [
    `slot launch_slot_: id  ${task % 4} | task ${task} | processing task`,
    `slot      release: id  ${task % 4} | task ${task} | stop processing: n_past = ${300 + task * 37}, truncated = 0`,
  ]);
  return [...engineStart(pool, gpus, true), ...requests, 'srv  update_slots: all slots are idle'];
}

function lastHeartbeat(n: FakeNode, now: number): number {
  return n.lastHeartbeatAt ?? now - (n.online ? 2_000 : 300_000);
}

export function runbookRecord(n: FakeNode, now: number): Record<string, unknown> {
  return {
    node_id: n.id,
    machine_id: n.machineId,
    address: n.address,
    online: n.online,
    status: n.draining ? 'draining' : n.online ? 'online' : 'offline',
    pools: n.pools.map((p) => ({
      pool_id: p.id,
      ready: p.ready,
      live: p.live,
      draining: p.draining,
      slots_free: p.slotsFree,
      slots_total: p.slotsTotal,
      vram_free_bytes: p.vramFreeBytes,
      engine: p.engine,
      model: p.model,
      gpus: p.gpus,
      restart_count: p.restartCount,
    })),
    capabilities: {
      gpus: n.gpus.map((g, i) => ({
        device_id: i,
        name: g.name,
        vram_total_bytes: g.vramTotalBytes,
        compute_capability: '9.0',
      })),
      cpu_cores: n.cpuCores,
      ram_total_bytes: n.ramTotalBytes,
    },
    registered_at_ms: n.registeredAt,
    last_heartbeat_ms: lastHeartbeat(n, now),
    version: n.version,
    labels: n.labels,
  };
}

export function orchestratordRecord(n: FakeNode, now: number): Record<string, unknown> {
  return {
    node_id: n.id,
    machine_id: n.machineId,
    address: n.address,
    pools: n.pools.map((p) => p.id),
    capabilities: {
      gpus: n.gpus.map((g, i) => ({
        device_id: i,
        name: g.name,
        vram_total_bytes: g.vramTotalBytes,
        compute_capability: '9.0',
      })),
      cpu_cores: n.cpuCores,
      ram_total_bytes: n.ramTotalBytes,
    },
    status: n.draining ? 'Draining' : n.online ? 'Online' : 'Offline',
    registered_at_ms: n.registeredAt,
    last_heartbeat_ms: lastHeartbeat(n, now),
    version: null,
  };
}
