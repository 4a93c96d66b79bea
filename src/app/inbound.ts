import type { Logger } from 'pino';
import type { Reply } from '../chat/message.ts';
import { ephemeral } from '../chat/message.ts';
import type { ChatPlatform, InboundEvent, InboundHandler } from '../chat/port.ts';
import type { CommandContext, CommandDefinition } from '../commands/define.ts';
import { canonicalTargets, checkNeeds } from '../commands/needs.ts';
import { parseOptions, readTypedOptions, type TypedOptions } from '../commands/parse.ts';
import type { CommandRegistry } from '../commands/registry.ts';
import type { Services } from '../commands/services.ts';
import { splitArgs } from '../commands/split.ts';
import { type Actor, BotError, type Clock, type Incident, type Severity } from '../core/index.ts';
import { parseButtonId } from '../incidents/buttons.ts';
import { incidentRef } from '../incidents/format.ts';
import type { ReminderService } from '../incidents/reminders.ts';
import { closedReply, closeIncident, resolvedReply, resolveIncident } from '../incidents/resolution.ts';
import type { Store } from '../store/port.ts';
import { errorReply } from './errors.ts';

export interface InboundDeps {
  readonly services: Services;
  readonly registry: CommandRegistry;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Absent: snooze buttons answer that reminders are off. */
  readonly reminders?: ReminderService;
}

/**
 * How long an event id is remembered. Slack retries an event three times within minutes (and
 * Socket Mode redelivers unacknowledged envelopes on reconnect); Discord and the sandbox page retry
 * within seconds. A day is far past all of them, and keeps the table from growing without end.
 */
export const PROCESSED_EVENT_TTL_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Turns inbound chat events into use cases. Redeliveries are dropped by event id; every failure
 * becomes a short ephemeral reply through the one error handler.
 */
export function createInboundHandler(chat: ChatPlatform, deps: InboundDeps): InboundHandler {
  let lastPrune = 0;
  // Beside the event, not in its way: the event's own answer does not wait for the clean-up.
  const prune = (now: Date) => {
    if (now.getTime() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now.getTime();
    deps.store
      .pruneProcessedEvents(chat.id, new Date(now.getTime() - PROCESSED_EVENT_TTL_MS))
      .catch((err) => deps.logger.warn({ err, platform: chat.id }, 'pruning old event ids failed'));
  };
  const ordered = new ChannelOrder();
  const handle = async (event: InboundEvent) => {
    const log = deps.logger.child({ platform: chat.id, event: event.type, eventId: event.eventId });
    try {
      const now = deps.clock.now();
      const first = await deps.store.markEventProcessed(chat.id, event.eventId, now);
      prune(now);
      if (!first) {
        log.debug('duplicate delivery dropped');
        return undefined;
      }
      return await route(chat, event, deps);
    } catch (err) {
      return errorReply(err, log, { channelId: event.channelId, actor: event.actor.id });
    }
  };
  return (event) =>
    // What people do to messages follows the messages: an edit, deletion or 📌 that overtook the
    // message it is about would find nothing to change. Commands and clicks do not wait in line.
    event.type === 'command' || event.type === 'button' || event.type === 'prompt'
      ? handle(event)
      : ordered.run(event.channelId, () => handle(event));
}

/** Runs the work queued for one channel one after another, in the order it arrived. */
class ChannelOrder {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(channelId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(channelId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(channelId, tail);
    void tail.then(() => {
      if (this.tails.get(channelId) === tail) this.tails.delete(channelId);
    });
    return next;
  }
}

async function route(chat: ChatPlatform, event: InboundEvent, deps: InboundDeps): Promise<Reply | undefined> {
  const { incidents } = deps.services;
  switch (event.type) {
    case 'command':
      return runCommand(chat, event.command, event.text, event.actor, event.channelId, deps, event.options);
    case 'button':
      return clickButton(chat, event.buttonId, event.actor, deps, {
        channelId: event.channelId,
        messageId: event.messageId,
      });
    case 'message': {
      const incident = await incidents.byChannel(chat.id, event.channelId);
      if (incident)
        await deps.services.history.recordMessage(
          incident,
          event.messageId,
          event.text,
          event.actor,
          event.at,
        );
      return undefined;
    }
    case 'message_edited': {
      const incident = await incidents.byChannel(chat.id, event.channelId);
      if (incident) await deps.services.history.recordEdit(incident, event.messageId, event.text, event.at);
      return undefined;
    }
    case 'message_deleted': {
      const incident = await incidents.byChannel(chat.id, event.channelId);
      if (incident) await deps.services.history.recordDeletion(incident, event.messageId, event.at);
      return undefined;
    }
    case 'reaction':
    case 'pin': {
      const incident = await incidents.byChannel(chat.id, event.channelId);
      if (incident) {
        const emoji = event.type === 'reaction' ? event.emoji : null;
        await deps.services.history.recordKeyMark(incident, event.messageId, emoji, event.added);
      }
      return undefined;
    }
    case 'prompt':
      return event.reply;
  }
}

/**
 * `/<group> <text>` through its command: parse (or, given `typed`, read the platform's typed
 * options), check what it needs from the fleet, find its incident, check who may run it, run it.
 */
export async function runCommand(
  chat: ChatPlatform,
  group: string,
  text: string,
  actor: Actor,
  channelId: string,
  deps: InboundDeps,
  /** Option values the platform delivered typed; `text` is then only the subcommand. */
  typed?: TypedOptions,
): Promise<Reply> {
  const trimmed = text.trim();
  // The subcommand is the first word as typed (quoted or not); the rest is the command's own text.
  const first = /^("[^"]*"|'[^']*'|\S+)/.exec(trimmed)?.[0] ?? '';
  const [sub = 'help'] = splitArgs(first);
  const def = deps.registry.resolve(group, sub);
  const parsed: Record<string, unknown> = typed
    ? readTypedOptions(def, typed)
    : parseOptions(def, trimmed.slice(first.length));
  // Node names as the fleet spells them (`GPU-NODE-5` is gpu-node-5).
  const options = await canonicalTargets(def, parsed, deps.services.nodes);
  // Capabilities first: "this adapter cannot drain" beats a half-run command.
  await checkNeeds(def, options, deps.services.nodes);
  const base = { actor, chat, channelId, services: deps.services, clock: deps.clock };
  if (def.incident === 'none') return def.execute({ ...base, incident: undefined }, options);
  const { incident: number, ...own } = options;
  const incident = await findIncident(chat, def, channelId, number as number | undefined, actor, deps);
  await checkPermission(def, incident, actor, deps);
  const ctx: CommandContext<'required'> = { ...base, incident };
  return def.execute(ctx, own);
}

async function findIncident(
  chat: ChatPlatform,
  def: CommandDefinition,
  channelId: string,
  number: number | undefined,
  actor: Actor,
  deps: InboundDeps,
): Promise<Incident> {
  const { incidents, visibility } = deps.services;
  if (number !== undefined) {
    const incident = await incidents.byNumber(number);
    // Another platform's incident, or a private one the person is not in, is "no such incident":
    // the answer must not tell that a private incident exists.
    if (!incident || !(await visibility.visibleTo(chat, incident, actor))) {
      throw new BotError('bot.incident.not_found', `There is no INC-${number}.`, {
        hint: 'See the open ones with /incident list.',
      });
    }
    return incident;
  }
  const incident = await incidents.byChannel(chat.id, channelId);
  if (!incident) {
    throw new BotError('bot.incident.no_channel_incident', `/${def.group} ${def.name} needs an incident.`, {
      hint: `Run it in the incident's channel, or add --incident <number> (see /incident list).`,
    });
  }
  return incident;
}

async function checkPermission(def: CommandDefinition, incident: Incident, actor: Actor, deps: InboundDeps) {
  if (def.permission !== 'commander') return;
  const roles = await deps.services.incidents.roles(incident);
  const commander = roles.find((r) => r.role === 'commander');
  if (commander && commander.userId !== actor.id) {
    throw new BotError(
      'bot.command.forbidden',
      `Only the commander of ${incidentRef(incident)} (${commander.userName}) can run /${def.group} ${def.name}.`,
      { hint: 'Ask them, or take command first with /incident assign commander me.' },
    );
  }
}

async function clickButton(
  chat: ChatPlatform,
  buttonId: string,
  actor: Actor,
  deps: InboundDeps,
  /** The message the button is on. */
  from: { readonly channelId: string; readonly messageId: string },
): Promise<Reply> {
  const button = parseButtonId(buttonId);
  const { incidents } = deps.services;
  if (button.kind === 'action') {
    const { actions } = deps.services;
    const action = await deps.store.getAction(button.actionId);
    const owner = action && (await incidents.get(action.incidentId));
    if (owner) assertClickedInChannel(chat, owner, from.channelId);
    if (button.verb === 'cancel') {
      const cancelled = await actions.cancel(button.actionId, actor);
      return ephemeral(`Cancelled the ${cancelled.kind} of ${cancelled.target}.`);
    }
    const done = await actions.approve(button.actionId, actor);
    return ephemeral(
      `Approved: the ${done.kind} of ${done.target} ${done.status === 'succeeded' ? 'succeeded' : done.status}.`,
    );
  }
  const incident = await incidents.get(button.incidentId);
  if (!incident) throw new BotError('bot.incident.not_found', 'That incident no longer exists.');
  assertClickedInChannel(chat, incident, from.channelId);
  if (button.kind === 'snooze') {
    // Anyone who sees the reminder may snooze it: it only moves when the bot asks again.
    if (!deps.reminders) throw new BotError('bot.reminder.off', 'Reminders are turned off on this bot.');
    return ephemeral(await deps.reminders.snooze(incident, button.reminder, button.minutes, actor, from));
  }
  if (button.kind === 'collect') {
    // Read-only and rate-limited per node: anyone in the channel may ask for it.
    await deps.services.bundles.request({ chat, incident, node: button.node, actor });
    return ephemeral(
      `Collecting the diagnostic bundle of ${button.node}; it will be attached to the channel.`,
    );
  }
  switch (button.verb) {
    case 'take-command':
      await incidents.assignRole(incident, 'commander', actor, actor);
      return ephemeral(`You are now the commander of ${incidentRef(incident)}.`);
    case 'investigating':
    case 'mitigated':
      await incidents.changeStatus(incident, button.verb, actor);
      return ephemeral(`${incidentRef(incident)} is now ${button.verb}.`);
    case 'resolve':
    case 'resolve-cancel':
    case 'resolve-keep': {
      const choice =
        button.verb === 'resolve' ? undefined : button.verb === 'resolve-cancel' ? 'cancel' : 'keep';
      const r = await resolveIncident(deps.services, incident, actor, choice);
      return ephemeral('asked' in r ? r.asked : resolvedReply(r));
    }
    case 'sev1':
    case 'sev2':
    case 'sev3':
    case 'sev4': {
      const to = button.verb.toUpperCase() as Severity;
      await incidents.changeSeverity(incident, to, actor);
      return ephemeral(`${incidentRef(incident)} is now ${to}.`);
    }
    case 'close': {
      const def = deps.registry.find('incident', 'close');
      await checkPermission(def, incident, actor, deps);
      const { cancelled } = await closeIncident(deps.services, incident, actor);
      return ephemeral(closedReply(incident, cancelled));
    }
  }
}

/**
 * Every button the bot posts sits in its incident's channel. A click that names another platform's
 * incident, or arrives from another channel (a forged sandbox request naming a private incident's
 * action), is refused before anything is read from or done to that incident.
 */
function assertClickedInChannel(chat: ChatPlatform, incident: Incident, channelId: string): void {
  if (incident.platform !== chat.id || incident.channelId !== channelId) {
    throw new BotError('bot.button.unknown', 'That button does not belong to an incident in this channel.', {
      hint: 'Use the buttons in the incident’s own channel.',
    });
  }
}
