/**
 * Fault injection for Web API calls. Each fault answers one call (or `times` calls) of a method
 * (`'*'` matches any), in the order they were queued.
 *
 * - `{ status: 429, retryAfter }`: HTTP 429 with `Retry-After: <seconds>` and
 *   `{ ok: false, error: 'ratelimited' }`, as Slack rate-limits (WebClient waits and retries).
 * - `{ status: 500 | 502 | 503 | 504 }`: that HTTP status (WebClient throws WebAPIHTTPError and retries).
 * - `{ error: 'some_error' }`: HTTP 200 `{ ok: false, error }`, a platform error.
 * - `{ reset: true }`: the connection is destroyed without an answer (WebAPIRequestError).
 * - `{ delayMs }`: answers late; alone it is a slow success, with another fault it delays that.
 * - `applied: true`: the call takes effect before the fault answers (lost response: a retry
 *   would do it twice). By default a faulted call changes nothing.
 */
export type Fault =
  | {
      readonly status: 429;
      readonly retryAfter: number;
      readonly delayMs?: number;
      readonly applied?: boolean;
    }
  | { readonly status: 500 | 502 | 503 | 504; readonly delayMs?: number; readonly applied?: boolean }
  | { readonly error: string; readonly delayMs?: number; readonly applied?: boolean }
  | { readonly reset: true; readonly delayMs?: number; readonly applied?: boolean }
  | { readonly delayMs: number };

interface Queued {
  readonly method: string;
  readonly fault: Fault;
  remaining: number;
}

export class FaultQueue {
  private readonly queue: Queued[] = [];

  add(method: string, fault: Fault, times = 1): void {
    if (times < 1) throw new Error('fake slack: failNext needs times >= 1');
    this.queue.push({ method, fault, remaining: times });
  }

  /** Takes the next fault for this method, if any. */
  take(method: string): Fault | undefined {
    const i = this.queue.findIndex((q) => q.method === method || q.method === '*');
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
