import type { IncomingMessage, ServerResponse } from 'node:http';
import { BotError } from '../core/index.ts';

/**
 * How much of a refused body is still read and thrown away, and for how long, so that a client
 * that sends what it announced reads the answer instead of a reset: closing a socket with unread
 * data in it makes the kernel send RST, and the client may lose the answer with it.
 */
const DRAIN_BYTES = 16 * 1024 * 1024;
const DRAIN_MS = 10_000;

export interface BodyOptions {
  /** At most this many bytes; more is bot.http.too_large (a 413). */
  readonly limit: number;
  /** What the 413 tells the sender to do. */
  readonly hint?: string;
  /** Sees each chunk's size before it is kept; throwing stops the read with that error. */
  readonly onChunk?: (bytes: number) => void;
  /** Aborting stops the read (a deadline), leaving the rest unread. */
  readonly signal?: AbortSignal;
}

export function tooLarge(limit: number, hint?: string): BotError {
  return new BotError('bot.http.too_large', `The request body is over ${limit} bytes.`, hint ? { hint } : {});
}

/** content-length as a number, when the client announced one. */
export function announcedLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Reads the whole body, at most `limit` bytes. Refuses before reading anything when content-length
 * already says too much, and stops keeping data as soon as the limit is passed; either way the rest
 * stays unread for `refuseUnread` to drain. (`for await` over the request would destroy it on the
 * way out, resetting the connection under the 413.)
 */
export function readBody(req: IncomingMessage, options: BodyOptions): Promise<Buffer> {
  const { limit } = options;
  if ((announcedLength(req) ?? 0) > limit) return Promise.reject(tooLarge(limit, options.hint));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const stop = (err: unknown) => {
      done();
      chunks.length = 0;
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        stop(tooLarge(limit, options.hint));
        return;
      }
      try {
        options.onChunk?.(chunk.length);
      } catch (err) {
        stop(err);
        return;
      }
      size += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => stop(aborted(err));
    // Without 'end' first: the client went away mid-body.
    const onClose = () => stop(aborted());
    const onAbort = () => stop(options.signal?.reason);
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

function aborted(cause?: unknown): BotError {
  return new BotError('bot.http.aborted', 'The request body ended before it was complete.', {
    ...(cause ? { cause } : {}),
  });
}

/**
 * Whether some of the request's body has not been read yet. A request without a body (a GET) is
 * not `complete` until its handler has started either, so that alone does not tell.
 */
export function bodyPending(req: IncomingMessage): boolean {
  if (req.complete || req.destroyed) return false;
  return req.headers['transfer-encoding'] !== undefined || (announcedLength(req) ?? 0) > 0;
}

/**
 * Answers while the client may still be sending its body: the whole answer goes out at once with
 * `connection: close`, the rest of the body is read and dropped (up to `drainBytes`, DRAIN_MS),
 * and only then does the connection close, so a client that sends what it announced reads the
 * answer and sees a clean close. A client that keeps sending past that is cut off.
 */
export function refuseUnread(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
  drainBytes = DRAIN_BYTES,
): void {
  const pending = bodyPending(req);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(pending ? { connection: 'close' } : {}),
  });
  if (!pending) {
    res.end(body);
    return;
  }
  res.write(body);
  let drained = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    req.off('data', onData);
    res.end();
  };
  const cut = () => {
    finish();
    req.socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > drainBytes) cut();
  };
  const timer = setTimeout(cut, DRAIN_MS);
  timer.unref();
  req.on('data', onData);
  req.once('end', finish);
  req.once('close', finish);
  req.resume();
}
