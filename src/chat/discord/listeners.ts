import { randomUUID } from 'node:crypto';
import {
  type ButtonInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  Events,
  type GatewayDispatchPayload,
  type Interaction,
  MessageFlags,
} from 'discord.js';
import type { Logger } from 'pino';
import type { Reply } from '../message.ts';
import type { InboundEvent, InboundHandler } from '../port.ts';
import type { DiscordChat } from './adapter.ts';
import { interactionCommand } from './commands.ts';
import { type ApiMember, type ApiUser, actorFromApi, actorFromMember, SOMEONE } from './people.ts';
import { ASK_PREFIX, DENY_PREFIX, toDiscordMessage } from './render.ts';

/**
 * Discord wants an answer to an interaction within 3 seconds. Most commands answer well inside
 * that; when one is still working after this long the bot defers ("is thinking…") and edits or
 * follows up with the answer when it is ready.
 */
export const DEFER_AFTER_MS = 1500;

const PUSHPINS = new Set(['📌', '📍']);
/** MessageType: Default, Reply, ChatInputCommand answers are the bot's own. */
const TALK_TYPES = new Set([0, 19]);

// biome-ignore lint/suspicious/noExplicitAny: gateway packets vary by type; each field read below is checked.
type Payload = Record<string, any>;

/**
 * Discord → InboundEvent. Interactions (slash commands, buttons) come through discord.js's
 * interaction objects, which know how to reply, defer and follow up. Messages, edits, deletions,
 * reactions and pins are read from the raw gateway packets: discord.js only reports edits and
 * deletions of messages it has cached, and the timeline needs those of any message in an
 * incident channel, also from before a restart.
 */
export function registerListeners(chat: DiscordChat, handler: InboundHandler, logger: Logger): void {
  const { client } = chat;
  // Events redelivered after a resume repeat their sequence number within the session.
  const boot = randomUUID().slice(0, 8);
  const pins = new Map<string, Set<string>>();

  const run = async (event: InboundEvent) => {
    try {
      await handler(event);
    } catch (err) {
      logger.error({ err, event: event.type }, 'handling a Discord event failed');
    }
  };

  client.on(Events.InteractionCreate, (interaction) => {
    void onInteraction(chat, handler, logger, interaction).catch((err) =>
      logger.error({ err, interaction: interaction.id }, 'answering a Discord interaction failed'),
    );
  });

  client.on(Events.Raw, (packet: GatewayDispatchPayload & { s?: number }) => {
    const d = packet.d as Payload;
    // Until start-up has found the server, nothing is an incident channel yet.
    if (!chat.connected || !d || typeof d !== 'object' || d.guild_id !== chat.options.guildId) return;
    try {
      const event = toEvent(chat, packet.t, d, `${boot}:${packet.s ?? randomUUID()}`);
      if (event) void run(event);
    } catch (err) {
      logger.warn({ err, type: packet.t }, 'could not read a Discord event');
    }
    if (packet.t === 'CHANNEL_PINS_UPDATE')
      void pinsChanged(d).catch((err) => logger.warn({ err }, 'reading pins failed'));
  });

  /** CHANNEL_PINS_UPDATE says only that pins changed; which ones is read back and compared. */
  async function pinsChanged(d: Payload): Promise<void> {
    const channelId = d.channel_id as string;
    const channel = chat.guild.channels.cache.get(channelId);
    if (!channel || channel.type !== ChannelType.GuildText) return;
    const { items } = await channel.messages.fetchPins({ cache: false });
    const now = new Set(items.map((i) => i.message.id));
    const before = pins.get(channelId) ?? new Set<string>();
    pins.set(channelId, now);
    const stamp = d.last_pin_timestamp ?? 'none';
    const changes = [
      ...[...now].filter((id) => !before.has(id)).map((id) => [id, true] as const),
      ...[...before].filter((id) => !now.has(id)).map((id) => [id, false] as const),
    ];
    for (const [messageId, added] of changes) {
      await run({
        type: 'pin',
        eventId: `pin:${channelId}:${messageId}:${added}:${stamp}`,
        channelId,
        actor: SOMEONE,
        at: new Date(),
        messageId,
        added,
      });
    }
  }
}

/** A field that must be a non-empty string (an id); anything else reads as absent. */
function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A gateway timestamp; a missing or unreadable one (the timeline cannot store it) is now. */
function dateOf(value: unknown): Date {
  const at = typeof value === 'string' || typeof value === 'number' ? new Date(value) : new Date(Number.NaN);
  return Number.isFinite(at.getTime()) ? at : new Date();
}

/** Messages in a thread of an incident channel belong to that channel's timeline. */
function channelOf(chat: DiscordChat, channelId: string): { channelId: string; threadId?: string } {
  const channel = chat.client.channels.cache.get(channelId);
  if (channel?.isThread() && channel.parentId) return { channelId: channel.parentId, threadId: channelId };
  return { channelId };
}

function toEvent(chat: DiscordChat, type: string, d: Payload, seq: string): InboundEvent | undefined {
  const guild = chat.guild;
  const author = d.author as ApiUser | undefined;
  const fromPerson = str(author?.id) && !author?.bot && !d.webhook_id && author?.id !== chat.userId;
  const id = str(d.id);
  const channelId = str(d.channel_id);
  if (!channelId) return undefined;
  const member = d.member && typeof d.member === 'object' ? (d.member as ApiMember) : undefined;
  switch (type) {
    case 'MESSAGE_CREATE': {
      if (!fromPerson || !author || !id) return undefined;
      const where = channelOf(chat, channelId);
      const actor = actorFromApi(guild, author, member);
      // A pin shows as a system message pointing at the pinned one; it says who pinned.
      const pinned = str(d.message_reference?.message_id);
      if (d.type === 6 && pinned) {
        return {
          type: 'pin',
          eventId: `pin:${id}`,
          channelId: where.channelId,
          actor,
          at: dateOf(d.timestamp),
          messageId: pinned,
          added: true,
        };
      }
      if (!TALK_TYPES.has(d.type ?? 0)) return undefined;
      return {
        type: 'message',
        eventId: `msg:${id}`,
        ...where,
        actor,
        at: dateOf(d.timestamp),
        messageId: id,
        text: typeof d.content === 'string' ? d.content : '',
      };
    }
    case 'MESSAGE_UPDATE': {
      // Embeds unfolding also send MESSAGE_UPDATE; only a person's edit has edited_timestamp.
      if (!fromPerson || !author || !id || !d.edited_timestamp || typeof d.content !== 'string')
        return undefined;
      return {
        type: 'message_edited',
        eventId: `edit:${id}:${d.edited_timestamp}`,
        channelId: channelOf(chat, channelId).channelId,
        actor: actorFromApi(guild, author, member),
        at: dateOf(d.edited_timestamp),
        messageId: id,
        text: d.content,
      };
    }
    case 'MESSAGE_DELETE':
      if (!id) return undefined;
      // Discord does not say who deleted a message, nor whose it was.
      return {
        type: 'message_deleted',
        eventId: `del:${id}`,
        channelId: channelOf(chat, channelId).channelId,
        actor: SOMEONE,
        at: new Date(),
        messageId: id,
      };
    case 'MESSAGE_REACTION_ADD':
    case 'MESSAGE_REACTION_REMOVE': {
      const userId = str(d.user_id);
      const messageId = str(d.message_id);
      if (!PUSHPINS.has(d.emoji?.name) || !userId || !messageId || userId === chat.userId) return undefined;
      const added = type === 'MESSAGE_REACTION_ADD';
      return {
        type: 'reaction',
        eventId: `react:${seq}:${messageId}:${userId}:${added}`,
        channelId: channelOf(chat, channelId).channelId,
        actor: str(member?.user?.id)
          ? actorFromApi(guild, member!.user!, member)
          : { ...SOMEONE, id: userId },
        at: new Date(),
        messageId,
        emoji: '📌',
        added,
      };
    }
    default:
      return undefined;
  }
}

async function onInteraction(
  chat: DiscordChat,
  handler: InboundHandler,
  logger: Logger,
  interaction: Interaction,
): Promise<void> {
  if (!interaction.isChatInputCommand() && !interaction.isButton()) return;
  if (interaction.guildId !== chat.options.guildId || !interaction.inCachedGuild()) {
    await interaction.reply({
      content: 'incident-bot works in its own server only.',
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  if (!interaction.channelId) {
    await interaction.reply({
      content: 'Discord did not say which channel this came from; try again in the channel.',
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  const actor = actorFromMember(interaction.member);
  const base = {
    eventId: `ix:${interaction.id}`,
    channelId: interaction.channelId,
    actor,
    at: interaction.createdAt,
  };
  if (interaction.isChatInputCommand()) {
    const event: InboundEvent = {
      ...base,
      type: 'command',
      command: interaction.commandName,
      ...interactionCommand(interaction.options.data),
    };
    await answer(interaction, handler(event), logger);
    return;
  }
  const id = interaction.customId;
  if (id.startsWith(ASK_PREFIX)) {
    await askFirst(chat, interaction, id.slice(ASK_PREFIX.length));
    return;
  }
  if (id.startsWith(DENY_PREFIX)) {
    await interaction.update({ content: 'Nothing was done.', embeds: [], components: [] });
    return;
  }
  const event: InboundEvent = { ...base, type: 'button', buttonId: id, messageId: interaction.message.id };
  await answer(interaction, handler(event), logger);
}

/**
 * Discord buttons have no confirmation dialog: a destructive button asks first, in a message only
 * the clicker sees, and only its confirm button (carrying the real id) acts.
 */
async function askFirst(chat: DiscordChat, interaction: ButtonInteraction, buttonId: string): Promise<void> {
  const known = chat.confirmFor(buttonId);
  // Someone the bot will refuse (the requester, where a second person must approve) is told so
  // now, not asked to confirm a click that cannot count.
  if (known?.refusedFor?.users.includes(interaction.user.id)) {
    await interaction.reply({ content: `❌ ${known.refusedFor.why}`, flags: MessageFlags.Ephemeral });
    return;
  }
  const confirm = known ?? {
    title: 'Are you sure?',
    text: 'This cannot be undone.',
    confirm: 'Confirm',
    deny: 'Cancel',
  };
  const body = toDiscordMessage({
    text: confirm.text,
    header: confirm.title,
    sections: [confirm.text],
    buttons: [
      { id: buttonId, label: confirm.confirm, style: 'danger' },
      { id: `${DENY_PREFIX}${buttonId}`.slice(0, 100), label: confirm.deny },
    ],
  });
  await interaction.reply({
    embeds: body.embeds,
    components: body.components,
    flags: MessageFlags.Ephemeral,
  });
}

type Answerable = ChatInputCommandInteraction<'cached'> | ButtonInteraction<'cached'>;

/**
 * Replies within Discord's 3 seconds: directly when the work is done in time, else after a
 * deferral ("thinking…", only to the person), which the answer then replaces. A reply meant for
 * everyone replaces an ephemeral deferral by a follow-up, since a deferral's visibility is fixed.
 * No answer at all (a redelivered interaction the handler dropped) sends nothing.
 */
async function answer(
  interaction: Answerable,
  work: Promise<Reply | undefined>,
  logger: Logger,
): Promise<void> {
  let deferral: Promise<unknown> | undefined;
  const timer = setTimeout(() => {
    deferral = interaction.deferReply({ flags: MessageFlags.Ephemeral }).catch((err) => {
      logger.warn({ err }, 'could not defer a Discord interaction');
    });
  }, DEFER_AFTER_MS);
  let reply: Reply | undefined;
  try {
    reply = await work;
  } finally {
    clearTimeout(timer);
  }
  if (deferral) await deferral;
  if (!reply) {
    if (deferral) await interaction.deleteReply().catch(() => undefined);
    return;
  }
  const body = toDiscordMessage(reply.message);
  const payload = {
    content: body.content || undefined,
    embeds: body.embeds,
    components: body.components,
    // As for posts: only the users and roles the reply declared may be notified.
    allowedMentions: {
      parse: body.allowed_mentions.parse,
      users: body.allowed_mentions.users,
      roles: body.allowed_mentions.roles,
      repliedUser: body.allowed_mentions.replied_user,
    },
  };
  const ephemeral = reply.visibility === 'ephemeral';
  if (!deferral) {
    await interaction.reply({ ...payload, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
  } else if (ephemeral) {
    await interaction.editReply({ ...payload, content: body.content });
  } else {
    await interaction.deleteReply().catch(() => undefined);
    await interaction.followUp(payload);
  }
}
