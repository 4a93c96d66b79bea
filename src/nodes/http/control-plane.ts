import type { Clock } from '../../core/clock.ts';
import { BotError } from '../../core/errors.ts';
import { truncateText } from '../../core/text.ts';
import type { Logger } from '../../logger.ts';
import { NODE_LIST_HINT, unknownNodeError, unknownWorkloadError } from '../errors.ts';
import type { CallOptions } from '../port.ts';
import type { HttpClient, Query, RequestExtras, Sent } from './client.ts';
import { apiError, type RequestContext, unauthorizedError, unavailableError } from './errors.ts';
import type { Endpoint, HttpPaths } from './options.ts';
import type { Placeholder } from './paths.ts';
import { type Parsed, parseLog } from './records.ts';

/**
 * What an HTTP status means for this adapter. Reads: 2xx with JSON the schema accepts, or a
 * BotError (401/403 → the token; 404 → unknown node or workload; 5xx → unreachable; anything else,
 * a body that is not JSON or not the expected shape → api_error naming the endpoint). Changes:
 * 2xx is ok; the control plane saying no (5xx, 409, …) is a failed result, not a throw, since
 * the port keeps throws for transport failures; a refused token still throws, being configuration.
 */

export type Values = Partial<Record<Placeholder, string>>;

/** What a 404 means for a request: an unknown node, an unknown workload, or a wrong path. */
export interface Scope {
  readonly node?: string;
  readonly workload?: string;
  /** The paths key the request came from, named in messages about a path that does not fit. */
  readonly key: keyof HttpPaths & string;
}

export interface Changed {
  readonly ok: boolean;
  /** `POST /v2/nodes/gpu-node-3/drain → 202 Accepted` and what the body said. */
  readonly output: string;
  /** `503 Service Unavailable: cloud profile not enabled`. */
  readonly said: string;
}

export interface Read<T> {
  readonly value: T;
  /** The control plane's clock (Date header), else the bot's. */
  readonly now: number;
  readonly request: string;
}

export interface ControlPlaneConfig {
  readonly adapter: string;
  readonly baseUrl: string;
  readonly tokenEnv: string | undefined;
  readonly token: string | undefined;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'debug' | 'warn'>;
  /** Forgets a node after a 404; true when it had been listed (then the path is suspect too). */
  readonly forget: (node: string) => boolean;
}

function statusLine(s: Sent): string {
  return `${s.answer.status}${s.answer.statusText ? ` ${s.answer.statusText}` : ''}`;
}

export class ControlPlane {
  private readonly client: HttpClient;
  private readonly config: ControlPlaneConfig;
  private readonly lifetime: AbortSignal;

  constructor(client: HttpClient, config: ControlPlaneConfig, lifetime: AbortSignal) {
    this.client = client;
    this.config = config;
    this.lifetime = lifetime;
  }

  /** The token must never reach chat, even if a broken server echoes the request back. */
  redact(text: string): string {
    const { token } = this.config;
    return token ? text.split(token).join('[redacted]') : text;
  }

  /** What a body says, short: its `message` / `error` field when JSON, else its text. */
  excerpt(body: string): string {
    let text = body;
    try {
      const json: unknown = JSON.parse(body);
      if (typeof json === 'object' && json !== null) {
        const said = (json as Record<string, unknown>).message ?? (json as Record<string, unknown>).error;
        text = typeof said === 'string' ? said : body;
      }
    } catch {
      // An HTML error page from a proxy: its words, not its markup.
      if (/^\s*</.test(body)) text = body.replace(/<[^>]*>/g, ' ');
    }
    const clean = this.redact(text)
      .replace(/\p{Cc}+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return truncateText(clean, 200);
  }

  describe(endpoint: Endpoint, values: Values, query?: Query): string {
    return this.client.describe(endpoint, values, query);
  }

  async send(
    endpoint: Endpoint,
    values: Values,
    what: string,
    opts?: CallOptions,
    extra?: RequestExtras,
  ): Promise<Sent> {
    const { clock, logger, adapter } = this.config;
    const started = clock.now().getTime();
    const sent = await this.client.send(endpoint, values, what, opts, this.lifetime, extra);
    logger.debug(
      { adapter, request: sent.ctx.request, status: sent.answer.status, ms: clock.now().getTime() - started },
      'control plane answered',
    );
    return sent;
  }

  private notFound(ctx: RequestContext, scope: Scope): BotError {
    if (scope.workload !== undefined) return unknownWorkloadError(scope.workload);
    if (scope.node === undefined) {
      return apiError(ctx, `answered 404 Not Found: check paths.${scope.key} in the adapter config`);
    }
    const node = scope.node;
    if (!this.config.forget(node)) return unknownNodeError(node);
    return new BotError(
      'bot.node.unknown',
      `The control plane of adapter ${this.config.adapter} answered 404 Not Found to ${ctx.request}, although it listed ${node} before.`,
      {
        hint: `${node} may have just left the registry, or paths.${scope.key} does not match this control plane. ${NODE_LIST_HINT}`,
      },
    );
  }

  async read<T>(
    endpoint: Endpoint,
    values: Values,
    what: string,
    opts: CallOptions | undefined,
    scope: Scope,
    parse: (json: unknown) => Parsed<T>,
  ): Promise<Read<T>> {
    const sent = await this.send(endpoint, values, what, opts);
    this.expectOk(sent, scope);
    return this.json(sent, parse);
  }

  /**
   * A log: a `text/*` body as it is, else JSON (`{ lines: [...] }`, `{ log: "…" }`, or an array
   * of lines). Statuses mean what they mean for any read. A token echoed in it is redacted.
   */
  async readLog(
    endpoint: Endpoint,
    values: Values,
    query: Query,
    what: string,
    opts: CallOptions | undefined,
    scope: Scope,
  ): Promise<Read<string>> {
    const sent = await this.send(endpoint, values, what, opts, {
      query,
      accept: 'text/plain, application/json;q=0.9',
    });
    this.expectOk(sent, scope);
    if (/^text\//i.test(sent.answer.contentType.trim())) {
      return {
        value: this.redact(sent.answer.body),
        now: sent.answer.serverTime ?? this.config.clock.now().getTime(),
        request: sent.ctx.request,
      };
    }
    const read = this.json(sent, parseLog);
    return { ...read, value: this.redact(read.value) };
  }

  /** Throws what a non-2xx answer to a read means. */
  private expectOk(sent: Sent, scope: Scope): void {
    const { answer, ctx } = sent;
    const { status } = answer;
    if (status === 401 || status === 403) throw unauthorizedError(ctx, this.config.tokenEnv, status);
    if (status === 404) throw this.notFound(ctx, scope);
    if (status >= 500) throw unavailableError(ctx, statusLine(sent), this.excerpt(answer.body));
    if (status < 200 || status > 299) {
      const said = this.excerpt(answer.body);
      throw apiError(
        ctx,
        `answered ${statusLine(sent)}${said ? ` (${said})` : ''}: check paths.${scope.key} in the adapter config (null when the control plane has no such endpoint)`,
      );
    }
  }

  /** The body as JSON the schema accepts, or bot.node.api_error naming the request. */
  private json<T>(sent: Sent, parse: (json: unknown) => Parsed<T>): Read<T> {
    const { answer, ctx } = sent;
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch (err) {
      const kind = answer.contentType.split(';')[0]?.trim() || 'no content type';
      throw apiError(
        ctx,
        answer.body.trim() ? `answered a body that is not valid JSON (${kind})` : 'answered an empty body',
        err,
      );
    }
    const parsed = parse(json);
    if (!parsed.ok) {
      throw apiError(ctx, `answered JSON this adapter cannot read (${this.redact(parsed.problem)})`);
    }
    return {
      value: parsed.value,
      now: answer.serverTime ?? this.config.clock.now().getTime(),
      request: ctx.request,
    };
  }

  async change(
    endpoint: Endpoint,
    values: Values,
    what: string,
    opts: CallOptions | undefined,
    scope: Scope,
  ): Promise<Changed> {
    const sent = await this.send(endpoint, values, what, opts);
    const { answer, ctx } = sent;
    const { status } = answer;
    if (status === 401 || status === 403) throw unauthorizedError(ctx, this.config.tokenEnv, status);
    const said = this.excerpt(answer.body);
    const output = `${ctx.request} → ${statusLine(sent)}${said ? `\n${said}` : ''}`;
    if (status === 404) {
      if (scope.workload !== undefined) throw unknownWorkloadError(scope.workload);
      // Changes follow a read that found the node: the path is the likelier culprit.
      return {
        ok: false,
        output,
        said: `404 Not Found to ${ctx.request}, although ${scope.node} is in the registry: check paths.${scope.key} in the adapter config`,
      };
    }
    const ok = status >= 200 && status <= 299;
    return { ok, output, said: `${statusLine(sent)}${said ? `: ${said}` : ''}` };
  }

  /** `GET /health → 200 OK: ok`, and whether it was a 2xx. */
  async ping(endpoint: Endpoint, opts?: CallOptions): Promise<{ ok: boolean; summary: string }> {
    const sent = await this.send(endpoint, {}, 'Control plane health check', opts);
    const said = this.excerpt(sent.answer.body);
    return {
      ok: sent.answer.status >= 200 && sent.answer.status <= 299,
      summary: `${sent.ctx.request} → ${statusLine(sent)}${said ? `: ${said}` : ''}`,
    };
  }
}
