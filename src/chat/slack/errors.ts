import { ErrorCode as WebApiErrorCode } from '@slack/web-api';
import { BotError, type ErrorKind, isBotError, isNetworkError, kindOfHttpStatus } from '../../core/index.ts';

/**
 * Slack's error codes (the `error` of an `ok: false` answer) that the bot knows: what kind of
 * failure each is, and, where the code alone says little to a person, the words for it. The real
 * adapter and the fake Slack's ChatPlatform both map through here, so they raise the same kind.
 * An unknown code is a refusal (`invalid`): Slack names the transient ones.
 */
const SLACK_ERRORS: Readonly<Record<string, { readonly kind: ErrorKind; readonly text?: string }>> = {
  name_taken: { kind: 'conflict', text: 'that channel name is taken' },
  not_in_channel: {
    kind: 'forbidden',
    text: 'the bot is not in that channel; invite it with /invite @incident-bot',
  },
  channel_not_found: { kind: 'not_found', text: 'the channel does not exist or the bot cannot see it' },
  message_not_found: { kind: 'not_found' },
  user_not_found: { kind: 'not_found' },
  users_not_found: { kind: 'not_found' },
  is_archived: { kind: 'conflict', text: 'the channel is archived' },
  // files.getUploadURLExternal: larger than the workspace takes; as large on every retry.
  file_upload_size_restricted: { kind: 'invalid', text: 'the file is larger than this workspace takes' },
  is_inactive: { kind: 'conflict' },
  already_archived: { kind: 'conflict' },
  already_in_channel: { kind: 'conflict' },
  missing_scope: {
    kind: 'forbidden',
    text: 'the Slack app lacks a permission; reinstall it from manifest.yml',
  },
  restricted_action: { kind: 'forbidden', text: 'a workspace setting forbids this (ask a Slack admin)' },
  cant_update_message: { kind: 'forbidden' },
  posting_to_channel_denied: { kind: 'forbidden' },
  no_permission: { kind: 'forbidden' },
  access_denied: { kind: 'forbidden' },
  ekm_access_denied: { kind: 'forbidden' },
  team_access_not_granted: { kind: 'forbidden' },
  invalid_auth: { kind: 'forbidden', text: 'SLACK_BOT_TOKEN is not valid' },
  not_authed: { kind: 'forbidden', text: 'SLACK_BOT_TOKEN is missing' },
  account_inactive: { kind: 'forbidden', text: 'the bot token belongs to a deactivated app or user' },
  token_revoked: { kind: 'forbidden', text: 'SLACK_BOT_TOKEN was revoked; reinstall the app' },
  token_expired: { kind: 'forbidden', text: 'SLACK_BOT_TOKEN has expired; reinstall the app' },
  // Slack's own trouble, which a later attempt may get past, and its rate limit.
  ratelimited: { kind: 'rate_limited' },
  rate_limited: { kind: 'rate_limited' },
  internal_error: { kind: 'unavailable' },
  fatal_error: { kind: 'unavailable' },
  service_unavailable: { kind: 'unavailable' },
  request_timeout: { kind: 'unavailable' },
  team_added_to_org: { kind: 'unavailable' },
};

/** The kind of a Slack error code. */
export function slackErrorKind(slackCode: string): ErrorKind {
  return SLACK_ERRORS[slackCode]?.kind ?? 'invalid';
}

/**
 * Slack refused `method` with `slackCode`. A taken name is the port's `bot.chat.name_taken` (the
 * incident service tries the next name on it); everything else is `bot.slack.api_error` with the
 * code kept as `platformCode`.
 */
export function slackApiError(method: string, slackCode: string, cause?: unknown): BotError {
  const kind = slackErrorKind(slackCode);
  const base = { kind, platformCode: slackCode, ...(cause === undefined ? {} : { cause }) };
  if (slackCode === 'name_taken')
    return new BotError('bot.chat.name_taken', 'That channel name is taken in Slack.', base);
  const text = SLACK_ERRORS[slackCode]?.text ?? slackCode;
  return new BotError('bot.slack.api_error', `Slack refused ${method}: ${text}.`, base);
}

/**
 * WebClient's last words after a 429 it waited out: a plain Error, which it wraps as a
 * WebAPIRequestError like a network failure (or, for a Retry-After it cannot read, throws bare).
 */
const RATE_LIMIT_TEXT = /^(A rate limit was exceeded|Retry header did not contain a valid timeout)/;

/**
 * Whatever a Web API call threw, as a coded error: Slack's `ok: false` by its code, an HTTP error
 * by its status, a request that got no answer as `request_failed` (unavailable, so the outbox
 * tries again). Anything else is not Slack's doing but a bug, and is returned as it is: wrapping it
 * would put its message in front of people and have it retried.
 */
export function slackError(method: string, err: unknown): unknown {
  if (isBotError(err)) return err;
  const e = (err ?? {}) as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
    original?: unknown;
  };
  const message = err instanceof Error ? err.message : String(err);
  const original = e.original instanceof Error ? e.original.message : message;
  if (typeof e.data?.error === 'string' && e.data.error) return slackApiError(method, e.data.error, err);
  if (e.code === WebApiErrorCode.HTTPError && typeof e.statusCode === 'number') {
    return new BotError('bot.slack.api_error', `Slack refused ${method}: ${message}.`, {
      kind: kindOfHttpStatus(e.statusCode),
      platformCode: e.statusCode,
      cause: err,
    });
  }
  if (e.code === WebApiErrorCode.RateLimitedError || RATE_LIMIT_TEXT.test(original)) {
    return new BotError('bot.slack.api_error', `Slack refused ${method}: ${message}.`, {
      kind: 'rate_limited',
      platformCode: 'ratelimited',
      cause: err,
    });
  }
  if (e.code === WebApiErrorCode.RequestError || isNetworkError(err)) {
    return new BotError('bot.slack.request_failed', `Slack refused ${method}: ${message}.`, { cause: err });
  }
  return err;
}

/** Whether `err` is Slack's answer `slackCode` (already_archived, already_in_channel…). */
export function isSlackError(err: unknown, slackCode: string): boolean {
  return isBotError(err) && err.platformCode === slackCode;
}
