import type { Logger } from 'pino';
import { z } from 'zod';
import { ephemeral } from '../message.ts';
import type { InboundEvent, InboundHandler } from '../port.ts';
import type { ReplyTarget, SlackChat } from './adapter.ts';
import { ASK_PREFIX, askMessage, DENY_PREFIX, declareModal, parseDeclareSubmission } from './render.ts';

const PUSHPIN = new Set(['pushpin', 'round_pushpin']);

// biome-ignore lint/suspicious/noExplicitAny: Slack payloads vary by event type and subtype; each field read below is checked before use.
type Payload = Record<string, any>;

/** A field that must be a non-empty string (an id, a ts); anything else reads as absent. */
function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Slack timestamps ("1716222222.000200") are seconds with microseconds. */
function tsToDate(ts: unknown): Date {
  const n = typeof ts === 'string' ? Number(ts) : Number.NaN;
  const at = new Date(Math.round(n * 1000));
  // Past year 275760 a Date is invalid, and the timeline cannot store it.
  return n > 0 && Number.isFinite(at.getTime()) ? at : new Date();
}

const askValueSchema = z.object({
  confirm: z.object({ title: z.string(), text: z.string(), confirm: z.string(), deny: z.string() }),
  refusedFor: z.object({ users: z.array(z.string()), why: z.string() }),
});

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Slack escapes exactly these three in text it sends (and expects back escaped). */
export function decodeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Slack → InboundEvent. Every listener acks first (Slack's 3-second deadline), then does the
 * work and answers later through chat.postEphemeral / chat.postMessage. Redeliveries carry the
 * same ids (event_id, trigger_id), which the inbound handler drops.
 */
export function registerListeners(chat: SlackChat, handler: InboundHandler, logger: Logger): void {
  const { app } = chat;

  const run = async (event: InboundEvent, replyTo?: ReplyTarget) => {
    try {
      const reply = await handler(event);
      if (reply && replyTo) await chat.deliver(replyTo, reply);
    } catch (err) {
      logger.error({ err, event: event.type }, 'handling a Slack event failed');
    }
  };

  app.command(/^\/[a-z][a-z0-9_-]*$/, async ({ command, ack, client, respond }) => {
    const group = String(command.command).replace(/^\//, '');
    const text = decodeSlackText(typeof command.text === 'string' ? command.text : '').trim();
    const channel = str(command.channel_id);
    const user = str(command.user_id);
    const trigger = str(command.trigger_id);
    if (!channel || !user || !trigger) {
      await ack();
      logger.warn({ command: group }, 'a Slack command without channel, user or trigger; ignored');
      return;
    }
    // A bare declare opens the form; views.open must use the trigger within 3 s, so it goes first.
    if (group === 'incident' && /^declare$/i.test(text)) {
      await ack();
      await client.views
        .open({ trigger_id: trigger, view: declareModal({ channelId: channel }) })
        .catch((err) => logger.error({ err }, 'views.open failed'));
      return;
    }
    await ack();
    const actor = await chat.directory.actor(user);
    await run(
      {
        type: 'command',
        eventId: `cmd:${trigger}`,
        channelId: channel,
        actor,
        at: new Date(),
        command: group,
        text,
      },
      { channel, user, respond },
    );
  });

  app.view('incident_declare', async ({ ack, view, body }) => {
    const parsed = parseDeclareSubmission(view as Payload);
    if ('errors' in parsed) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    await ack();
    const user = str((body as Payload).user?.id);
    if (!user) return;
    const actor = await chat.directory.actor(user);
    await run(
      {
        type: 'command',
        eventId: `view:${view.id}:${(body as Payload).view?.hash ?? ''}`,
        channelId: parsed.channelId,
        actor,
        at: new Date(),
        command: 'incident',
        // The form's fields, checked by the command's own schema already, go on typed.
        text: 'declare',
        options: parsed.options,
      },
      { channel: parsed.channelId, user },
    );
  });

  app.action(/^(card|act):/, async ({ ack, body, action, respond }) => {
    await ack();
    const b = body as Payload;
    const channel = str(b.channel?.id) ?? str(b.container?.channel_id);
    const messageTs = str(b.container?.message_ts) ?? str(b.message?.ts);
    const actionId = str((action as Payload).action_id);
    const user = str(b.user?.id);
    if (!channel || !messageTs || !actionId || !user) return;
    const actor = await chat.directory.actor(user);
    await run(
      {
        type: 'button',
        // One click is one trigger; a redelivered payload repeats it.
        eventId: `btn:${str(b.trigger_id) ?? `${messageTs}:${(action as Payload).action_ts}`}`,
        channelId: channel,
        actor,
        at: new Date(),
        buttonId: actionId,
        messageId: messageTs,
      },
      { channel, user, respond },
    );
  });

  // A button the bot asks about itself (render.ts askValue): the refusal, or the question with the
  // real button, only to the clicker. Nothing is done until the real button is clicked.
  app.action(new RegExp(`^${ASK_PREFIX}`), async ({ ack, body, action, respond }) => {
    await ack();
    const a = action as Payload;
    const b = body as Payload;
    const user = str(b.user?.id);
    const channel = str(b.channel?.id) ?? str(b.container?.channel_id);
    const buttonId = str(a.action_id)?.slice(ASK_PREFIX.length);
    const ask = askValueSchema.safeParse(parseJson(a.value));
    if (!user || !channel || !buttonId || !ask.success) return;
    const message = ask.data.refusedFor.users.includes(user)
      ? { text: `❌ ${ask.data.refusedFor.why}`, sections: [`❌ ${ask.data.refusedFor.why}`] }
      : askMessage(buttonId, ask.data.confirm);
    // Through the handler, so a click delivered twice (a retry, two replicas) is answered once.
    await run(
      {
        type: 'prompt',
        eventId: `btn:${str(b.trigger_id) ?? `${str(b.container?.message_ts)}:${a.action_ts}`}`,
        channelId: channel,
        actor: await chat.directory.actor(user),
        at: new Date(),
        reply: ephemeral(message),
      },
      { channel, user, respond },
    );
  });

  app.action(new RegExp(`^${DENY_PREFIX}`), async ({ ack, respond }) => {
    await ack();
    // The question was only the clicker's: it goes.
    await respond({ delete_original: true }).catch((err) =>
      logger.warn({ err }, 'could not remove a Slack question through its response_url'),
    );
  });

  app.event('message', async ({ event, body }) => {
    const e = event as Payload;
    const eventId = str((body as Payload).event_id);
    const channelId = str(e.channel);
    if (!eventId || !channelId) return;
    const base = { eventId, channelId, at: tsToDate(e.event_ts ?? e.ts) };
    const textOf = (m: Payload) => decodeSlackText(typeof m.text === 'string' ? m.text : '');
    if (e.subtype === 'message_changed') {
      const m = (e.message ?? {}) as Payload;
      const user = str(m.user);
      const ts = str(m.ts);
      if (!user || !ts || m.bot_id) return;
      await run({
        ...base,
        type: 'message_edited',
        actor: await chat.directory.actor(user),
        messageId: ts,
        text: textOf(m),
      });
      return;
    }
    if (e.subtype === 'message_deleted') {
      const prev = e.previous_message as Payload | undefined;
      const ts = str(e.deleted_ts);
      if (prev?.bot_id || !ts) return;
      await run({
        ...base,
        type: 'message_deleted',
        actor: await chat.directory.actor(str(prev?.user) ?? 'unknown'),
        messageId: ts,
      });
      return;
    }
    // Plain messages, thread replies and "also send to channel"; joins, bots and the like are not talk.
    const user = str(e.user);
    const ts = str(e.ts);
    if (
      (e.subtype && e.subtype !== 'thread_broadcast' && e.subtype !== 'file_share') ||
      e.bot_id ||
      !user ||
      !ts
    )
      return;
    const threadTs = str(e.thread_ts);
    await run({
      ...base,
      type: 'message',
      actor: await chat.directory.actor(user),
      messageId: ts,
      text: textOf(e),
      ...(threadTs && threadTs !== ts ? { threadId: threadTs } : {}),
    });
  });

  for (const [name, added] of [
    ['reaction_added', true],
    ['reaction_removed', false],
  ] as const) {
    app.event(name, async ({ event, body }) => {
      const e = event as Payload;
      if (e.item?.type !== 'message' || !PUSHPIN.has(e.reaction)) return;
      const eventId = str((body as Payload).event_id);
      const channelId = str(e.item.channel);
      const ts = str(e.item.ts);
      const user = str(e.user);
      if (!eventId || !channelId || !ts || !user) return;
      await run({
        type: 'reaction',
        eventId,
        channelId,
        actor: await chat.directory.actor(user),
        at: tsToDate(e.event_ts),
        messageId: ts,
        emoji: '📌',
        added,
      });
    });
  }

  for (const [name, added] of [
    ['pin_added', true],
    ['pin_removed', false],
  ] as const) {
    app.event(name, async ({ event, body }) => {
      const e = event as Payload;
      const ts = str(e.item?.message?.ts) ?? str(e.item?.ts);
      const eventId = str((body as Payload).event_id);
      const channelId = str(e.channel_id) ?? str(e.item?.channel);
      const user = str(e.user);
      if (!ts || !eventId || !channelId || !user) return;
      await run({
        type: 'pin',
        eventId,
        channelId,
        actor: await chat.directory.actor(user),
        at: tsToDate(e.event_ts),
        messageId: ts,
        added,
      });
    });
  }

  app.error(async (err) => {
    logger.error({ err }, 'Slack listener error');
  });
}
