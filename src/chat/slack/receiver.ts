import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { type App, HTTPReceiver, isValidSlackRequest, type Logger, type Receiver } from '@slack/bolt';

/** Bolt's own limit for a request body (HTTPModuleFunctions.defaultBodyLimit). */
const BODY_LIMIT = 4 * 1024 * 1024;

/** The body as Bolt will parse it (form with `payload=<JSON>`, a plain form, or JSON) is JSON `null`. */
function parsesToNull(raw: string, contentType: string | undefined): boolean {
  try {
    const json = contentType === 'application/x-www-form-urlencoded' ? parse(raw).payload : raw;
    return typeof json === 'string' && JSON.parse(json) === null;
  } catch {
    return false;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Slack's HTTP mode on the bot's own server: Bolt's HTTPReceiver does the request handling
 * (signature and timestamp check, which also refuses replays older than five minutes; url
 * verification; ack within 3 s), but it never listens itself — `/slack/events` on our router
 * hands requests to it, so there is one port, one server, one place for TLS in front.
 */
export class MountedHttpReceiver implements Receiver {
  private readonly inner: HTTPReceiver;
  private readonly signingSecret: string;

  constructor(options: { signingSecret: string; logger: Logger }) {
    this.signingSecret = options.signingSecret;
    this.inner = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: '/slack/events',
      logger: options.logger,
      // Ack first, work after: Slack wants an answer within 3 s and our work may take longer.
      processBeforeResponse: false,
    });
  }

  init(app: App): void {
    this.inner.init(app);
  }

  /**
   * The body is read here first: Bolt reads `body.ssl_check` outside its error handling, so a
   * signed body of JSON `null` would be an unhandled rejection that ends the process. Bolt takes
   * the body already read (`rawBody`) and checks the signature of the rest itself.
   */
  handle(req: IncomingMessage, res: ServerResponse): void {
    readBody(req).then(
      (raw) => {
        if (raw === undefined) {
          res.writeHead(413).end();
          return;
        }
        if (parsesToNull(raw.toString(), req.headers['content-type'])) {
          res.writeHead(this.signed(req, raw.toString()) ? 400 : 401).end();
          return;
        }
        (req as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
        this.inner.requestListener(req, res);
      },
      () => {
        if (!res.headersSent) res.writeHead(400).end();
      },
    );
  }

  private signed(req: IncomingMessage, body: string): boolean {
    const signature = req.headers['x-slack-signature'];
    return (
      typeof signature === 'string' &&
      isValidSlackRequest({
        signingSecret: this.signingSecret,
        body,
        headers: {
          'x-slack-signature': signature,
          'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
        },
      })
    );
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
