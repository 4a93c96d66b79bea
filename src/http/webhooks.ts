import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { ALERT_SOURCES, type AlertSource } from '../alerts/types.ts';
import { isLoopback } from '../config.ts';
import type { AlertService } from '../incidents/alerts.ts';
import { headerTitle, proxyHeader } from './access.ts';
import { type Router, readJson, sendError, sendJson } from './router.ts';

/** Alertmanager's own limit on a notification is far below this; a storm batch of 1,000 alerts fits. */
export const WEBHOOK_BODY_LIMIT = 4 * 1024 * 1024;

export interface WebhookDeps {
  readonly alerts: AlertService;
  /** WEBHOOK_TOKEN. Unset: only callers on this machine (loopback, not through a proxy). */
  readonly token: string | undefined;
}

/**
 * Whether a webhook call may in: with a token, only a matching bearer token, from anywhere.
 * Without one, only a caller on this machine (so a bot bound to 0.0.0.0 without WEBHOOK_TOKEN is
 * not an open door); a call carrying a proxy's header (`proxied`) came from wherever the proxy
 * took it, even though its peer is loopback, and is refused too.
 */
export function webhookAccess(
  remoteAddress: string | undefined,
  headers: IncomingHttpHeaders,
  token: string | undefined,
): 'ok' | 'refused' | 'proxied' {
  if (!token) {
    if (!isLoopback(remoteAddress ?? '')) return 'refused';
    return proxyHeader(headers) ? 'proxied' : 'ok';
  }
  const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  if (!m) return 'refused';
  const given = Buffer.from(m[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want) ? 'ok' : 'refused';
}

function refuse(res: ServerResponse, token: string | undefined, headers: IncomingHttpHeaders): void {
  const via = token ? undefined : proxyHeader(headers);
  if (via) {
    sendError(
      res,
      403,
      'bot.webhook.proxied',
      `This webhook call came through a proxy (it carries ${headerTitle(via)}), and without WEBHOOK_TOKEN the webhooks take calls only from this machine.`,
      'Set WEBHOOK_TOKEN on the bot (openssl rand -hex 32) and send it as a bearer token: Alertmanager http_config.authorization.credentials, Grafana the Authorization header.',
    );
    return;
  }
  res.setHeader('www-authenticate', 'Bearer');
  if (token) {
    sendError(
      res,
      401,
      'bot.webhook.unauthorized',
      'This webhook needs the bearer token (WEBHOOK_TOKEN).',
      "Alertmanager: http_config.authorization.credentials; Grafana: the contact point's Authorization header.",
    );
  } else {
    sendError(
      res,
      401,
      'bot.webhook.closed',
      'The alert webhooks take calls from other machines only when WEBHOOK_TOKEN is set.',
      'Set WEBHOOK_TOKEN on the bot and send it as a bearer token.',
    );
  }
}

/**
 * `POST /webhooks/alertmanager | grafana | generic`. Answers 200 only once the alerts are stored;
 * a body that is not the source's shape is a 400 naming the field, and nothing is stored.
 */
export function registerWebhooks(router: Router, deps: WebhookDeps): void {
  router.on('POST', '/webhooks/:source', async (req, res, params) => {
    const source = params.source as AlertSource;
    if (!(ALERT_SOURCES as readonly string[]).includes(source)) {
      sendError(
        res,
        404,
        'bot.webhook.unknown_source',
        `There is no webhook for "${String(params.source).slice(0, 40)}".`,
        `Use one of: ${ALERT_SOURCES.map((s) => `/webhooks/${s}`).join(', ')}.`,
      );
      return;
    }
    if (webhookAccess(req.socket.remoteAddress, req.headers, deps.token) !== 'ok') {
      req.resume();
      refuse(res, deps.token, req.headers);
      return;
    }
    const body = await readJson(
      req,
      WEBHOOK_BODY_LIMIT,
      'Send fewer alerts per call: Alertmanager max_alerts in the webhook_config (the rest are counted in truncatedAlerts), or split the batch.',
    );
    const received = await deps.alerts.receive(source, body);
    sendJson(res, 200, { status: 'stored', alerts: received.alerts, groups: received.groups });
  });
}
