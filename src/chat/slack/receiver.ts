import type { IncomingMessage, ServerResponse } from 'node:http';
import { type App, HTTPReceiver, type Logger, type Receiver } from '@slack/bolt';

/**
 * Slack's HTTP mode on the bot's own server: Bolt's HTTPReceiver does the request handling
 * (signature and timestamp check, which also refuses replays older than five minutes; url
 * verification; ack within 3 s), but it never listens itself — `/slack/events` on our router
 * hands requests to it, so there is one port, one server, one place for TLS in front.
 */
export class MountedHttpReceiver implements Receiver {
  private readonly inner: HTTPReceiver;

  constructor(options: { signingSecret: string; logger: Logger }) {
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

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.inner.requestListener(req, res);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
