/**
 * What kind of failure an error is, whatever part of the bot raised it. The kind, not the code,
 * is what the rest of the bot decides on: the outbox retries only `unavailable` and
 * `rate_limited`, the HTTP server answers a status per kind, and anything that is not a BotError
 * counts as `internal` (a bug: logged, never retried, never shown).
 */
export const ERROR_KINDS = [
  /** The request is wrong as made: a bad option, an empty text, a value out of range. */
  'invalid',
  /** What it names does not exist (an incident number, a node, a channel). */
  'not_found',
  /** Who asked may not do it, or the bot lacks the permission (a scope, an RBAC rule). */
  'forbidden',
  /** It clashes with the current state: a taken name, a closed incident, an action already decided. */
  'conflict',
  /** The far side is down, slow or not ready yet: a later attempt may work. */
  'unavailable',
  /** The far side asked the bot to slow down: a later attempt will work. */
  'rate_limited',
  /** A bug in the bot. */
  'internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * Every code the bot raises, with its kind. A code not in this table does not compile
 * (`new BotError('bot.nope', …)`), so the list stays complete. Codes are stable: tests, logs and
 * the HTTP API's error bodies carry them. Adapters that map a platform's error (Slack's
 * `ratelimited`, Discord's 50013) use one fixed code per platform and give the kind explicitly;
 * the platform's own code travels as `platformCode`.
 */
export const ERROR_CODES = {
  // Mitigation requests and approvals (src/core/action.ts, policy.ts, src/incidents/actions.ts).
  'bot.action.already_open': 'conflict',
  'bot.action.expired': 'conflict',
  'bot.action.forbidden': 'forbidden',
  'bot.action.not_found': 'not_found',
  'bot.action.not_pending': 'conflict',
  'bot.action.same_person': 'forbidden',

  // Alert webhooks (src/alerts/).
  'bot.alerts.invalid_payload': 'invalid',

  // Diagnostic bundles (src/incidents/bundles.ts): one node at a time, one per node per while.
  'bot.bundle.busy': 'conflict',
  'bot.bundle.rate_limited': 'conflict',
  'bot.bundle.closed': 'conflict',

  // Buttons (src/incidents/buttons.ts, the sandbox).
  'bot.button.unknown': 'invalid',

  // The ChatPlatform port: what every adapter raises the same way (src/chat/port.ts).
  'bot.chat.archived': 'conflict',
  'bot.chat.channel_not_found': 'not_found',
  // A file larger than the platform takes (ChatPlatform.maxUploadBytes): as large on every retry.
  'bot.chat.file_too_large': 'invalid',
  'bot.chat.forbidden': 'forbidden',
  'bot.chat.message_not_found': 'not_found',
  'bot.chat.name_taken': 'conflict',
  'bot.chat.not_started': 'unavailable',
  // The incident lives on a platform this process was not configured with: retrying here cannot help.
  'bot.chat.platform_missing': 'conflict',

  // Commands as people type them (src/commands/).
  'bot.command.forbidden': 'forbidden',
  'bot.command.invalid_option': 'invalid',
  'bot.command.missing_option': 'invalid',
  'bot.command.unexpected_argument': 'invalid',
  'bot.command.unknown': 'invalid',
  'bot.command.unknown_option': 'invalid',
  'bot.command.unterminated_quote': 'invalid',

  // Configuration refused at start-up.
  'bot.config.alert_platform': 'invalid',
  'bot.config.http': 'invalid',
  'bot.config.ssh': 'invalid',

  // Discord (src/chat/discord/). `api_error`: Discord answered with an error (its JSON code or HTTP
  // status in platformCode, the kind from it); `request_failed`: no answer at all.
  'bot.discord.api_error': 'invalid',
  'bot.discord.request_failed': 'unavailable',
  'bot.discord.announce_channel': 'not_found',
  'bot.discord.archive_full': 'conflict',
  'bot.discord.auth_failed': 'forbidden',
  'bot.discord.category_full': 'conflict',
  'bot.discord.guild_full': 'conflict',
  'bot.discord.guild_missing': 'not_found',
  'bot.discord.intents': 'forbidden',
  'bot.discord.permissions': 'forbidden',
  'bot.discord.unreachable': 'unavailable',

  // The HTTP server (src/http/). Statuses beyond the kind's (413, 415) are in server.ts.
  'bot.http.aborted': 'invalid',
  'bot.http.bad_json': 'invalid',
  'bot.http.bad_path': 'invalid',
  'bot.http.bad_query': 'invalid',
  'bot.http.bad_request': 'invalid',
  'bot.http.content_type': 'invalid',
  'bot.http.listen_failed': 'unavailable',
  'bot.http.too_large': 'invalid',

  // Incidents (src/core/status.ts, src/incidents/service.ts, src/app/inbound.ts).
  'bot.incident.busy': 'conflict',
  'bot.incident.channel_failed': 'unavailable',
  'bot.incident.closed': 'conflict',
  'bot.incident.illegal_transition': 'conflict',
  'bot.incident.no_channel_incident': 'invalid',
  'bot.incident.not_found': 'not_found',
  'bot.incident.note_empty': 'invalid',
  'bot.incident.note_too_long': 'invalid',
  'bot.incident.title_required': 'invalid',
  'bot.incident.title_too_long': 'invalid',
  'bot.incident.unchanged': 'conflict',
  'bot.incident.update_empty': 'invalid',
  'bot.incident.update_too_long': 'invalid',

  // The post-mortem's model (src/postmortem/llm.ts). `status` gets its kind from the HTTP status.
  'bot.llm.aborted': 'unavailable',
  'bot.llm.empty': 'unavailable',
  'bot.llm.failed': 'internal',
  'bot.llm.refused': 'forbidden',
  'bot.llm.status': 'unavailable',
  'bot.llm.timeout': 'unavailable',
  'bot.llm.truncated': 'unavailable',
  'bot.llm.unreachable': 'unavailable',

  // Nodes (src/nodes/): transport failures are `unreachable` / `timeout`; `api_error` is a control
  // plane or API server that answered something unusable, which to a reader is the same as down.
  'bot.node.aborted': 'unavailable',
  'bot.node.api_error': 'unavailable',
  'bot.node.closed': 'unavailable',
  'bot.node.duplicate_adapter': 'invalid',
  'bot.node.forbidden': 'forbidden',
  'bot.node.gone': 'not_found',
  'bot.node.host_key': 'forbidden',
  'bot.node.invalid_host': 'invalid',
  'bot.node.invalid_name': 'invalid',
  'bot.node.invalid_port': 'invalid',
  'bot.node.kubeconfig': 'invalid',
  'bot.node.no_metrics': 'unavailable',
  'bot.node.probe_unavailable': 'unavailable',
  'bot.node.timeout': 'unavailable',
  'bot.node.tls': 'unavailable',
  'bot.node.unauthorized': 'forbidden',
  'bot.node.unknown': 'not_found',
  'bot.node.unknown_diagnostic': 'invalid',
  'bot.node.unreachable': 'unavailable',
  'bot.node.unsupported': 'invalid',

  // The outbox (src/incidents/outbox.ts): `not_ready` waits for the channel; an op no handler
  // knows (a newer version wrote it) will not get one by waiting.
  'bot.outbox.bad_payload': 'internal',
  'bot.outbox.not_ready': 'unavailable',
  'bot.outbox.unknown_op': 'internal',

  // Post-mortems (src/postmortem/).
  'bot.postmortem.budget': 'invalid',
  'bot.postmortem.not_found': 'not_found',
  'bot.postmortem.pii_pattern': 'invalid',
  'bot.postmortem.rejected': 'unavailable',
  'bot.postmortem.too_long': 'invalid',

  // Reminders (src/incidents/reminders.ts).
  'bot.reminder.none': 'not_found',
  'bot.reminder.off': 'conflict',
  'bot.reminder.stopped': 'conflict',

  'bot.role.unknown': 'invalid',
  'bot.runbook.no_diagnostics': 'invalid',
  'bot.runbook.unknown': 'not_found',
  'bot.severity.unknown': 'invalid',

  // Slack (src/chat/slack/). `api_error`: Slack answered `ok: false` (its error in platformCode,
  // the kind from src/chat/slack/errors.ts); `request_failed`: no answer (network, timeout).
  'bot.slack.api_error': 'invalid',
  'bot.slack.request_failed': 'unavailable',
  'bot.slack.announce_channel': 'not_found',
  'bot.slack.auth_failed': 'forbidden',
  'bot.slack.unreachable': 'unavailable',

  'bot.status.unknown': 'invalid',

  // The store (src/store/).
  'bot.store.alert_group_taken': 'conflict',
  'bot.store.bad_url': 'invalid',
  'bot.store.locked': 'conflict',
  'bot.store.migration_failed': 'internal',
  'bot.store.open_failed': 'unavailable',

  'bot.user.unknown': 'not_found',

  // Workloads (src/nodes/).
  'bot.workload.ambiguous': 'invalid',
  'bot.workload.invalid_id': 'invalid',
  'bot.workload.invalid_tail': 'invalid',
  'bot.workload.unknown': 'not_found',
} as const satisfies Record<`bot.${string}`, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;
