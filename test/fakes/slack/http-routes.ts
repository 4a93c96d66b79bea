import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Fault, FaultQueue } from './faults.ts';
import { BadRequest, parseBody, readRaw, str } from './request-body.ts';
import { respond } from './response-urls.ts';
import { receiveUpload } from './uploads.ts';
import { APP_TOKEN_METHODS, METHODS } from './web-api.ts';
import type { Workspace } from './workspace.ts';

/** One Web API request as the fake saw it. */
export interface CallRecord {
  readonly method: string;
  /** Parameters without the token; JSON-valued fields (blocks, view, files, …) decoded. */
  readonly params: Record<string, unknown>;
  /** When the request arrived, ms since the epoch. */
  readonly at: number;
  /** HTTP status answered (0 when the connection was reset). */
  status: number;
  ok: boolean;
  error: string | undefined;
  fault: Fault | undefined;
  readonly token: 'bot' | 'app' | 'none' | 'invalid';
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export interface HttpDeps {
  readonly ws: Workspace;
  readonly botToken: string;
  readonly appToken: string;
  origin(): string;
  openSocketUrl(): string;
}

/**
 * The fake's HTTP side: the Web API at `/api/<method>` (POST form or JSON, or GET; token in the
 * Authorization header or a `token` field; HTTP 200 with `ok: false` for errors, 429 with
 * Retry-After for rate limits), the upload URLs of the v2 file flow, and response_urls.
 */
export class HttpRoutes {
  /** Every Web API request, in arrival order. */
  readonly calls: CallRecord[] = [];
  readonly faults = new FaultQueue();
  /**
   * Told of every Web API call as it arrives, before Slack acts on it (fault tests kill the bot
   * here). Answering `'drop'` drops the call unapplied, with no answer.
   */
  onCall: ((method: string) => Promise<'drop' | undefined> | 'drop' | undefined) | undefined;
  /** Milliseconds added to every Web API call. */
  latencyMs = 0;

  constructor(private readonly deps: HttpDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.deps.origin());
    if (url.pathname.startsWith('/api/'))
      return this.webApi(url.pathname.slice('/api/'.length), req, res, url);
    if (req.method === 'POST' && url.pathname.startsWith('/upload/v1/')) return this.upload(url, req, res);
    const responseUrl = /^\/(commands|actions)\/[^/]+\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && responseUrl) return this.responseUrl(responseUrl[2]!, req, res, url);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('fake slack: not found');
  }

  private async webApi(method: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const at = Date.now();
    let params: Record<string, unknown> = {};
    let badRequest: string | undefined;
    try {
      params = (await parseBody(req, url)).params;
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      badRequest = err.error;
    }
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? str(params.token);
    const { token: _token, ...recorded } = params;
    const tokenKind = !auth
      ? 'none'
      : auth === this.deps.botToken
        ? 'bot'
        : auth === this.deps.appToken
          ? 'app'
          : 'invalid';
    const call: CallRecord = {
      method,
      params: recorded,
      at,
      status: 200,
      ok: false,
      error: undefined,
      fault: undefined,
      token: tokenKind,
    };
    this.calls.push(call);
    if ((await this.onCall?.(method)) === 'drop') {
      call.status = 0;
      call.error = 'dropped';
      req.socket.destroy();
      return;
    }
    const reply = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      call.status = status;
      call.ok = body.ok === true;
      call.error = typeof body.error === 'string' ? body.error : undefined;
      res.writeHead(status, { ...JSON_HEADERS, ...headers });
      res.end(JSON.stringify(body));
    };

    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const handler = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!handler) return reply(200, { ok: false, error: 'unknown_method' });
    if (badRequest) return reply(200, { ok: false, error: badRequest });
    if (method !== 'api.test') {
      if (tokenKind === 'none') return reply(200, { ok: false, error: 'not_authed' });
      if (tokenKind === 'invalid') return reply(200, { ok: false, error: 'invalid_auth' });
      if (APP_TOKEN_METHODS.has(method) !== (tokenKind === 'app')) {
        return reply(200, { ok: false, error: 'not_allowed_token_type' });
      }
    }

    const run = () =>
      handler(recorded, {
        ws: this.deps.ws,
        actor: this.deps.ws.identity.botUserId,
        origin: this.deps.origin(),
        openSocketUrl: this.deps.openSocketUrl,
      });
    const fault = this.faults.take(method);
    if (!fault) return reply(200, run());
    call.fault = fault;
    if (fault.delayMs) await sleep(fault.delayMs);
    if (!('status' in fault) && !('error' in fault) && !('reset' in fault)) return reply(200, run());
    if (fault.applied) run();
    if ('reset' in fault) {
      call.status = 0;
      call.error = 'connection reset';
      req.socket.destroy();
      return;
    }
    if ('error' in fault) return reply(200, { ok: false, error: fault.error });
    if (fault.status === 429) {
      return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
    }
    call.status = fault.status;
    call.error = `http_${fault.status}`;
    res.writeHead(fault.status, { 'content-type': 'text/html' });
    res.end(`<html><body><h1>${fault.status}</h1>fake slack: injected failure</body></html>`);
  }

  /** The upload URL of files.getUploadURLExternal: raw bytes or multipart (WebClient sends multipart). */
  private async upload(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ticket = url.pathname.slice('/upload/v1/'.length);
    const contentType = req.headers['content-type'] ?? '';
    const bytes = contentType.toLowerCase().startsWith('multipart/form-data')
      ? (Object.values((await parseBody(req, new URL('http://fake.invalid/'))).files)[0] ?? Buffer.alloc(0))
      : await readRaw(req);
    const file = receiveUpload(this.deps.ws, ticket, bytes);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('fake slack: unknown or used upload URL');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${bytes.length}`);
  }

  private async responseUrl(id: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const parsed = await parseBody(req, url).catch(() => undefined);
    const p = parsed?.params ?? {};
    const body = typeof p.payload === 'string' ? JSON.parse(p.payload) : p;
    const answer = respond(this.deps.ws, id, body);
    res.writeHead(answer.status, JSON_HEADERS);
    res.end(JSON.stringify(answer.body));
  }
}
