import { abortedError, throwIfAborted } from '../errors.ts';
import type { CallOptions } from '../port.ts';
import {
  adapterClosedError,
  apiError,
  type RequestContext,
  timeoutError,
  unreachableError,
} from './errors.ts';
import type { Endpoint } from './options.ts';
import { expandPath, type Placeholder } from './paths.ts';

/**
 * One request to the control plane with Node's fetch: a deadline over the whole exchange (body
 * included), the caller's AbortSignal, no redirects (a redirect could carry the bearer token to
 * another host), and a cap on the body. Transport failures throw; every HTTP status is returned
 * for the caller to judge, since what a 404 or a 500 means depends on the call.
 */

export interface HttpAnswer {
  readonly status: number;
  readonly statusText: string;
  /** Whole body, decoded as UTF-8 (at most maxResponseBytes). */
  readonly body: string;
  /** The server's clock (Date header), when it sent one. */
  readonly serverTime: number | undefined;
  readonly contentType: string;
}

export interface HttpClientConfig {
  readonly adapter: string;
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

export interface Sent {
  readonly answer: HttpAnswer;
  readonly ctx: RequestContext;
}

/** The message of a network error, as specific as undici makes it (`ECONNREFUSED`, `other side closed`). */
function reasonOf(err: unknown): string {
  let e: unknown = err;
  // undici wraps the socket error: TypeError('fetch failed', { cause: Error { code: 'ECONNREFUSED' } }).
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    if (e.cause === undefined) break;
    e = e.cause;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Query parameters the adapter itself sets (never text from chat): `{ tail: '50' }`. */
export type Query = Readonly<Record<string, string>>;

export interface RequestExtras {
  readonly query?: Query;
  /** The Accept header; default JSON. */
  readonly accept?: string;
}

function queryString(query: Query | undefined): string {
  if (!query || Object.keys(query).length === 0) return '';
  return `?${new URLSearchParams(query).toString()}`;
}

class TooLargeError extends Error {}

async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new TooLargeError(`declared ${declared} bytes`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new TooLargeError(`more than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class HttpClient {
  readonly config: HttpClientConfig;

  constructor(config: HttpClientConfig) {
    this.config = config;
  }

  /** `POST /v2/nodes/gpu-node-3/drain`: the request as it is named in messages and logs. */
  describe(endpoint: Endpoint, values: Partial<Record<Placeholder, string>>, query?: Query): string {
    return `${endpoint.method} ${expandPath(endpoint.path, values)}${queryString(query)}`;
  }

  async send(
    endpoint: Endpoint,
    values: Partial<Record<Placeholder, string>>,
    what: string,
    opts: CallOptions | undefined,
    lifetime: AbortSignal,
    extra: RequestExtras = {},
  ): Promise<Sent> {
    const { baseUrl, adapter, token, timeoutMs, maxResponseBytes } = this.config;
    const path = `${expandPath(endpoint.path, values)}${queryString(extra.query)}`;
    const ctx: RequestContext = { what, adapter, baseUrl, request: `${endpoint.method} ${path}` };
    throwIfAborted(opts?.signal, what);
    if (lifetime.aborted) throw adapterClosedError(adapter);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signals = [deadline, lifetime, ...(opts?.signal ? [opts.signal] : [])];
    const signal = AbortSignal.any(signals);
    const mutation = endpoint.method !== 'GET';
    const headers: Record<string, string> = { accept: extra.accept ?? 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    // Some control planes (axum's Json extractor) refuse a POST without a JSON body.
    const hasBody = endpoint.method === 'POST' || endpoint.method === 'PUT' || endpoint.method === 'PATCH';
    if (hasBody) headers['content-type'] = 'application/json';

    const failed = (err: unknown): Error => {
      if (opts?.signal?.aborted) return abortedError(what);
      if (lifetime.aborted) return adapterClosedError(adapter);
      if (deadline.aborted) return timeoutError(ctx, timeoutMs, mutation);
      if (err instanceof TooLargeError) {
        return apiError(ctx, `answered a body larger than ${maxResponseBytes} bytes (maxResponseBytes)`, err);
      }
      return unreachableError(ctx, reasonOf(err), err);
    };

    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method: endpoint.method,
        headers,
        ...(hasBody ? { body: '{}' } : {}),
        redirect: 'manual',
        signal,
      });
    } catch (err) {
      throw failed(err);
    }
    let body: string;
    try {
      body = await readCapped(res, maxResponseBytes);
    } catch (err) {
      throw failed(err);
    }
    const date = Date.parse(res.headers.get('date') ?? '');
    return {
      ctx,
      answer: {
        status: res.status,
        statusText: res.statusText,
        body,
        serverTime: Number.isNaN(date) ? undefined : date,
        contentType: res.headers.get('content-type') ?? '',
      },
    };
  }
}
