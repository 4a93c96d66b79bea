import type { Logger } from 'pino';
import type { InboundEvent, InboundHandler } from '../port.ts';
import type { ReplyTarget, SlackChat } from './adapter.ts';
import { declareModal, parseDeclareSubmission } from './render.ts';

const PUSHPIN = new Set(['pushpin', 'round_pushpin']);

// biome-ignore lint/suspicious/noExplicitAny: Slack payloads vary by event type and subtype; each field read below is checked before use.
type Payload = Record<string, any>;

/** Slack timestamps ("1716222222.000200") are seconds with microseconds. */
function tsToDate(ts: string | undefined): Date {
  const n = Number(ts);
  return Number.isFinite(n) && n > 0 ? new Date(Math.round(n * 1000)) : new Date();
}

/** Slack escapes exactly these three in text it sends (and expects back escaped). */
export function decodeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Quotes a value for our command text (splitArgs reads backslash escapes inside double quotes). */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
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
    const group = command.command.replace(/^\//, '');
    const text = decodeSlackText(command.text).trim();
    // A bare declare opens the form; views.open must use the trigger within 3 s, so it goes first.
    if (group === 'incident' && /^declare$/i.test(text)) {
      await ack();
      await client.views
        .open({ trigger_id: command.trigger_id, view: declareModal({ channelId: command.channel_id }) })
        .catch((err) => logger.error({ err }, 'views.open failed'));
      return;
    }
    await ack();
    const actor = await chat.directory.actor(command.user_id);
    await run(
      {
        type: 'command',
        eventId: `cmd:${command.trigger_id}`,
        channelId: command.channel_id,
        actor,
        at: new Date(),
        command: group,
        text,
      },
      { channel: command.channel_id, user: command.user_id, respond },
    );
  });

  app.view('incident_declare', async ({ ack, view, body }) => {
    const parsed = parseDeclareSubmission(view as Payload);
    if ('errors' in parsed) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    await ack();
    const actor = await chat.directory.actor(body.user.id);
    const text = [
      'declare',
      quote(parsed.title),
      '--severity',
      parsed.severity,
      ...(parsed.description ? ['--description', quote(parsed.description)] : []),
      ...(parsed.private ? ['--private'] : []),
    ].join(' ');
    await run(
      {
        type: 'command',
        eventId: `view:${view.id}:${(body as Payload).view?.hash ?? ''}`,
        channelId: parsed.channelId,
        actor,
        at: new Date(),
        command: 'incident',
        text,
      },
      { channel: parsed.channelId, user: body.user.id },
    );
  });

  app.action(/^(card|act):/, async ({ ack, body, action, respond }) => {
    await ack();
    const b = body as Payload;
    const channel = b.channel?.id ?? b.container?.channel_id;
    const messageTs = b.container?.message_ts ?? b.message?.ts;
    const actionId = (action as Payload).action_id as string;
    if (!channel || !messageTs) return;
    const actor = await chat.directory.actor(b.user.id);
    await run(
      {
        type: 'button',
        // One click is one trigger; a redelivered payload repeats it.
        eventId: `btn:${b.trigger_id ?? `${messageTs}:${(action as Payload).action_ts}`}`,
        channelId: channel,
        actor,
        at: new Date(),
        buttonId: actionId,
        messageId: messageTs,
      },
      { channel, user: b.user.id, respond },
    );
  });

  app.event('message', async ({ event, body }) => {
    const e = event as Payload;
    const eventId = (body as Payload).event_id as string;
    const base = { eventId, channelId: e.channel as string, at: tsToDate(e.event_ts ?? e.ts) };
    if (e.subtype === 'message_changed') {
      const m = e.message as Payload;
      if (!m?.user || m.bot_id) return;
      await run({
        ...base,
        type: 'message_edited',
        actor: await chat.directory.actor(m.user),
        messageId: m.ts,
        text: decodeSlackText(m.text ?? ''),
      });
      return;
    }
    if (e.subtype === 'message_deleted') {
      const prev = e.previous_message as Payload | undefined;
      if (prev?.bot_id) return;
      await run({
        ...base,
        type: 'message_deleted',
        actor: await chat.directory.actor(prev?.user ?? 'unknown'),
        messageId: e.deleted_ts,
      });
      return;
    }
    // Plain messages, thread replies and "also send to channel"; joins, bots and the like are not talk.
    if ((e.subtype && e.subtype !== 'thread_broadcast' && e.subtype !== 'file_share') || e.bot_id || !e.user)
      return;
    await run({
      ...base,
      type: 'message',
      actor: await chat.directory.actor(e.user),
      messageId: e.ts,
      text: decodeSlackText(e.text ?? ''),
      ...(e.thread_ts && e.thread_ts !== e.ts ? { threadId: e.thread_ts } : {}),
    });
  });

  for (const [name, added] of [
    ['reaction_added', true],
    ['reaction_removed', false],
  ] as const) {
    app.event(name, async ({ event, body }) => {
      const e = event as Payload;
      if (e.item?.type !== 'message' || !PUSHPIN.has(e.reaction)) return;
      await run({
        type: 'reaction',
        eventId: (body as Payload).event_id,
        channelId: e.item.channel,
        actor: await chat.directory.actor(e.user),
        at: tsToDate(e.event_ts),
        messageId: e.item.ts,
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
      const ts = e.item?.message?.ts ?? e.item?.ts;
      if (!ts) return;
      await run({
        type: 'pin',
        eventId: (body as Payload).event_id,
        channelId: e.channel_id ?? e.item?.channel,
        actor: await chat.directory.actor(e.user),
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
