import { createServer, type Server as NetServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { FakeNodeHost } from './host.ts';
import type { TestKey } from './keys.ts';

/**
 * `exec`: commands never answer; `handshake`: the connection never gets that far; `die`: the node
 * dies mid-command (the TCP connection is reset while a command runs, no exit status).
 */
export type HangMode = 'exec' | 'handshake' | 'die';

export interface Behaviour {
  readonly delayMs: number;
  readonly hang: HangMode | undefined;
  readonly wrongHostKey: boolean;
  /** Dies (as `die`) on the commands this matches only; the others are answered. */
  readonly dieOn?: RegExp | undefined;
}

export interface RecordedCommand {
  readonly node: string;
  readonly command: string;
  readonly at: number;
  /** running → answered, or closed when the client closed the channel first (a timeout or an abort). */
  status: 'running' | 'answered' | 'closed';
}

export interface ExecHooks {
  record(rec: RecordedCommand): void;
  started(node: string): void;
  finished(node: string): void;
}

export interface FakeSshNodeServer {
  readonly name: string;
  readonly port: number;
  readonly hostKey: TestKey;
  /** Handshakes accepted and connections open right now. */
  readonly connections: { accepted: number; open: number };
  close(): Promise<void>;
}

/**
 * One fake node: a TCP listener on 127.0.0.1 that hands each connection to a real ssh2 Server
 * (publickey auth against the fleet's client key, exec only), or holds it silent to play a node
 * that hangs in the handshake. A second Server with another host key plays a node whose key changed.
 */
export async function startFakeSshNode(opts: {
  readonly host: FakeNodeHost;
  readonly hostKey: TestKey;
  readonly otherHostKey: TestKey;
  readonly clientKey: TestKey;
  readonly user: string;
  readonly behaviour: () => Behaviour;
  readonly hooks: ExecHooks;
}): Promise<FakeSshNodeServer> {
  const { host, clientKey, user, behaviour, hooks } = opts;
  const connections = { accepted: 0, open: 0 };
  const sockets = new Set<Socket>();

  const onClient = (client: ssh2.Connection) => {
    client.on('authentication', (ctx) => {
      const key = ctx.method === 'publickey' ? ctx.key : undefined;
      const known =
        key !== undefined &&
        ctx.username === user &&
        key.algo === clientKey.parsed.type &&
        key.data.equals(clientKey.blob);
      // Without a signature the client only asks whether the key would do; with one, it must verify.
      if (
        !known ||
        (ctx.method === 'publickey' &&
          ctx.signature &&
          !clientKey.parsed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo))
      ) {
        ctx.reject(['publickey']);
        return;
      }
      ctx.accept();
    });
    client.on('ready', () => {
      connections.accepted++;
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          // The client sends no stdin, but ssh2 only emits 'close' once the readable side has ended.
          stream.resume();
          const rec: RecordedCommand = {
            node: host.name,
            command: info.command,
            at: Date.now(),
            status: 'running',
          };
          hooks.record(rec);
          hooks.started(host.name);
          let open = true;
          let timer: NodeJS.Timeout | undefined;
          // In flight from the request until the answer is sent (or the client gives up): a window that
          // lies inside the client's own, so a count above its limit here is a real breach.
          let counted = true;
          const done = () => {
            if (!counted) return;
            counted = false;
            hooks.finished(host.name);
          };
          stream.on('close', () => {
            if (!open) return;
            open = false;
            if (timer) clearTimeout(timer);
            if (rec.status === 'running') rec.status = 'closed';
            done();
          });
          const b = behaviour();
          if (b.hang === 'exec') return;
          if (b.hang === 'die' || b.dieOn?.test(info.command)) {
            // Give the command a moment to be under way, then the machine is gone.
            setTimeout(() => (client as unknown as { _sock?: Socket })._sock?.destroy(), 50);
            return;
          }
          const answer = async () => {
            const a = await host.answer(info.command);
            if (!open) return;
            rec.status = 'answered';
            done();
            if (a.stdout) stream.write(a.stdout);
            if (a.stderr) stream.stderr.write(a.stderr);
            stream.exit(a.exitCode);
            stream.end();
          };
          const run = () => {
            answer().catch((err: unknown) => {
              if (!open) return;
              done();
              stream.stderr.write(`fake node error: ${(err as Error).message}\n`);
              stream.exit(70);
              stream.end();
            });
          };
          if (b.delayMs > 0) timer = setTimeout(run, b.delayMs);
          else run();
        });
      });
    });
    // A client that goes away mid-handshake is not the fake's problem.
    client.on('error', () => {});
  };

  const right = new ssh2.Server({ hostKeys: [opts.hostKey.privateKey] }, onClient);
  const wrong = new ssh2.Server({ hostKeys: [opts.otherHostKey.privateKey] }, onClient);

  const tcp: NetServer = createServer((socket) => {
    sockets.add(socket);
    connections.open++;
    socket.on('close', () => {
      sockets.delete(socket);
      connections.open--;
    });
    socket.on('error', () => {});
    // sshd flushes an exec's output, exit status, EOF and close in one write; ssh2's Server writes
    // each packet on its own, and Nagle would hold the later ones for the client's delayed ACK.
    socket.setNoDelay(true);
    const b = behaviour();
    if (b.hang === 'handshake') return;
    (b.wrongHostKey ? wrong : right).injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(0, '127.0.0.1', () => resolve());
  });
  const address = tcp.address();
  if (address === null || typeof address === 'string') throw new Error('fake ssh node: no TCP port');

  return {
    name: host.name,
    port: address.port,
    hostKey: opts.hostKey,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        tcp.close(() => resolve());
      }),
  };
}
