import type { IncomingMessage, ServerResponse } from 'node:http';
import { BotError } from '../core/index.ts';
import { readBody } from './body.ts';

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

/** The one error shape every refusal has: `{"error":{"code":"bot.…","message":"…","hint":"…"}}`. */
export function errorJson(code: string, message: string, hint?: string): string {
  return JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } });
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

/**
 * Reads a JSON body up to `limit` bytes; too large or not JSON is a 4xx with a clear message. A
 * body over the limit is left unread, for the server's error handler to answer and drain.
 */
export async function readJson(
  req: IncomingMessage,
  limit = 64 * 1024,
  tooLargeHint?: string,
): Promise<unknown> {
  // The media type exactly, parameters (charset) allowed: `text/plain;application/json` is what a
  // page on another site sends to skip the CORS preflight, and it is not JSON.
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new BotError(
      'bot.http.content_type',
      'The request body must be JSON (content-type: application/json).',
    );
  }
  const body = await readBody(req, { limit, ...(tooLargeHint ? { hint: tooLargeHint } : {}) });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BotError('bot.http.bad_json', 'The request body is not valid JSON.');
  }
}
