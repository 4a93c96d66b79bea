import type { IncomingMessage, ServerResponse } from 'node:http';
import { BotError } from '../core/index.ts';

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => Promise<void>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
  readonly handler: Handler;
}

/** A few dozen routes do not need a framework: `:name` segments, exact methods, nothing else. */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          keys.push(seg.slice(1));
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  match(
    method: string,
    pathname: string,
  ): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(r.method === 'GET' && method === 'HEAD')) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1] ?? '');
        } catch {
          throw new BotError(
            'bot.http.bad_path',
            `The path segment "${m[i + 1]}" is not valid percent-encoding.`,
          );
        }
      });
      return { handler: r.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  hint?: string,
): void {
  sendJson(res, status, { error: { code, message, ...(hint ? { hint } : {}) } });
}

/** Reads a JSON body up to `limit` bytes; too large or not JSON is a 4xx with a clear message. */
export async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  // The media type exactly, parameters (charset) allowed: `text/plain;application/json` is what a
  // page on another site sends to skip the CORS preflight, and it is not JSON.
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new BotError(
      'bot.http.content_type',
      'The request body must be JSON (content-type: application/json).',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BotError('bot.http.too_large', `The request body is over ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BotError('bot.http.bad_json', 'The request body is not valid JSON.');
  }
}
