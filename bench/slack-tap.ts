/**
 * A pass-through HTTP proxy in front of the fake Slack's Web API, one per bot process, so a
 * benchmark can tell which replica made which call (the fake sees one bot token for both).
 * Point the bot's SLACK_API_URL at `tap.url`; Socket Mode still connects to the fake directly,
 * because apps.connections.open answers with the fake's own WebSocket URL.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TapCall {
  readonly method: string;
  /** When the request reached the tap, ms since the epoch. */
  readonly at: number;
  /** The fake's HTTP status; 0 until it answered (or when the request failed). */
  status: number;
}

export interface SlackTap {
  /** The Web API base for SLACK_API_URL; ends in `/api/`. */
  readonly url: string;
  readonly calls: readonly TapCall[];
  close(): Promise<void>;
}

/** `target` is the fake's origin, `http://127.0.0.1:<port>`. */
export async function startSlackTap(target: string): Promise<SlackTap> {
  const calls: TapCall[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const call: TapCall = {
      method: path.replace(/^\/api\//, '').split('?')[0] ?? '',
      at: Date.now(),
      status: 0,
    };
    if (path.startsWith('/api/')) calls.push(call);
    const upstream = request(
      new URL(path, target),
      { method: req.method, headers: req.headers },
      (answer) => {
        call.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`slack tap: ${err.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
