import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

/** Gateway opcodes (docs: Opcodes and Status Codes → Gateway Opcodes). */
const OP = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  resume: 6,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
};
const MESSAGE_CONTENT_INTENT = 1 << 15;

export interface GatewayOptions {
  readonly token: string;
  /** Refuse the Message Content intent with close code 4014, as Discord does when it is not enabled. */
  readonly disallowMessageContent: boolean;
  readonly ready: (sessionId: string) => Record<string, unknown>;
  readonly guildCreate: () => Record<string, unknown>;
}

interface Session {
  readonly ws: WebSocket;
  seq: number;
  identified: boolean;
  intents: number;
}

/**
 * The gateway WebSocket: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats and ACKs, then
 * dispatches. A resume is answered with "invalid session", so the client identifies afresh.
 */
export class FakeGateway {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  readonly identifies: { intents: number; at: number }[] = [];
  readonly closes: number[] = [];

  constructor(
    server: Server,
    private readonly options: GatewayOptions,
  ) {
    this.wss = new WebSocketServer({ server, path: '/gateway' });
    this.wss.on('connection', (ws) => this.open(ws));
  }

  private send(session: Session, payload: Record<string, unknown>): void {
    if (session.ws.readyState === session.ws.OPEN) session.ws.send(JSON.stringify(payload));
  }

  private open(ws: WebSocket): void {
    const session: Session = { ws, seq: 0, identified: false, intents: 0 };
    this.sessions.add(session);
    ws.on('close', () => this.sessions.delete(session));
    ws.on('message', (raw) => {
      let msg: { op: number; d: any };
      try {
        msg = JSON.parse(String(raw));
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      this.onMessage(session, msg);
    });
    this.send(session, { op: OP.hello, d: { heartbeat_interval: 41_250 }, s: null, t: null });
  }

  private onMessage(session: Session, msg: { op: number; d: any }): void {
    switch (msg.op) {
      case OP.heartbeat:
        this.send(session, { op: OP.heartbeatAck, d: null, s: null, t: null });
        return;
      case OP.identify: {
        const token = String(msg.d?.token ?? '').replace(/^Bot /, '');
        this.identifies.push({ intents: Number(msg.d?.intents ?? 0), at: Date.now() });
        if (token !== this.options.token) {
          this.refuse(session, 4004, 'Authentication failed.');
          return;
        }
        session.intents = Number(msg.d?.intents ?? 0);
        if (this.options.disallowMessageContent && session.intents & MESSAGE_CONTENT_INTENT) {
          this.refuse(session, 4014, 'Disallowed intent(s).');
          return;
        }
        session.identified = true;
        this.dispatchTo(session, 'READY', this.options.ready(randomUUID()));
        this.dispatchTo(session, 'GUILD_CREATE', this.options.guildCreate());
        return;
      }
      case OP.resume:
        this.send(session, { op: OP.invalidSession, d: false, s: null, t: null });
        return;
      default:
        // Presence and voice updates: accepted and ignored.
        return;
    }
  }

  private refuse(session: Session, code: number, reason: string): void {
    this.closes.push(code);
    session.ws.close(code, reason);
  }

  private dispatchTo(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    this.send(session, { op: OP.dispatch, t, s: session.seq, d });
  }

  /** Sends an event to every identified connection. */
  dispatch(t: string, d: unknown): void {
    for (const s of this.sessions) if (s.identified) this.dispatchTo(s, t, d);
  }

  connected(): number {
    return [...this.sessions].filter((s) => s.identified).length;
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
