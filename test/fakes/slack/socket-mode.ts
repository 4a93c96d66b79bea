import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { IdFactory } from './ids.ts';

/**
 * Slack's side of Socket Mode (docs.slack.dev/apis/events-api/using-socket-mode):
 * apps.connections.open hands out a one-time `wss://…/link/?ticket=…` URL; on connect Slack sends
 * `{ type: 'hello', num_connections, connection_info: { app_id }, debug_info }`; payloads arrive as
 * envelopes `{ envelope_id, type, payload, accepts_response_payload }` (events_api ones also carry
 * `retry_attempt` and `retry_reason`); the app acks each with `{ envelope_id, payload? }`.
 * `{ type: 'disconnect', reason: 'refresh_requested' | 'warning' | 'link_disabled' }` asks it to
 * reconnect. Slack pings; @slack/socket-mode 3 also pings the server and expects pongs, which the
 * `ws` server sends by itself.
 */
export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

/** The app's acknowledgement as it arrived on the socket. */
export interface SocketAck {
  readonly envelope_id: string;
  readonly payload?: unknown;
}

export interface Envelope {
  readonly envelope_id: string;
  readonly type: EnvelopeType;
  readonly payload: unknown;
  readonly accepts_response_payload: boolean;
  readonly retry_attempt?: number;
  readonly retry_reason?: string;
}

export interface SendEnvelopeOptions {
  readonly envelopeId?: string;
  /** events_api only: 0 for the first delivery, 1.. for Slack's retries. */
  readonly retryAttempt?: number;
  /** events_api only: `timeout`, `http_error`, … ('' on the first delivery). */
  readonly retryReason?: string;
  /** How long to wait for the ack; Slack's deadline is 3 s. */
  readonly ackTimeoutMs?: number;
  /** How long to wait for a connected client first. */
  readonly connectTimeoutMs?: number;
}

interface Pending {
  resolve(ack: SocketAck): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class SocketModeServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly open: WebSocket[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<() => void>();
  private readonly timers = new Map<WebSocket, NodeJS.Timeout>();
  /** Every envelope sent, in order. */
  readonly sent: Envelope[] = [];
  /** Every ack received, including ones for unknown or already-acked envelopes. */
  readonly acks: (SocketAck & { readonly at: number })[] = [];
  /** Connections accepted so far (reconnects count). */
  connectionCount = 0;

  constructor(
    private readonly ids: IdFactory,
    private readonly options: { appId: string; ackTimeoutMs: number; pingIntervalMs: number },
  ) {}

  get connected(): number {
    return this.live().length;
  }

  private live(): WebSocket[] {
    return this.open.filter((ws) => ws.readyState === ws.OPEN);
  }

  issueUrl(origin: string): string {
    const ticket = this.ids.ticket();
    this.tickets.add(ticket);
    return `${origin.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.options.appId}`;
  }

  /** Accepts upgrades on /link/ with an unused ticket; anything else is refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    this.connectionCount += 1;
    this.open.push(ws);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let ack: SocketAck;
      try {
        ack = JSON.parse(data.toString()) as SocketAck;
      } catch {
        return;
      }
      this.acks.push({ ...ack, at: Date.now() });
      const p = this.pending.get(ack.envelope_id);
      if (p) {
        this.pending.delete(ack.envelope_id);
        clearTimeout(p.timer);
        p.resolve(ack);
      }
    });
    ws.on('close', () => this.forget(ws));
    ws.on('error', () => this.forget(ws));
    if (this.options.pingIntervalMs > 0) {
      const timer = setInterval(() => ws.readyState === ws.OPEN && ws.ping(), this.options.pingIntervalMs);
      timer.unref();
      this.timers.set(ws, timer);
    }
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.open.length,
        debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  private forget(ws: WebSocket): void {
    const i = this.open.indexOf(ws);
    if (i >= 0) this.open.splice(i, 1);
    clearInterval(this.timers.get(ws));
    this.timers.delete(ws);
  }

  waitForConnection(timeoutMs = 5000): Promise<void> {
    if (this.live().length > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(new Error(`fake slack: no Socket Mode connection within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(done);
    });
  }

  async send(type: EnvelopeType, payload: unknown, opts: SendEnvelopeOptions = {}): Promise<SocketAck> {
    await this.waitForConnection(opts.connectTimeoutMs ?? 5000);
    // Slack may use any open connection; the newest one is as good as any.
    const ws = this.live().at(-1);
    if (!ws) throw new Error('fake slack: the Socket Mode connection closed before the envelope was sent');
    const envelope: Envelope = {
      envelope_id: opts.envelopeId ?? this.ids.envelopeId(),
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      ...(type === 'events_api'
        ? { retry_attempt: opts.retryAttempt ?? 0, retry_reason: opts.retryReason ?? '' }
        : {}),
    };
    const timeoutMs = opts.ackTimeoutMs ?? this.options.ackTimeoutMs;
    const acked = new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.envelope_id);
        reject(
          new Error(
            `fake slack: envelope ${envelope.envelope_id} (${type}) not acked within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(envelope.envelope_id, { resolve, reject, timer });
    });
    this.sent.push(envelope);
    ws.send(JSON.stringify(envelope));
    return acked;
  }

  /** Sends Slack's `disconnect` message; the client closes and reconnects through apps.connections.open. */
  requestDisconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    const msg = JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake-1' } });
    for (const ws of this.live()) ws.send(msg);
  }

  /** Cuts every connection without a close handshake, as a network failure would. */
  drop(): void {
    for (const ws of [...this.open]) ws.terminate();
  }

  async close(): Promise<void> {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`fake slack: closed before envelope ${id} was acked`));
    }
    this.pending.clear();
    // Finish close handshakes (Bolt's app.stop() returns before its client's completes), then cut
    // whatever is left. A client that is still running will try to reconnect and fail.
    const closing = [...this.open].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          ws.once('close', () => resolve());
          if (ws.readyState === ws.OPEN) ws.close(1001, 'fake slack closing');
        }),
    );
    const grace = setTimeout(() => {
      for (const ws of [...this.open]) ws.terminate();
    }, 500);
    await Promise.all(closing);
    clearTimeout(grace);
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
