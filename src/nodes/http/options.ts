import { z } from 'zod';
import { type Placeholder, templateProblem } from './paths.ts';

/**
 * The `type: http` entry of `adapters` in the YAML file. The defaults follow the reference
 * orchestrator (orchestratord): `GET /v2/nodes` answers `{ count, nodes[] }`, `GET /health` is the
 * control plane's own liveness, `DELETE /v2/nodes/{id}` deregisters a node. The drain endpoint is
 * this adapter's assumption (the runbook only says nodes can be "draining"); every path can be
 * changed, and set to null where the control plane has no such endpoint.
 */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Endpoint {
  readonly method: HttpMethod;
  readonly path: string;
}

function template(allowed: readonly Placeholder[], required: readonly Placeholder[]) {
  return z.string().superRefine((value, ctx) => {
    const problem = templateProblem(value, allowed, required);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A read: a path, always fetched with GET (the object form is accepted so parsed options re-parse). */
function read(allowed: readonly Placeholder[], required: readonly Placeholder[]) {
  const path = template(allowed, required);
  return z
    .union([path, z.object({ method: z.literal('GET'), path }).strict()])
    .transform((v): Endpoint => (typeof v === 'string' ? { method: 'GET', path: v } : v));
}

/** A change: a path (sent with `method`), or `{ method, path }`. */
function change(method: HttpMethod, allowed: readonly Placeholder[], required: readonly Placeholder[]) {
  const path = template(allowed, required);
  return z
    .union([path, z.object({ method: z.enum(HTTP_METHODS), path }).strict()])
    .transform((v): Endpoint => (typeof v === 'string' ? { method, path: v } : v));
}

const NODE = ['node'] as const;
const WORKLOAD = ['node', 'workload'] as const;

export const httpPathsSchema = z
  .object({
    /** Every node: `{ count, nodes: [...] }` or a bare array. */
    nodes: read([], []).prefault('/v2/nodes'),
    /** One node record; null: read it from the `nodes` listing (orchestratord has no such GET). */
    node: read(NODE, NODE).nullable().prefault('/v2/nodes/{node}'),
    /** The control plane's own liveness (`curl http://orchestratord:8080/health`). */
    health: read([], []).nullable().prefault('/health'),
    /** Stop placing work on a node and let its pools finish (cordon and drain). */
    drain: change('POST', NODE, NODE).nullable().prefault('/v2/nodes/{node}/drain'),
    /** Put a draining node back in service (uncordon); absent: the bot cannot undo a drain. */
    undrain: change('POST', NODE, NODE).nullish(),
    /** Remove a node from the registry; drains with it when `drain` is null. */
    deregister: change('DELETE', NODE, NODE).nullable().prefault('/v2/nodes/{node}'),
    /** A node's pools, `{ pools: [...] }`; absent: the pools inside the node records. */
    workloads: read(NODE, NODE).nullish(),
    /** Restart / stop one pool; `{workload}` is the pool id (the part after `<node>/`). */
    restart: change('POST', WORKLOAD, ['workload']).nullish(),
    stop: change('POST', WORKLOAD, ['workload']).nullish(),
    /**
     * The last lines of one pool's log, read with GET and `?tail=<n>` added by the adapter;
     * `{workload}` is the pool id. Answers text/plain, or JSON `{ lines: [...] }`. Absent: no logs.
     */
    logs: read(WORKLOAD, ['workload']).nullish(),
  })
  .strict();

export const httpAdapterOptions = z
  .object({
    type: z.literal('http'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,62}$/, 'must be 1-63 letters, digits, and : . _ -')
      .default('http'),
    baseUrl: z
      .string()
      .superRefine((v, ctx) => {
        // The messages never repeat the value: a URL with credentials in it is a secret.
        const u = URL.canParse(v) ? new URL(v) : undefined;
        if (!u || !/^https?:$/.test(u.protocol)) {
          ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
        } else if (u.username !== '' || u.password !== '') {
          ctx.addIssue({
            code: 'custom',
            message: 'must not contain credentials; put the token in the variable named by tokenEnv',
          });
        } else if (u.search !== '' || u.hash !== '') {
          ctx.addIssue({ code: 'custom', message: 'must not contain a query or fragment' });
        }
      })
      // One spelling, without the trailing slash, so `${baseUrl}${path}` is always right.
      .transform((v) => new URL(v).href.replace(/\/+$/, '')),
    /** The NAME of the environment variable holding the bearer token, never the token itself. */
    tokenEnv: z
      .string()
      .regex(
        /^[A-Z_][A-Z0-9_]{0,127}$/,
        'must be the name of an environment variable (e.g. ORCHESTRATOR_TOKEN) holding the token, not the token itself',
      )
      .optional(),
    /** Deadline of each request, body included. */
    timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    /** Larger answers are refused, not buffered. */
    maxResponseBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    /**
     * hasNode() is synchronous, so the adapter lists the fleet at start and then every refreshMs to
     * know which node names it owns; 0: only when asked.
     */
    refreshMs: z.number().int().min(0).max(3_600_000).default(60_000),
    /**
     * A node whose last heartbeat is older than this is not ready even if the registry still says
     * online (orchestratord's heartbeat timeout is 30 s); measured against the server's Date header.
     * 0: trust the registry.
     */
    staleAfterMs: z.number().int().min(0).max(86_400_000).default(30_000),
    paths: httpPathsSchema.prefault({}),
  })
  .strict();

export type HttpAdapterOptions = z.output<typeof httpAdapterOptions>;
export type HttpAdapterInput = z.input<typeof httpAdapterOptions>;
export type HttpPaths = z.output<typeof httpPathsSchema>;
