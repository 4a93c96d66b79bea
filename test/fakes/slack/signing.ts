import { createHmac } from 'node:crypto';

/**
 * How Slack signs HTTP requests to an app (docs.slack.dev/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">` keyed
 * with the app's signing secret. Redeliveries add `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`.
 * Events are JSON bodies; slash commands are form fields; interactivity is one form field
 * `payload=<JSON>`.
 */
export type InboundKind = 'event' | 'command' | 'interactive';

export interface PostSignedOptions {
  /** Signs with a wrong secret, as a forger would. */
  readonly forgeSignature?: boolean;
  /** Unix seconds for X-Slack-Request-Timestamp (default now); set it in the past for replays. */
  readonly timestamp?: number;
  readonly retryNum?: number;
  readonly retryReason?: string;
  /** Overrides the fake's signing secret. */
  readonly signingSecret?: string;
  readonly timeoutMs?: number;
  /** Extra or replacement headers. */
  readonly headers?: Record<string, string>;
}

export interface SignedResponse {
  readonly status: number;
  /** The raw response body. */
  readonly body: string;
  /** The body parsed as JSON when it is JSON. */
  readonly json: unknown;
  readonly headers: Record<string, string>;
  /** How long the app took to answer. */
  readonly ms: number;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * A form field is text. Slack only ever sends text there; a test that puts anything else in a field
 * (the fuzz does) gets it as the text a client would send: objects and arrays as JSON, since
 * String() throws for a null-prototype object or one whose own toString is not a function.
 */
function formText(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function encodeInbound(kind: InboundKind, payload: unknown): { body: string; contentType: string } {
  if (kind === 'event') return { body: JSON.stringify(payload), contentType: 'application/json' };
  if (kind === 'command') {
    const fields = Object.entries(payload as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]): [string, string] => [k, formText(v)]);
    return { body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return {
    body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    contentType: 'application/x-www-form-urlencoded',
  };
}

export async function postSigned(
  secret: string,
  targetUrl: string,
  kind: InboundKind,
  payload: unknown,
  opts: PostSignedOptions = {},
): Promise<SignedResponse> {
  const { body, contentType } = encodeInbound(kind, payload);
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const key = opts.forgeSignature ? `${opts.signingSecret ?? secret}-forged` : (opts.signingSecret ?? secret);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': sign(key, timestamp, body),
    ...(opts.retryNum !== undefined ? { 'x-slack-retry-num': String(opts.retryNum) } : {}),
    ...(opts.retryReason !== undefined ? { 'x-slack-retry-reason': opts.retryReason } : {}),
    ...opts.headers,
  };
  const started = performance.now();
  const res = await fetch(targetUrl, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    body: text,
    json,
    headers: Object.fromEntries(res.headers),
    ms: performance.now() - started,
  };
}
