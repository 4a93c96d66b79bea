/**
 * Fault injection for the fake Discord's REST API. Each fault answers one request (or `times`
 * requests) whose method and path (after /api/v10) match, in the order they were queued.
 *
 * - `{ status: 500 | 502 | 503 | 504 }`: that HTTP status (discord.js's REST retries 5xx answers).
 * - `{ drop: true }`: the connection is closed without an answer (undici: "other side closed",
 *   which discord.js does not retry).
 * - `{ reset: true }`: the connection is reset (TCP RST) without an answer (ECONNRESET, which
 *   discord.js retries).
 * - `applied: true`: the request takes effect before the fault answers, as when Discord did the
 *   work and the answer was lost on the way back: a blind retry would do it twice. By default a
 *   faulted request changes nothing.
 * - `withFiles: true`: only a request that uploads files matches (a file upload and a post share
 *   their path).
 */
export type DiscordFault = (
  | { readonly status: 500 | 502 | 503 | 504 }
  | { readonly drop: true }
  | { readonly reset: true }
) & { readonly applied?: boolean; readonly withFiles?: boolean };

interface Queued {
  readonly method: string;
  readonly path: RegExp;
  readonly fault: DiscordFault;
  remaining: number;
}

export class DiscordFaultQueue {
  private readonly queue: Queued[] = [];

  add(method: string, path: RegExp, fault: DiscordFault, times = 1): void {
    if (times < 1) throw new Error('fake discord: failNext needs times >= 1');
    this.queue.push({ method: method.toUpperCase(), path, fault, remaining: times });
  }

  /** Takes the next fault for this request, if any. */
  take(method: string, path: string, hasFiles = false): DiscordFault | undefined {
    const i = this.queue.findIndex(
      (q) => q.method === method && q.path.test(path) && (!q.fault.withFiles || hasFiles),
    );
    if (i < 0) return undefined;
    const q = this.queue[i]!;
    q.remaining -= 1;
    if (q.remaining === 0) this.queue.splice(i, 1);
    return q.fault;
  }

  clear(): void {
    this.queue.length = 0;
  }

  get pending(): number {
    return this.queue.reduce((n, q) => n + q.remaining, 0);
  }
}
