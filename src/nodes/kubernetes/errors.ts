import { ApiException } from '@kubernetes/client-node';
import { BotError, kindOfHttpStatus } from '../../core/errors.ts';

/**
 * What the Kubernetes API said, turned into the node layer's coded errors. The API's own words
 * (its Status `message`) go into the text: "nodes "x" is forbidden: User "…" cannot patch
 * resource "nodes"" tells an admin exactly which RBAC rule is missing.
 */

/** The RBAC rule a call needs, named the way a Role/ClusterRole names it. */
export interface Permission {
  readonly verb: string;
  readonly resource: string;
  /** API group; '' is the core group. */
  readonly group?: string;
}

export function permissionText(p: Permission): string {
  return `${p.verb} ${p.group ? `${p.resource}.${p.group}` : p.resource}`;
}

/** A Kubernetes `Status` body (what every API error carries), as far as this adapter reads it. */
export interface ApiStatus {
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

/** The Status inside an ApiException; client-node 1.x leaves the body as the raw response text. */
export function apiStatus(err: ApiException<unknown>): ApiStatus {
  const body = err.body;
  if (typeof body === 'object' && body !== null) return body as ApiStatus;
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null) return parsed as ApiStatus;
    } catch {
      return { message: body.slice(0, 300) };
    }
  }
  return {};
}

export function isApiStatus(err: unknown, code: number): err is ApiException<unknown> {
  return err instanceof ApiException && err.code === code;
}

/** Network-level failures node-fetch reports as FetchError with the system error code. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
]);

export interface ErrorContext {
  /** "Cordon of gpu-node-1": what was being done, for the one line a person reads. */
  readonly what: string;
  readonly adapter: string;
  readonly server: string;
  readonly permission: Permission;
}

function systemCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function unreachableError(ctx: ErrorContext, reason: string, cause: unknown): BotError {
  return new BotError(
    'bot.node.unreachable',
    `${ctx.what} failed: the Kubernetes API server of adapter ${ctx.adapter} (${ctx.server}) is unreachable (${reason}).`,
    {
      hint: 'Check that the API server is up and reachable from the bot (VPN, firewall, kubeconfig server URL).',
      cause,
    },
  );
}

export function timeoutError(ctx: ErrorContext, seconds: number): BotError {
  return new BotError(
    'bot.node.timeout',
    `${ctx.what} timed out: the Kubernetes API server of adapter ${ctx.adapter} did not answer within ${seconds} s.`,
    { hint: 'The API server may be overloaded; try again, or raise requestTimeoutSeconds for this adapter.' },
  );
}

export function forbiddenError(ctx: ErrorContext, status: ApiStatus, cause: unknown): BotError {
  const rule = permissionText(ctx.permission);
  const said = status.message ? ` Kubernetes said: ${status.message}` : '';
  return new BotError(
    'bot.node.forbidden',
    `${ctx.what} was refused: the bot's Kubernetes identity lacks the RBAC permission "${rule}".${said}`,
    {
      hint: `Grant verb "${ctx.permission.verb}" on resource "${ctx.permission.resource}"${ctx.permission.group ? ` (API group "${ctx.permission.group}")` : ' (core API group)'} in the ClusterRole bound to the bot's service account or user.`,
      cause,
    },
  );
}

/**
 * Turns anything a client-node call threw into a BotError. 404 is not handled here: whether it
 * means "unknown node" or "unknown workload" (or "already gone") is the caller's call.
 */
export function toBotError(err: unknown, ctx: ErrorContext): BotError {
  if (err instanceof BotError) return err;
  if (err instanceof ApiException) {
    const status = apiStatus(err);
    if (err.code === 403) return forbiddenError(ctx, status, err);
    if (err.code === 401) {
      return new BotError(
        'bot.node.unauthorized',
        `${ctx.what} was refused: the Kubernetes API server of adapter ${ctx.adapter} did not accept the bot's credentials (401).`,
        {
          hint: 'The token or client certificate in the kubeconfig is missing, expired or revoked.',
          cause: err,
        },
      );
    }
    return new BotError(
      'bot.node.api_error',
      `${ctx.what} failed: the Kubernetes API answered ${err.code}${status.message ? `: ${status.message}` : ''}.`,
      {
        hint: 'Look at the API server and its events; the bot log has the full response.',
        cause: err,
        // A 409 (the object changed meanwhile) or a 422 is a refusal; a 5xx is the API server's trouble.
        kind: kindOfHttpStatus(err.code),
        platformCode: err.code,
      },
    );
  }
  const code = systemCode(err);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return unreachableError(ctx, code, err);
  if (code !== undefined && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
    return new BotError(
      'bot.node.tls',
      `${ctx.what} failed: TLS with the Kubernetes API server of adapter ${ctx.adapter} failed (${code}).`,
      { hint: 'Check certificate-authority-data and the server name in the kubeconfig.', cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  // client-node refuses plain http unless the cluster says insecure-skip-tls-verify (config.js createAgent).
  if (/HTTP protocol is not allowed/i.test(message)) {
    return new BotError(
      'bot.node.kubeconfig',
      `Adapter ${ctx.adapter}: the kubeconfig points at ${ctx.server} over plain http, which the Kubernetes client refuses.`,
      {
        hint: 'Use the https URL of the API server (or, for a local test cluster only, set insecure-skip-tls-verify).',
        cause: err,
      },
    );
  }
  if (err instanceof Error && err.name === 'FetchError') return unreachableError(ctx, message, err);
  // Neither an answer nor the network: client-node's own complaint, or a bug on the bot's side.
  return new BotError('bot.node.api_error', `${ctx.what} failed: ${message}`, {
    hint: 'The bot log has the cause.',
    cause: err,
    kind: 'internal',
  });
}
