import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A wire-level fake of an OpenAI-compatible server (the part the post-mortem uses): the real
 * `openai` client talks HTTP to it. Replies are scripted in a queue; every request is recorded so
 * a test can assert what reached "the model".
 */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON body (undefined for a GET). */
  readonly body: any;
  /** The raw body, for "this string never reached the model" assertions. */
  readonly raw: string;
}

export interface FakeReply {
  readonly status?: number;
  /** JSON body; a string is sent as is. */
  readonly body?: unknown;
  /** Wait this long before answering (a client that gives up first just goes away). */
  readonly delayMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Never answer: the request stays open until the client gives up (its timeout or abort) or the
   * fake closes. A model server that accepted the request and hangs.
   */
  readonly hang?: boolean;
}

/** A reply that never comes (see `FakeReply.hang`). */
export const hang: FakeReply = { hang: true };

export type Script = FakeReply | ((req: RecordedRequest) => FakeReply | Promise<FakeReply>);

/** A `chat.completion` whose message content is `content` (objects are JSON-encoded). */
export function completion(
  content: unknown,
  options: { model?: string; promptTokens?: number; finishReason?: string } = {},
): FakeReply {
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  return {
    body: {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: options.model ?? 'fake-model',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          finish_reason: options.finishReason ?? 'stop',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: options.promptTokens ?? 100,
        completion_tokens: Math.ceil(text.length / 4),
        total_tokens: (options.promptTokens ?? 100) + Math.ceil(text.length / 4),
      },
    },
  };
}

/** An error in OpenAI's shape. */
export function apiError(status: number, message: string, type = 'server_error'): FakeReply {
  return { status, body: { error: { message, type, param: null, code: null } } };
}

export class FakeOpenAi {
  readonly requests: RecordedRequest[] = [];
  /** Requests whose client went away before an answer was sent (it timed out or aborted). */
  readonly abandoned: RecordedRequest[] = [];
  private readonly queue: Script[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Used when the queue is empty; by default a 500 that says so, so a test notices. */
  fallback: Script = apiError(500, 'fake-openai: no scripted reply left');
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey: string | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on 127.0.0.1 on a random port; `url` is the base URL to give the client (…/v1). */
  static async start(options: { apiKey?: string } = {}): Promise<FakeOpenAi> {
    let fake: FakeOpenAi | undefined;
    const server = createServer((req, res) => {
      fake!.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err), type: 'fake_error' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeOpenAi(server, `http://127.0.0.1:${port}/v1`);
    fake.apiKey = options.apiKey;
    return fake;
  }

  /** Replies for the next requests, in order. */
  enqueue(...scripts: Script[]): void {
    this.queue.push(...scripts);
  }

  /** The chat completion requests, in order. */
  get completions(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1/chat/completions');
  }

  reset(): void {
    this.requests.length = 0;
    this.abandoned.length = 0;
    this.queue.length = 0;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: raw ? JSON.parse(raw) : undefined,
      raw,
    };
    this.requests.push(recorded);

    if (this.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.send(res, apiError(401, 'Incorrect API key provided.', 'invalid_request_error'));
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return this.send(res, { body: { object: 'list', data: [{ id: 'fake-model', object: 'model' }] } });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return this.send(res, apiError(404, `fake-openai: no route ${req.method} ${path}`, 'not_found'));
    }
    const script = this.queue.shift() ?? this.fallback;
    const reply = typeof script === 'function' ? await script(recorded) : script;
    if (reply.hang) {
      // Only the client (or close()) ends it.
      if (!res.destroyed) await new Promise<void>((resolve) => res.on('close', () => resolve()));
      this.abandoned.push(recorded);
      return;
    }
    if (reply.delayMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, reply.delayMs);
        this.timers.add(t);
        // The client gave up: answer nobody.
        res.on('close', () => {
          clearTimeout(t);
          this.timers.delete(t);
          resolve();
        });
      });
      if (res.destroyed || res.writableEnded) {
        this.abandoned.push(recorded);
        return;
      }
    }
    this.send(res, reply);
  }

  private send(res: ServerResponse, reply: FakeReply): void {
    if (res.destroyed) return;
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      'x-request-id': `req_${randomUUID()}`,
      ...reply.headers,
    });
    res.end(body);
  }
}
