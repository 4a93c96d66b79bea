import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { type App, HTTPReceiver, isValidSlackRequest, type Logger, type Receiver } from '@slack/bolt';
import { isBotError } from '../../core/index.ts';
import { announcedLength, readBody, refuseUnread } from '../../http/body.ts';
import { errorJson } from '../../http/router.ts';

/**
 * The largest body taken from Slack. Slack's biggest deliveries are a block_actions payload that
 * carries the message clicked on (at most 50 blocks, a section's text at most 3,000 characters, so
 * about 150,000 characters plus a 40,000-character fallback text), form-encoded (percent-encoding
 * of the JSON's punctuation roughly doubles it), and a message_changed event with the message
 * before and after (twice 40,000 characters, again in rich_text blocks): a few hundred KB at the
 * very most, so 1 MiB leaves room and refuses anything four times Bolt's 4 MiB default would take.
 */
export const SLACK_BODY_LIMIT = 1024 * 1024;
/**
 * Bytes of bodies being received across every Slack request not yet verified. A body is only known
 * to be Slack's once all of it is in, so this is what an attacker can make the bot hold: eight
 * of the largest bodies, or hundreds of real ones (a few KB each). Past it: 503 with Retry-After.
 */
export const SLACK_IN_FLIGHT_LIMIT = 8 * 1024 * 1024;
/** Bolt refuses requests signed more than five minutes ago (replays); it does not bound the future. */
const MAX_AGE_S = 5 * 60;
/** Clock skew allowed ahead of this machine: a timestamp further ahead would stay "fresh" for long. */
const MAX_AHEAD_S = 60;
/** Slack gives up on an answer after 3 s; a body still arriving after this is not Slack's. */
const BODY_DEADLINE_MS = 5_000;
/**
 * Slack's ssl_check (`ssl_check=1&token=…`, a few dozen bytes) is the one request it sends unsigned
 * (bolt-js #1397). An unsigned request is read only when it is this small, and answered 200 only
 * when it is an ssl_check; it never reaches Bolt.
 */
const SSL_CHECK_LIMIT = 256;
/**
 * What is still read (and dropped) of a refused body before the connection is cut. The answer
 * goes out first; a small request (most of Slack's are a few KB) then reads it after a clean close,
 * while the megabytes an attacker offers are not worth reading (100 unfinished 4 MiB bodies cost
 * about 14 MiB of RSS this way, 38 MiB when each was read up to 1 MiB).
 */
const REFUSED_DRAIN_BYTES = 64 * 1024;

export interface ReceiverOptions {
  readonly signingSecret: string;
  readonly logger: Logger;
  /** Milliseconds since the epoch (tests move it); default Date.now. */
  readonly now?: () => number;
  readonly bodyDeadlineMs?: number;
}

/** The body as Bolt will parse it (form with `payload=<JSON>`, a plain form, or JSON) is JSON `null`. */
function parsesToNull(raw: string, contentType: string | undefined): boolean {
  try {
    const json = contentType === 'application/x-www-form-urlencoded' ? parse(raw).payload : raw;
    return typeof json === 'string' && JSON.parse(json) === null;
  } catch {
    return false;
  }
}

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

const UNSIGNED: Refusal = {
  status: 401,
  code: 'bot.slack.unsigned',
  message: 'This request carries no Slack signature (X-Slack-Signature and X-Slack-Request-Timestamp).',
  hint: "/slack/events takes only requests Slack signs with the app's signing secret.",
};
const STALE: Refusal = {
  status: 401,
  code: 'bot.slack.stale',
  message: `X-Slack-Request-Timestamp is more than ${MAX_AGE_S / 60} minutes old or more than ${MAX_AHEAD_S} s ahead of this machine's clock.`,
  hint: "Slack signs each request as it sends it; if Slack's own requests are refused, check this machine's clock (NTP).",
};
const FORGED: Refusal = {
  status: 401,
  code: 'bot.slack.bad_signature',
  message: 'The Slack signature does not match this request.',
  hint: 'Set SLACK_SIGNING_SECRET to the signing secret under Basic Information → App Credentials.',
};
const TOO_LARGE: Refusal = {
  status: 413,
  code: 'bot.slack.too_large',
  message: `The request body is over ${SLACK_BODY_LIMIT} bytes; Slack's requests are far smaller.`,
  hint: '/slack/events takes only requests from Slack.',
};
const BUSY: Refusal = {
  status: 503,
  code: 'bot.slack.busy',
  message: 'Too many Slack request bodies are being received at once.',
  hint: 'Try again in a moment; Slack retries by itself.',
};
const SLOW: Refusal = {
  status: 408,
  code: 'bot.slack.slow',
  message: `The request body did not arrive within ${BODY_DEADLINE_MS / 1000} s.`,
  hint: 'Slack needs its answer within 3 s; a slower body is not from Slack.',
};

/**
 * Slack's HTTP mode on the bot's own server: Bolt's HTTPReceiver does the request handling
 * (url verification; ack within 3 s), but it never listens itself — `/slack/events` on our router
 * hands requests to it, so there is one port, one server, one place for TLS in front.
 *
 * Before Bolt sees anything, the receiver refuses what cannot be Slack's at the cheapest point:
 * no signature or a timestamp out of range before reading any body, a body over SLACK_BODY_LIMIT
 * as soon as that is known, and any body past SLACK_IN_FLIGHT_LIMIT while others are arriving.
 * It then checks the signature itself, and hands Bolt the body already read (`rawBody`).
 */
export class MountedHttpReceiver implements Receiver {
  private readonly inner: HTTPReceiver;
  private readonly logger: Logger;
  private readonly signingSecret: string;
  private readonly now: () => number;
  private readonly bodyDeadlineMs: number;
  private inFlight = 0;

  constructor(options: ReceiverOptions) {
    this.signingSecret = options.signingSecret;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.bodyDeadlineMs = options.bodyDeadlineMs ?? BODY_DEADLINE_MS;
    this.inner = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: '/slack/events',
      logger: options.logger,
      // Ack first, work after: Slack wants an answer within 3 s and our work may take longer.
      processBeforeResponse: false,
    });
  }

  /** Bytes of unverified Slack bodies being received now (reserved from content-length, or counted). */
  get inFlightBytes(): number {
    return this.inFlight;
  }

  init(app: App): void {
    this.inner.init(app);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.receive(req, res).catch((err: unknown) => {
      this.logger.error(
        `handling a Slack request failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      if (!res.headersSent) {
        refuseUnread(
          req,
          res,
          500,
          errorJson('bot.internal', 'Something went wrong on the bot’s side; the log has the details.'),
        );
      }
    });
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signature = req.headers['x-slack-signature'];
    const timestamp = req.headers['x-slack-request-timestamp'];
    const unsigned = typeof signature !== 'string' || typeof timestamp !== 'string';
    const announced = announcedLength(req);
    if (unsigned && !this.mayBeSslCheck(req, announced)) return this.refuse(req, res, UNSIGNED);
    if (!unsigned && !this.fresh(timestamp)) return this.refuse(req, res, STALE);
    const limit = unsigned ? SSL_CHECK_LIMIT : SLACK_BODY_LIMIT;
    if (announced !== undefined && announced > limit)
      return this.refuse(req, res, unsigned ? UNSIGNED : TOO_LARGE);
    // Reserve what content-length announces now; a chunked body is counted as it arrives.
    const reserved = announced ?? 0;
    if (this.inFlight + reserved > SLACK_IN_FLIGHT_LIMIT)
      return this.refuse(req, res, BUSY, { 'retry-after': '1' });
    this.inFlight += reserved;
    let counted = 0;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.bodyDeadlineMs);
    let raw: Buffer;
    try {
      raw = await readBody(req, {
        limit,
        signal: deadline.signal,
        onChunk: (bytes) => {
          if (announced !== undefined) return;
          if (this.inFlight + bytes > SLACK_IN_FLIGHT_LIMIT) throw new BusyError();
          this.inFlight += bytes;
          counted += bytes;
        },
      });
    } catch (err) {
      this.inFlight -= reserved + counted;
      if (err instanceof BusyError) return this.refuse(req, res, BUSY, { 'retry-after': '1' });
      if (deadline.signal.aborted) return this.refuse(req, res, SLOW);
      if (isBotError(err) && err.code === 'bot.http.too_large')
        return this.refuse(req, res, unsigned ? UNSIGNED : TOO_LARGE);
      // The client went away mid-body: nobody to answer.
      res.destroy();
      return;
    } finally {
      clearTimeout(timer);
    }
    // The body is in: verified (or refused) before anything else, and no longer counted.
    this.inFlight -= reserved + counted;
    const body = raw.toString();
    if (unsigned) {
      // Bolt would drop the rest of an ssl_check body too; answering here keeps it from Bolt.
      if (
        parse(body).ssl_check === '1' &&
        req.headers['content-type'] === 'application/x-www-form-urlencoded'
      ) {
        res.writeHead(200).end();
        return;
      }
      return this.refuse(req, res, UNSIGNED);
    }
    if (!this.signed(signature, timestamp, body)) return this.refuse(req, res, FORGED);
    // Bolt reads `body.ssl_check` outside its error handling, so a signed body of JSON `null` would
    // be an unhandled rejection that ends the process.
    if (parsesToNull(body, req.headers['content-type'])) {
      refuseUnread(req, res, 400, errorJson('bot.slack.bad_body', 'The request body is JSON null.'));
      return;
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
    this.inner.requestListener(req, res);
  }

  /** Small enough, and form-encoded, to be Slack's unsigned ssl_check. */
  private mayBeSslCheck(req: IncomingMessage, announced: number | undefined): boolean {
    return (
      req.headers['content-type'] === 'application/x-www-form-urlencoded' &&
      announced !== undefined &&
      announced <= SSL_CHECK_LIMIT
    );
  }

  private fresh(timestamp: string): boolean {
    if (!/^\d{1,12}$/.test(timestamp)) return false;
    const age = Math.floor(this.now() / 1000) - Number(timestamp);
    return age <= MAX_AGE_S && age >= -MAX_AHEAD_S;
  }

  private signed(signature: string, timestamp: string, body: string): boolean {
    return isValidSlackRequest({
      signingSecret: this.signingSecret,
      body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(timestamp) },
      nowMilliseconds: this.now(),
    });
  }

  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    r: Refusal,
    headers: Record<string, string> = {},
  ): void {
    refuseUnread(req, res, r.status, errorJson(r.code, r.message, r.hint), headers, REFUSED_DRAIN_BYTES);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

/** The in-flight limit was reached while a chunked body was arriving. */
class BusyError extends Error {}
