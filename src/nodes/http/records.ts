import { z } from 'zod';

/**
 * What the control plane sends, as far as this adapter reads it. Two spellings of the same
 * registry are accepted, since both are met in the field:
 *
 * - the runbook's: `GET /v2/nodes` → `{ count, nodes: [{ online, pools: [{ ready }] }] }`
 *   (`jq '.nodes[] | select(.online == false)'`, `jq '.nodes[].pools[] | select(.ready == false)'`);
 * - orchestratord's registry record: `node_id`, `machine_id`, `address`, `pools` (pool ids),
 *   `capabilities { gpus[], cpu_cores, ram_total_bytes }`, `status` (Registering, Online, Draining,
 *   Offline, Failed), `registered_at_ms`, `last_heartbeat_ms`, `version`; heartbeats report pools
 *   as `{ pool_id, ready, draining, slots_free, slots_total, vram_free_bytes, engine }`.
 *
 * Unknown fields are ignored; a field present with the wrong type is an error naming its path.
 */

const count = z.number().int().nonnegative();
const bytes = z.number().nonnegative();
const name = z.string().min(1).max(1024);

export const gpuRecord = z.object({
  device_id: count.nullish(),
  index: count.nullish(),
  name: z.string().max(256).nullish(),
  vram_total_bytes: bytes.nullish(),
  compute_capability: z.string().max(64).nullish(),
});
export type GpuRecord = z.infer<typeof gpuRecord>;

export const poolRecord = z
  .object({
    pool_id: name.nullish(),
    id: name.nullish(),
    ready: z.boolean().nullish(),
    live: z.boolean().nullish(),
    draining: z.boolean().nullish(),
    slots_free: count.nullish(),
    slots_total: count.nullish(),
    vram_free_bytes: bytes.nullish(),
    engine: z.string().max(256).nullish(),
    model: z.string().max(512).nullish(),
    model_id: z.string().max(512).nullish(),
    models_available: z.array(z.string().max(512)).max(1000).nullish(),
    gpus: count.nullish(),
    restart_count: count.nullish(),
    last_exit_code: z.number().int().nullish(),
    active_leases: count.nullish(),
  })
  .refine((p) => Boolean(p.pool_id ?? p.id), { message: 'a pool needs pool_id (or id)' });
export type PoolRecord = z.infer<typeof poolRecord>;

export const nodeRecord = z
  .object({
    node_id: name.nullish(),
    id: name.nullish(),
    name: name.nullish(),
    online: z.boolean().nullish(),
    status: z.string().max(64).nullish(),
    draining: z.boolean().nullish(),
    machine_id: z.string().max(256).nullish(),
    address: z.string().max(1024).nullish(),
    version: z.string().max(128).nullish(),
    registered_at_ms: bytes.nullish(),
    last_heartbeat_ms: bytes.nullish(),
    /** Pool ids (orchestratord's record) or pool snapshots (the runbook's `.pools[].ready`). */
    pools: z
      .array(z.union([name, poolRecord]))
      .max(4096)
      .nullish(),
    capabilities: z
      .object({
        gpus: z.array(gpuRecord).max(1024).nullish(),
        cpu_cores: count.nullish(),
        ram_total_bytes: bytes.nullish(),
      })
      .nullish(),
    labels: z.record(z.string(), z.string().max(1024)).nullish(),
  })
  .refine((n) => Boolean(n.node_id ?? n.id ?? n.name), { message: 'a node needs node_id (or id, or name)' })
  .refine((n) => n.online != null || n.status != null, { message: 'a node needs online or status' });
export type NodeRecord = z.infer<typeof nodeRecord>;

const nodeListObject = z.object({ nodes: z.array(nodeRecord).max(100_000), count: count.nullish() });
const nodeArray = z.array(nodeRecord).max(100_000);
const poolListObject = z.object({ pools: z.array(poolRecord).max(4096) });
const poolArray = z.array(poolRecord).max(4096);

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

type Issue = z.core.$ZodIssue;

/** `nodes[3].pools[0].ready` */
function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(body)';
}

/**
 * The one issue worth showing. For a union (a pool given as an id or as a record) the branch that
 * got furthest says what is wrong; "expected string" from the other branch would only confuse.
 */
function deepest(
  issues: readonly Issue[],
  prefix: readonly PropertyKey[],
): { path: PropertyKey[]; message: string } {
  const first = issues[0];
  if (!first) return { path: [...prefix], message: 'invalid' };
  if (first.code === 'invalid_union' && first.errors.length) {
    const branches = first.errors
      .filter((b) => b.length)
      .map((b) => deepest(b, [...prefix, ...first.path]))
      .sort((a, b) => b.path.length - a.path.length);
    if (branches[0]) return branches[0];
  }
  return { path: [...prefix, ...first.path], message: first.message };
}

function parsed<T>(result: z.ZodSafeParseResult<T>, prefix: readonly PropertyKey[] = []): Parsed<T> {
  if (result.success) return { ok: true, value: result.data };
  const issue = deepest(result.error.issues, prefix);
  return { ok: false, problem: `${pathText(issue.path)}: ${issue.message}` };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{ count, nodes: [...] }` (orchestratord) or a bare array. */
export function parseNodeList(json: unknown): Parsed<NodeRecord[]> {
  if (Array.isArray(json)) return parsed(nodeArray.safeParse(json));
  const r = parsed(nodeListObject.safeParse(json));
  return r.ok ? { ok: true, value: r.value.nodes } : r;
}

/** A node record, bare or as `{ node: {...} }`. */
export function parseNode(json: unknown): Parsed<NodeRecord> {
  if (isObject(json) && isObject(json.node)) return parsed(nodeRecord.safeParse(json.node), ['node']);
  return parsed(nodeRecord.safeParse(json));
}

/** `{ pools: [...] }` or a bare array. */
export function parsePoolList(json: unknown): Parsed<PoolRecord[]> {
  if (Array.isArray(json)) return parsed(poolArray.safeParse(json));
  const r = parsed(poolListObject.safeParse(json));
  return r.ok ? { ok: true, value: r.value.pools } : r;
}

const logLines = z.array(z.string()).max(100_000);
const logObject = z.union([z.object({ lines: logLines }), z.object({ log: z.string() })]);

/** A log sent as JSON: `{ lines: [...] }`, `{ log: "…" }` or a bare array of lines; the text, newline-ended. */
export function parseLog(json: unknown): Parsed<string> {
  const r = Array.isArray(json) ? parsed(logLines.safeParse(json)) : parsed(logObject.safeParse(json));
  if (!r.ok) return r;
  const v = r.value;
  const text = Array.isArray(v)
    ? v.map((l) => `${l}\n`).join('')
    : 'lines' in v
      ? v.lines.map((l) => `${l}\n`).join('')
      : v.log;
  return { ok: true, value: text };
}

export function nodeIdOf(n: NodeRecord): string {
  return n.node_id ?? n.id ?? n.name ?? '';
}

export function poolIdOf(p: PoolRecord): string {
  return p.pool_id ?? p.id ?? '';
}
