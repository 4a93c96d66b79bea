import { Client, type ClientChannel, type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import type { Logger } from '../../logger.ts';
import { abortedError } from '../errors.ts';
import {
  authRefusedError,
  commandTimeoutError,
  connectionLostError,
  connectTimeoutError,
  type Endpoint,
  hostKeyMismatchError,
  revokedHostKeyError,
  unknownHostKeyError,
  unreachableError,
} from './errors.ts';
import { checkHostKey, type HostKeyPins, type HostKeyVerdict } from './host-keys.ts';
import type { Release, Semaphore } from './semaphore.ts';

export interface ConnectionSettings {
  readonly endpoint: Endpoint;
  readonly user: string;
  readonly privateKey: ParsedKey;
  readonly pins: HostKeyPins;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  /** Shared by every node: bounds handshakes in flight (they cost CPU here, unlike a waiting command). */
  readonly handshakes: Semaphore;
  readonly logger: Logger;
}

export interface ExecRequest {
  readonly command: string;
  /** For errors: "Diagnostic uptime", "Cordon". */
  readonly what: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly onStdout: (chunk: Buffer) => void;
  readonly onStderr: (chunk: Buffer) => void;
  /** When the caller asked (before any queueing), in performance.now() time. */
  readonly requestedAt?: number;
  /**
   * Taken once connected, held while the command runs: the global command limit. Taken after the
   * handshake so that the next nodes' handshakes overlap the commands already waiting on their nodes.
   */
  readonly slot?: () => Promise<Release>;
}

/** What a shell reports for a process killed by a signal: 128 + its number. */
const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  ABRT: 6,
  FPE: 8,
  KILL: 9,
  SEGV: 11,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
};
/** OpenSSH's client exits 255 when the server closes a session without an exit status. */
const NO_STATUS = 255;

function exitCodeOf(code: number | null | undefined, signal: string | undefined): number {
  if (typeof code === 'number') return code;
  const n = signal === undefined ? undefined : SIGNALS[signal.replace(/^SIG/, '')];
  return n === undefined ? NO_STATUS : 128 + n;
}

/** Rejects with bot.node.aborted when `signal` fires first; `promise` itself carries on for others. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError(what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * One node's SSH connection: opened on first use, shared by every command to that node (one
 * session channel each), closed after `idleTimeoutMs` with nothing running. A handshake that fails
 * fails every command that was waiting for it, instead of each one waiting out its own attempt.
 */
export class NodeConnection {
  private conn: { readonly client: Client; readonly ready: Promise<Client> } | undefined;
  private active = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastFailure: { readonly at: number; readonly error: unknown } | undefined;
  private readonly dead = new WeakSet<Client>();
  /** Clients we hung up on: a reset while they close is expected, not worth a warning. */
  private readonly ending = new WeakSet<Client>();
  private closed = false;
  /** Handshakes started, for tests and the benchmark. */
  connects = 0;

  constructor(private readonly settings: ConnectionSettings) {}

  async exec(req: ExecRequest): Promise<{ exitCode: number }> {
    const requestedAt = req.requestedAt ?? performance.now();
    if (this.closed) throw unreachableError(this.settings.endpoint, new Error('the adapter was shut down'));
    this.active++;
    this.clearIdle();
    try {
      let client = await abortable(this.connect(requestedAt), req.signal, req.what);
      const release = req.slot ? await req.slot() : () => {};
      try {
        return await this.run(client, req);
      } catch (err) {
        // "Not connected" is thrown before anything is sent, so one retry on a new connection is safe.
        if (!(err instanceof NotConnected)) throw err;
        this.forget(client);
        client = await abortable(this.connect(performance.now()), req.signal, req.what);
        return await this.run(client, req);
      } finally {
        release();
      }
    } finally {
      this.active--;
      this.scheduleIdle();
    }
  }

  /** Hangs up and waits (at most a second) for the connection to close. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearIdle();
    const conn = this.conn;
    this.conn = undefined;
    if (!conn || this.dead.has(conn.client)) return;
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      conn.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.hangUp(conn.client);
    await closed;
  }

  private hangUp(client: Client): void {
    this.ending.add(client);
    client.end();
  }

  private connect(requestedAt: number): Promise<Client> {
    if (this.conn) return this.conn.ready;
    // A handshake that failed while this request waited (in the queue, or on that very handshake) is its answer too.
    if (this.lastFailure && this.lastFailure.at >= requestedAt) return Promise.reject(this.lastFailure.error);
    const { endpoint, logger } = this.settings;
    this.connects++;
    const client = new Client();
    const ready = this.settings.handshakes
      .acquire()
      .then((release) => this.handshake(client).finally(release))
      .then(
        (c) => {
          logger.debug({ node: endpoint.node }, 'ssh connected');
          return c;
        },
        (error: unknown) => {
          this.forget(client);
          this.lastFailure = { at: performance.now(), error };
          throw error;
        },
      );
    this.conn = { client, ready };
    return ready;
  }

  private handshake(client: Client): Promise<Client> {
    const { endpoint, user, privateKey, pins, connectTimeoutMs, keepaliveIntervalMs, logger } = this.settings;
    let verdict: HostKeyVerdict | undefined;
    const publicKeyAuth: PublicKeyAuthMethod = { type: 'publickey', username: user, key: privateKey };
    return new Promise<Client>((resolve, reject) => {
      if (this.closed) {
        reject(unreachableError(endpoint, new Error('the adapter was shut down')));
        return;
      }
      let ready = false;
      client.on('ready', () => {
        ready = true;
        if (this.closed) {
          this.hangUp(client);
          reject(unreachableError(endpoint, new Error('the adapter was shut down')));
          return;
        }
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (!ready) reject(this.connectError(err, verdict));
        else if (this.ending.has(client))
          logger.debug({ node: endpoint.node, err: err.message }, 'ssh error while closing');
        else logger.warn({ node: endpoint.node, err: err.message }, 'ssh connection error');
      });
      client.on('close', () => {
        this.dead.add(client);
        this.forget(client);
        if (!ready)
          reject(unreachableError(endpoint, new Error('the connection closed during the handshake')));
        else logger.debug({ node: endpoint.node }, 'ssh connection closed');
      });
      try {
        client.connect({
          host: endpoint.host,
          port: endpoint.port,
          username: user,
          // The key parsed (and decrypted) once at start-up: `privateKey` would have ssh2 parse it,
          // an encrypted key's bcrypt KDF included (~250 ms of CPU), on every connect.
          authHandler: [publicKeyAuth],
          // ssh2 starts this timer before the TCP connect, so it bounds DNS, TCP and the handshake.
          readyTimeout: connectTimeoutMs,
          keepaliveInterval: keepaliveIntervalMs,
          keepaliveCountMax: 3,
          hostVerifier: (key: Buffer) => {
            verdict = checkHostKey(pins, key);
            return verdict.ok;
          },
          ...(pins.serverHostKey ? { algorithms: { serverHostKey: [...pins.serverHostKey] as never } } : {}),
        });
        // Commands are small request/answer exchanges: without this, Nagle's algorithm meeting the
        // peer's delayed ACK adds ~40 ms to every exec.
        client.setNoDelay(true);
      } catch (err) {
        reject(unreachableError(endpoint, err));
      }
    });
  }

  private connectError(err: Error & { level?: string }, verdict: HostKeyVerdict | undefined): unknown {
    const { endpoint, pins, user, connectTimeoutMs, logger } = this.settings;
    if (verdict && !verdict.ok) {
      logger.warn(
        { node: endpoint.node, host: endpoint.host, presented: verdict.fingerprint, reason: verdict.reason },
        'ssh host key refused',
      );
      if (verdict.reason === 'revoked') return revokedHostKeyError(endpoint, verdict.fingerprint);
      if (verdict.reason === 'unknown') return unknownHostKeyError(endpoint, verdict.fingerprint);
      return hostKeyMismatchError(endpoint, verdict.fingerprint, [...pins.fingerprints]);
    }
    if (err.level === 'client-timeout') return connectTimeoutError(endpoint, connectTimeoutMs);
    if (err.level === 'client-authentication') return authRefusedError(endpoint, user);
    return unreachableError(endpoint, err);
  }

  private run(client: Client, req: ExecRequest): Promise<{ exitCode: number }> {
    const { node } = this.settings.endpoint;
    return new Promise((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      let exitCode: number | undefined;
      const stop = () => {
        try {
          // OpenSSH (7.9+) delivers the signal; closing the channel hangs up the session either way.
          channel?.signal('TERM');
          channel?.close();
        } catch {
          // The channel is already gone.
        }
      };
      const settle = (act: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        act();
      };
      const timer = setTimeout(() => {
        stop();
        settle(() => reject(commandTimeoutError(node, req.what, req.timeoutMs)));
      }, req.timeoutMs);
      const onAbort = () => {
        stop();
        settle(() => reject(abortedError(req.what)));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        client.exec(req.command, (err, stream) => {
          if (err) {
            // A refused channel (the server's MaxSessions, a dying connection) is a transport failure.
            const { endpoint } = this.settings;
            settle(() =>
              reject(
                this.dead.has(client) ? connectionLostError(node, req.what) : unreachableError(endpoint, err),
              ),
            );
            return;
          }
          if (settled) {
            stream.close();
            return;
          }
          channel = stream;
          stream.on('data', req.onStdout);
          stream.stderr.on('data', req.onStderr);
          stream.on('exit', (code: number | null, signal?: string) => {
            exitCode = exitCodeOf(code, signal);
          });
          stream.on('close', () =>
            settle(() => {
              if (exitCode === undefined && this.dead.has(client))
                reject(connectionLostError(node, req.what));
              else resolve({ exitCode: exitCode ?? NO_STATUS });
            }),
          );
        });
      } catch (err) {
        settle(() => reject(new NotConnected(err)));
      }
    });
  }

  private forget(client: Client): void {
    if (this.conn?.client === client) this.conn = undefined;
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private scheduleIdle(): void {
    if (this.active > 0 || !this.conn || this.closed) return;
    this.clearIdle();
    const idle = this.conn;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.active > 0 || this.conn !== idle) return;
      this.conn = undefined;
      this.hangUp(idle.client);
    }, this.settings.idleTimeoutMs);
    this.idleTimer.unref();
  }
}

class NotConnected extends Error {
  constructor(cause: unknown) {
    super('not connected', { cause });
  }
}
