import { BotError } from '../../core/errors.ts';
import { graphemeHead } from '../../core/text.ts';

/**
 * The http adapter's coded errors. Transport failures are the port's `bot.node.unreachable` and
 * `bot.node.timeout`; a refused token is `bot.node.unauthorized` / `bot.node.forbidden` (the codes
 * the Kubernetes adapter uses); an answer the adapter cannot read is `bot.node.api_error`. Each
 * names the control plane and the request (method and path, never a header), so the person reading
 * it knows which endpoint to curl.
 */

export interface RequestContext {
  /** "Drain of gpu-node-3": what was being done. */
  readonly what: string;
  readonly adapter: string;
  /** Origin and base path of the control plane, e.g. http://orchestrator:8080. */
  readonly baseUrl: string;
  /** `POST /v2/nodes/gpu-node-3/drain`. */
  readonly request: string;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export function unreachableError(ctx: RequestContext, reason: string, cause?: unknown): BotError {
  return new BotError(
    'bot.node.unreachable',
    `${ctx.what} failed: the control plane of adapter ${ctx.adapter} (${ctx.baseUrl}) is unreachable (${ctx.request}: ${reason}).`,
    {
      hint: `Check that it is up (curl ${ctx.baseUrl}/health) and that baseUrl in the adapter config is right.`,
      cause,
    },
  );
}

/** A 5xx on a read: the control plane is there but cannot answer, which to a reader is the same as down. */
export function unavailableError(ctx: RequestContext, status: string, detail: string): BotError {
  return new BotError(
    'bot.node.unreachable',
    `${ctx.what} failed: the control plane of adapter ${ctx.adapter} answered ${status} to ${ctx.request}${detail ? `: ${detail}` : ''}.`,
    {
      hint: 'The control plane is up but failing; look at its logs (journalctl -u orchestratord) and try again.',
    },
  );
}

export function timeoutError(ctx: RequestContext, ms: number, mutation: boolean): BotError {
  return new BotError(
    'bot.node.timeout',
    `${ctx.what} timed out: the control plane of adapter ${ctx.adapter} did not answer ${ctx.request} within ${seconds(ms)}.`,
    {
      hint: mutation
        ? 'The change may or may not have been made: check with `/node list` before trying again.'
        : 'The control plane may be overloaded; try again, or raise timeoutMs for this adapter.',
    },
  );
}

export function unauthorizedError(
  ctx: RequestContext,
  tokenEnv: string | undefined,
  status: 401 | 403,
): BotError {
  const said = status === 401 ? '401 Unauthorized' : '403 Forbidden';
  if (tokenEnv === undefined) {
    return new BotError(
      status === 401 ? 'bot.node.unauthorized' : 'bot.node.forbidden',
      `${ctx.what} was refused: the control plane of adapter ${ctx.adapter} wants a bearer token (${said} to ${ctx.request}) and the adapter has none.`,
      {
        hint: 'Set tokenEnv in the adapter config to the name of the environment variable that holds the token (e.g. ORCHESTRATOR_TOKEN).',
      },
    );
  }
  return new BotError(
    status === 401 ? 'bot.node.unauthorized' : 'bot.node.forbidden',
    status === 401
      ? `${ctx.what} was refused: the control plane of adapter ${ctx.adapter} did not accept the token in ${tokenEnv} (${said} to ${ctx.request}).`
      : `${ctx.what} was refused: the token in ${tokenEnv} may not do ${ctx.request} on the control plane of adapter ${ctx.adapter} (${said}).`,
    {
      hint: `Put the control plane's current API token (LLORCH_API_TOKEN on orchestratord) in ${tokenEnv} and restart the bot.`,
    },
  );
}

export function apiError(ctx: RequestContext, problem: string, cause?: unknown): BotError {
  return new BotError(
    'bot.node.api_error',
    `${ctx.what} failed: ${ctx.request} on the control plane of adapter ${ctx.adapter} ${problem}.`,
    {
      hint: 'Check that the adapter paths match this control plane (curl the endpoint); the bot log has the details.',
      cause,
    },
  );
}

export function missingTokenError(adapter: string, tokenEnv: string): BotError {
  return new BotError(
    'bot.config.http',
    `Adapter ${adapter}: the environment variable ${tokenEnv} (named by tokenEnv) is not set or empty.`,
    { hint: `Set ${tokenEnv} to the control plane's API token, or remove tokenEnv if it needs none.` },
  );
}

export function adapterClosedError(adapter: string): BotError {
  return new BotError('bot.node.closed', `Node adapter ${adapter} has been shut down.`, {
    hint: 'The bot is stopping; try again once it is back.',
  });
}

export function invalidWorkloadIdError(id: string): BotError {
  return new BotError(
    'bot.workload.invalid_id',
    `${JSON.stringify(graphemeHead(id, 80))} is not a valid workload id.`,
    {
      hint: 'Workload ids look like `<node>/<pool>`, each part letters, digits, dots, dashes and underscores.',
    },
  );
}
