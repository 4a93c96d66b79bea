import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { BotError, type ErrorKind, isBotError } from '../core/index.ts';
import {
  crossSite,
  type HostPolicy,
  headerTitle,
  hostAllowed,
  hostPolicy,
  overTls,
  proxyHeader,
} from './access.ts';
import { refuseUnread } from './body.ts';
import { errorJson, type Router } from './router.ts';

export interface HttpOptions {
  readonly router: Router;
  readonly logger: Logger;
  /**
   * API_TOKEN, whatever HOST is: when set, everything but the open paths needs
   * `Authorization: Bearer <token>` or the token cookie. Unset (only allowed on a loopback HOST),
   * those paths answer only requests that did not come through a proxy.
   */
  readonly apiToken: string | undefined;
  /** Which Host headers (and Origins) are this bot; default: the loopback names only. */
  readonly hosts?: HostPolicy;
  /** How long slow clients get (tests shorten them); default HTTP_TIMEOUTS. */
  readonly timeouts?: Partial<HttpTimeouts>;
}

export interface HttpTimeouts {
  /** Every header must be in within this, or the connection is answered 408 and closed. */
  readonly headersTimeout: number;
  /** The whole request, body included (a 4 MiB webhook over a slow link fits). */
  readonly requestTimeout: number;
  /** An idle kept-alive connection is closed after this (Node's default). */
  readonly keepAliveTimeout: number;
  /** How often Node looks for connections past the two timeouts above (its default is 30 s). */
  readonly connectionsCheckingInterval: number;
}

/**
 * A client that trickles its headers or body (slowloris) holds a socket and whatever it sent, so
 * it is cut off; Node's defaults (60 s for headers, 300 s for a request, checked every 30 s) let
 * a few hundred such clients sit for minutes. Answers (the sandbox's event stream) are not bounded.
 */
export const HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
};

/**
 * On every response: no other site may frame the page (clickjacking the Approve buttons), and
 * browsers take each response as the type it says it is.
 */
const SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
} as const;

const COOKIE = 'incident_bot_token';
// Slack's requests carry Slack's signature, checked by Bolt, not our bearer token; the alert
// webhooks check their own token (WEBHOOK_TOKEN), which alert senders are configured with.
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/slack/events']);
const isOpenPath = (path: string) => OPEN_PATHS.has(path) || path.startsWith('/webhooks/');
// Probes (a load balancer, the kubelet) name the bot by whatever address they dialled; these two
// answer with nothing but a status, so any Host may ask.
const PROBE_PATHS = new Set(['/healthz', '/readyz']);
/** Methods that change nothing, which another site's page may send (and not read the answer of). */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The HTTP status of each kind of error. */
const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  unavailable: 503,
  rate_limited: 429,
  internal: 500,
};

/** By the error's kind; the two refusals of a body that HTTP has its own statuses for, by code. */
export function statusFor(err: BotError): number {
  if (err.code === 'bot.http.too_large') return 413;
  if (err.code === 'bot.http.content_type') return 415;
  return STATUS_OF_KIND[err.kind];
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const cookie = req.headers.cookie
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${COOKIE}=`));
  if (!cookie) return undefined;
  try {
    return decodeURIComponent(cookie.slice(COOKIE.length + 1));
  } catch {
    return undefined;
  }
}

export function createHttpServer(options: HttpOptions): Server {
  const { router, logger, apiToken } = options;
  const hosts = options.hosts ?? hostPolicy({ host: '127.0.0.1' });
  const timeouts = { ...HTTP_TIMEOUTS, ...options.timeouts };
  const server = createServer({
    headersTimeout: timeouts.headersTimeout,
    requestTimeout: timeouts.requestTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    connectionsCheckingInterval: timeouts.connectionsCheckingInterval,
  });
  server.on('clientError', clientErrorAnswer(timeouts));
  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // Every refusal: one line of JSON; a body still on its way is drained, so the client reads it.
    const refuse = (status: number, code: string, message: string, hint?: string) =>
      refuseUnread(req, res, status, errorJson(code, message, hint));
    try {
      if (!PROBE_PATHS.has(url.pathname) && !hostAllowed(hosts, req.headers.host)) {
        // DNS rebinding: another site's name resolved to this machine; the browser sends that name.
        refuse(
          421,
          'bot.http.host',
          `The Host header ${JSON.stringify(String(req.headers.host).slice(0, 100))} does not name this bot.`,
          'Open the bot at its own address (http://127.0.0.1:<PORT>, HOST, or PUBLIC_URL); behind a proxy, set PUBLIC_URL to the address people and senders use.',
        );
        return;
      }
      const foreign = SAFE_METHODS.has(method) ? undefined : crossSite(hosts, req.headers);
      if (foreign) {
        refuse(
          403,
          'bot.http.cross_site',
          `Refused a request from another site's page (${foreign}): only the bot's own page may change things.`,
          "Use the page at the bot's own address; behind a proxy, set PUBLIC_URL to the address in the browser. Scripts send no Origin and are not affected.",
        );
        return;
      }
      if (apiToken && !isOpenPath(url.pathname)) {
        // A browser cannot send a bearer header when opening the page: `/?token=…` once sets a cookie.
        const fromQuery = url.searchParams.get('token');
        if (fromQuery && safeEqual(fromQuery, apiToken)) {
          // Always back to the page itself: a path from the request could name another host (`//evil`).
          // Secure once the browser came over TLS, so the token never goes out over plain HTTP again.
          const secure = overTls(hosts, req.headers) ? '; Secure' : '';
          res.writeHead(303, {
            location: '/',
            'set-cookie': `${COOKIE}=${encodeURIComponent(apiToken)}; HttpOnly; SameSite=Strict; Path=/${secure}`,
          });
          res.end();
          return;
        }
        const token = presentedToken(req);
        if (!token || !safeEqual(token, apiToken)) {
          res.setHeader('www-authenticate', 'Bearer');
          refuse(
            401,
            'bot.http.unauthorized',
            'This bot requires API_TOKEN.',
            'Send Authorization: Bearer <API_TOKEN>, or open /?token=<API_TOKEN> once in the browser.',
          );
          return;
        }
      } else if (!isOpenPath(url.pathname)) {
        // No token is only allowed on a loopback HOST, where "only this machine" is the guard; a
        // proxy on this machine turns every caller into a loopback peer, so its requests are refused.
        const via = proxyHeader(req.headers);
        if (via) {
          refuse(
            403,
            'bot.http.proxied',
            `This request came through a proxy (it carries ${headerTitle(via)}), and without API_TOKEN the bot answers only callers on its own machine.`,
            'Set API_TOKEN on the bot (openssl rand -hex 32) and send Authorization: Bearer <API_TOKEN>, or open /?token=<API_TOKEN> once in the browser.',
          );
          return;
        }
      }
      const found = router.match(method, url.pathname);
      if (found === 'method') {
        refuse(405, 'bot.http.method', `${method} is not allowed on ${url.pathname}.`);
        return;
      }
      if (!found) {
        refuse(404, 'bot.http.not_found', `Nothing at ${url.pathname}.`);
        return;
      }
      await found.handler(req, res, found.params);
    } catch (err) {
      if (res.headersSent) {
        logger.warn({ err, path: url.pathname }, 'error after the response started');
        res.end();
        return;
      }
      const [status, code, message, hint] = isBotError(err)
        ? [statusFor(err), err.code, err.message, err.hint]
        : [
            500,
            'bot.internal',
            'Something went wrong on the bot’s side; the log has the details.',
            undefined,
          ];
      if (status === 500)
        logger.error({ err, method, path: url.pathname }, 'unhandled error in an HTTP handler');
      // A refusal before the body was read (too large, say) is answered without a reset.
      refuse(status, code, message, hint);
    }
  });
  return server;
}

/**
 * Node's own refusals (a slow client past the timeouts, a request that is not HTTP) come with no
 * request object and, by default, no body: written here as the same one-line JSON, straight to
 * the socket, when nothing of an answer has gone out on it yet.
 */
function clientErrorAnswer(timeouts: HttpTimeouts) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const [status, reason, code, message, hint] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [
            408,
            'Request Timeout',
            'bot.http.timeout',
            'The request did not arrive in time.',
            `Headers must arrive within ${timeouts.headersTimeout / 1000} s and a whole request within ${timeouts.requestTimeout / 1000} s.`,
          ]
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [
              431,
              'Request Header Fields Too Large',
              'bot.http.headers_too_large',
              'The request headers are too large.',
              'Send fewer or smaller headers (at most 16 KiB in all).',
            ]
          : [
              400,
              'Bad Request',
              'bot.http.bad_request',
              'The request is not valid HTTP.',
              'Send an HTTP/1.1 request.',
            ];
    const body = errorJson(code, message, hint);
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
}

export function listen(server: Server, port: number, host: string): Promise<{ url: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
        const why = {
          EADDRINUSE: 'is already in use',
          EACCES: 'needs privileges',
          EADDRNOTAVAIL: 'is not an address of this machine',
        }[err.code];
        reject(
          new BotError('bot.http.listen_failed', `Cannot listen on ${host}:${port}: the address ${why}.`, {
            hint: 'Stop the other process, or choose another PORT / HOST.',
            cause: err,
          }),
        );
      } else {
        reject(err);
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      const actualPort = typeof addr === 'object' && addr ? addr.port : port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({ url: `http://${shownHost}:${actualPort}`, port: actualPort });
    });
  });
}
