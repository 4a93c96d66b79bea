import { randomUUID } from 'node:crypto';
import type {
  BlockAction,
  ButtonAction,
  EnvelopedEvent,
  SlashCommand,
  types,
  ViewSubmitAction,
} from '@slack/bolt';
import { buttonsIn, type FakeButton } from './block-kit.ts';
import { messageJson, viewJson } from './json.ts';
import { issueTrigger } from './modals.ts';
import type { MessageRecord } from './records.ts';
import { issueResponseUrl } from './response-urls.ts';
import type { Workspace } from './workspace.ts';

/**
 * Builders for what Slack sends an app, shaped like Slack's payloads and checked at compile time
 * against Bolt's own types (`satisfies`). The event builders are pure; the interaction builders
 * read the workspace (a button must sit on a stored message, a submission needs an opened view)
 * and issue a fresh trigger_id and a response_url served by the fake.
 */

type Json = Record<string, unknown>;

/** `channel_type` in message events: `channel` for public channels, `group` for private ones. */
export type ChannelType = 'channel' | 'group';

export interface EventOptions {
  /** Reuse an id to redeliver the same event (Slack dedupes on it; so should the app). */
  readonly eventId?: string;
  /** Unix seconds. */
  readonly eventTime?: number;
}

export interface BuiltInteraction<P> {
  readonly payload: P;
  readonly triggerId: string;
  readonly responseUrl: string;
}

/** A `state.values` entry: a plain string is turned into the element's value shape. */
export type ViewValue = string | readonly string[] | Json;

export class PayloadBuilder {
  constructor(
    private readonly ws: Workspace,
    private readonly origin: () => string,
  ) {}

  private get id() {
    return this.ws.identity;
  }

  // ---- the Events API wrapper ----

  /** `{ type: 'event_callback', event_id, event_time, event, team_id, api_app_id, authorizations }`. */
  eventCallback<E extends { type: string }>(event: E, opts: EventOptions = {}): EnvelopedEvent<E> {
    return {
      token: 'fake-verification-token',
      team_id: this.id.teamId,
      context_team_id: this.id.teamId,
      api_app_id: this.id.appId,
      event,
      type: 'event_callback',
      event_id: opts.eventId ?? this.ws.ids.eventId(),
      event_time: opts.eventTime ?? Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.id.teamId,
          user_id: this.id.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
  }

  /** Sent once when a Request URL is saved; the app answers with the challenge. */
  urlVerification(challenge = 'fake-challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P'): Json {
    return { token: 'fake-verification-token', challenge, type: 'url_verification' };
  }

  // ---- events ----

  message(input: {
    channel: string;
    user: string;
    text: string;
    ts?: string;
    threadTs?: string;
    parentUserId?: string;
    channelType?: ChannelType;
    clientMsgId?: string;
    blocks?: unknown[];
  }): types.GenericMessageEvent {
    const ts = input.ts ?? this.ws.ids.ts();
    return {
      type: 'message',
      subtype: undefined,
      channel: input.channel,
      user: input.user,
      text: input.text,
      ts,
      event_ts: ts,
      team: this.id.teamId,
      channel_type: input.channelType ?? this.channelType(input.channel),
      client_msg_id: input.clientMsgId ?? randomUUID(),
      ...(input.blocks ? { blocks: input.blocks as types.GenericMessageEvent['blocks'] } : {}),
      ...(input.threadTs
        ? { thread_ts: input.threadTs, parent_user_id: input.parentUserId ?? input.user }
        : {}),
    };
  }

  /**
   * A bot's message. Apps posting with a bot token show up with `bot_id`, `app_id` and the bot's
   * `user` and no subtype; integrations and legacy bots use `subtype: 'bot_message'`.
   * Defaults to this app's own bot (what Bolt's ignoreSelf drops).
   */
  botMessage(input: {
    channel: string;
    text: string;
    ts?: string;
    botId?: string;
    user?: string;
    subtype?: 'bot_message';
    threadTs?: string;
    channelType?: ChannelType;
  }): { type: 'message' } & Json {
    const ts = input.ts ?? this.ws.ids.ts();
    const own = input.botId === undefined || input.botId === this.id.botId;
    return {
      type: 'message',
      ...(input.subtype ? { subtype: input.subtype } : {}),
      channel: input.channel,
      text: input.text,
      ts,
      event_ts: ts,
      bot_id: input.botId ?? this.id.botId,
      ...(own
        ? { app_id: this.id.appId, user: input.user ?? this.id.botUserId }
        : input.user
          ? { user: input.user }
          : {}),
      team: this.id.teamId,
      channel_type: input.channelType ?? this.channelType(input.channel),
      ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
    };
  }

  /**
   * An edit: the event's own `ts` is when it happened; `message` is the new version (its `ts` is
   * the original message's, with `edited: { user, ts }`), `previous_message` the old one.
   */
  messageChanged(input: {
    channel: string;
    before: { user: string; text: string; ts: string; threadTs?: string };
    text: string;
    editedTs?: string;
    channelType?: ChannelType;
  }): types.MessageChangedEvent {
    const at = input.editedTs ?? this.ws.ids.ts();
    const base = {
      type: 'message' as const,
      subtype: undefined,
      user: input.before.user,
      team: this.id.teamId,
      channel: input.channel,
      channel_type: input.channelType ?? this.channelType(input.channel),
      ts: input.before.ts,
      event_ts: input.before.ts,
      ...(input.before.threadTs ? { thread_ts: input.before.threadTs } : {}),
    };
    return {
      type: 'message',
      subtype: 'message_changed',
      hidden: true,
      channel: input.channel,
      channel_type: base.channel_type,
      ts: at,
      event_ts: at,
      message: { ...base, text: input.text, edited: { user: input.before.user, ts: at } },
      previous_message: { ...base, text: input.before.text },
    };
  }

  /** A deletion: `deleted_ts` names the message; `previous_message` is what it said. */
  messageDeleted(input: {
    channel: string;
    deletedTs: string;
    previous: { user: string; text: string; threadTs?: string };
    ts?: string;
    channelType?: ChannelType;
  }): types.MessageDeletedEvent {
    const at = input.ts ?? this.ws.ids.ts();
    const channelType = input.channelType ?? this.channelType(input.channel);
    return {
      type: 'message',
      subtype: 'message_deleted',
      hidden: true,
      channel: input.channel,
      channel_type: channelType,
      ts: at,
      event_ts: at,
      deleted_ts: input.deletedTs,
      previous_message: {
        type: 'message',
        subtype: undefined,
        user: input.previous.user,
        text: input.previous.text,
        ts: input.deletedTs,
        event_ts: input.deletedTs,
        team: this.id.teamId,
        channel: input.channel,
        channel_type: channelType,
        ...(input.previous.threadTs ? { thread_ts: input.previous.threadTs } : {}),
      },
    };
  }

  reaction(input: {
    user: string;
    channel: string;
    ts: string;
    itemUser: string;
    reaction?: string;
    added?: boolean;
  }): types.ReactionAddedEvent | types.ReactionRemovedEvent {
    return {
      type: input.added === false ? 'reaction_removed' : 'reaction_added',
      user: input.user,
      reaction: input.reaction ?? 'pushpin',
      item_user: input.itemUser,
      item: { type: 'message', channel: input.channel, ts: input.ts },
      event_ts: this.ws.ids.ts(),
    };
  }

  pin(input: {
    user: string;
    channel: string;
    message: { user: string; text: string; ts: string };
    added?: boolean;
    pinCount?: number;
  }): { type: 'pin_added' | 'pin_removed' } & Json {
    const now = Math.floor(Date.now() / 1000);
    const item = {
      type: 'message',
      channel: input.channel,
      created_by: input.user,
      created: now,
      message: {
        type: 'message',
        user: input.message.user,
        text: input.message.text,
        ts: input.message.ts,
        team: this.id.teamId,
        permalink: `${this.origin()}/archives/${input.channel}/p${input.message.ts.replace('.', '')}`,
        ...(input.added === false ? {} : { pinned_to: [input.channel] }),
      },
    };
    return {
      type: input.added === false ? 'pin_removed' : 'pin_added',
      user: input.user,
      channel_id: input.channel,
      item,
      item_user: input.message.user,
      pin_count: String(input.pinCount ?? (input.added === false ? 0 : 1)),
      pinned_info: { channel: input.channel, pinned_by: input.user, pinned_ts: now },
      ...(input.added === false ? { has_pins: (input.pinCount ?? 0) > 0 } : {}),
      event_ts: this.ws.ids.ts(),
    };
  }

  /** `channel_type` here is `C` (public) or `G` (private), unlike message events. */
  memberJoined(input: { user: string; channel: string; inviter?: string }): types.MemberJoinedChannelEvent {
    return {
      type: 'member_joined_channel',
      user: input.user,
      channel: input.channel,
      channel_type: this.ws.findChannel(input.channel)?.private ? 'G' : 'C',
      team: this.id.teamId,
      ...(input.inviter ? { inviter: input.inviter } : {}),
      event_ts: this.ws.ids.ts(),
    };
  }

  // ---- interactions (read the workspace) ----

  /** What Slack posts for `/incident <text>`, as form fields (HTTP) or the envelope payload (Socket Mode). */
  slashCommand(input: {
    user: string;
    channel: string;
    text: string;
    command?: string;
  }): BuiltInteraction<SlashCommand> {
    const user = this.mustUser(input.user);
    const channel = this.ws.mustChannel(input.channel);
    const triggerId = issueTrigger(this.ws, user.id);
    const responseUrl = `${this.origin()}/commands/${this.id.teamId}/${issueResponseUrl(this.ws, 'command', channel.id, user.id)}`;
    const payload = {
      token: 'fake-verification-token',
      team_id: this.id.teamId,
      team_domain: this.id.teamDomain,
      channel_id: channel.id,
      channel_name: channel.private ? 'privategroup' : channel.name,
      user_id: user.id,
      user_name: user.name,
      command: input.command ?? '/incident',
      text: input.text,
      api_app_id: this.id.appId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    } satisfies SlashCommand;
    return { payload, triggerId, responseUrl };
  }

  /**
   * A click on a button of a stored message, found by action_id, value or label. Slack sends the
   * whole message as it is now, the button in `actions`, and `container.message_ts`.
   */
  blockActions(input: {
    user: string;
    channel: string;
    messageTs: string;
    button: string | ((b: FakeButton) => boolean);
  }): BuiltInteraction<BlockAction<ButtonAction>> & { button: FakeButton } {
    const user = this.mustUser(input.user);
    const channel = this.ws.mustChannel(input.channel);
    const message = this.ws.findMessage(channel.id, input.messageTs);
    // An ephemeral message (a reply only this person sees) can carry buttons too; Slack then says
    // `is_ephemeral` and sends no `message` with the click.
    const ephemeral = message
      ? undefined
      : this.ws.ephemerals.find(
          (e) => e.channel === channel.id && e.ts === input.messageTs && e.user === user.id,
        );
    if (!message && !ephemeral)
      throw new Error(
        `fake slack: no message ${input.messageTs} in #${channel.name} (nor one only ${user.name} sees)`,
      );
    const buttons = buttonsIn(message ? message.blocks : ephemeral?.blocks);
    const match =
      typeof input.button === 'function'
        ? input.button
        : (b: FakeButton) =>
            b.actionId === input.button || b.value === input.button || b.label === input.button;
    const button = buttons.find(match);
    if (!button) {
      throw new Error(
        `fake slack: no such button on ${input.messageTs}; it has ${JSON.stringify(buttons.map((b) => b.label))}`,
      );
    }
    const triggerId = issueTrigger(this.ws, user.id);
    const responseUrl = `${this.origin()}/actions/${this.id.teamId}/${issueResponseUrl(this.ws, 'block_actions', channel.id, user.id, message?.ts, ephemeral?.ts)}`;
    const action: ButtonAction = {
      type: 'button',
      block_id: button.blockId ?? '',
      action_id: button.actionId,
      text: { type: 'plain_text', text: button.label, emoji: true },
      action_ts: String(Date.now() / 1000),
      ...(button.value !== undefined ? { value: button.value } : {}),
      ...(button.confirm
        ? { confirm: button.confirm as unknown as NonNullable<ButtonAction['confirm']> }
        : {}),
    };
    const payload = {
      type: 'block_actions',
      user: { id: user.id, username: user.name, name: user.name, team_id: this.id.teamId },
      api_app_id: this.id.appId,
      token: 'fake-verification-token',
      container: {
        type: 'message',
        message_ts: input.messageTs,
        channel_id: channel.id,
        is_ephemeral: message === undefined,
      },
      trigger_id: triggerId,
      team: { id: this.id.teamId, domain: this.id.teamDomain },
      is_enterprise_install: false,
      channel: { id: channel.id, name: channel.private ? 'privategroup' : channel.name },
      ...(message ? { message: messageJson(message, this.id) as BlockAction['message'] } : {}),
      state: { values: {} },
      response_url: responseUrl,
      actions: [action],
    } satisfies BlockAction<ButtonAction>;
    return { payload, triggerId, responseUrl, button };
  }

  /**
   * Submitting a modal the app opened with views.open. `values[blockId][actionId]` may be a plain
   * string: it becomes `{ type, value }` for text inputs, `selected_option` for selects and radio
   * buttons (the option is looked up in the view), `selected_user(s)` / `selected_conversation`.
   */
  viewSubmission(input: {
    user: string;
    viewId: string;
    values: Record<string, Record<string, ViewValue>>;
  }): { payload: ViewSubmitAction; triggerId: string } {
    const user = this.mustUser(input.user);
    const record = this.ws.views.get(input.viewId);
    if (!record) throw new Error(`fake slack: no view ${input.viewId}`);
    if (record.userId !== user.id)
      throw new Error(`fake slack: view ${input.viewId} was opened for ${record.userId}`);
    const values: Record<string, Record<string, Json>> = {};
    for (const [blockId, byAction] of Object.entries(input.values)) {
      values[blockId] = {};
      for (const [actionId, v] of Object.entries(byAction)) {
        values[blockId][actionId] = this.stateValue(record.view, blockId, v);
      }
    }
    record.submittedValues = values;
    const triggerId = issueTrigger(this.ws, user.id);
    const view = { ...viewJson(record, this.id), state: { values } } as unknown as ViewSubmitAction['view'];
    const payload = {
      type: 'view_submission',
      team: { id: this.id.teamId, domain: this.id.teamDomain },
      user: { id: user.id, name: user.name, team_id: this.id.teamId },
      api_app_id: this.id.appId,
      token: 'fake-verification-token',
      trigger_id: triggerId,
      view,
      response_urls: [],
      is_enterprise_install: false,
    } satisfies ViewSubmitAction;
    return { payload, triggerId };
  }

  // ---- helpers ----

  /** Message events say `channel` or `group` (private). */
  channelType(channelId: string): ChannelType {
    return this.ws.findChannel(channelId)?.private ? 'group' : 'channel';
  }

  messageEventFrom(m: MessageRecord): types.GenericMessageEvent {
    const parent = m.threadTs ? this.ws.findMessage(m.channel, m.threadTs) : undefined;
    return this.message({
      channel: m.channel,
      user: m.user,
      text: m.text,
      ts: m.ts,
      ...(m.threadTs ? { threadTs: m.threadTs, parentUserId: parent?.user ?? m.user } : {}),
      ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
      ...(m.blocks ? { blocks: m.blocks } : {}),
    });
  }

  private mustUser(id: string) {
    const u = this.ws.users.get(id);
    if (!u) throw new Error(`fake slack: no user ${id}`);
    return u;
  }

  private stateValue(view: Json, blockId: string, v: ViewValue): Json {
    if (typeof v === 'object' && !Array.isArray(v)) return v as Json;
    const blocks = Array.isArray(view.blocks) ? (view.blocks as Json[]) : [];
    const block = blocks.find((b) => b.block_id === blockId);
    const element = (block?.element ?? block?.accessory) as Json | undefined;
    const type = typeof element?.type === 'string' ? element.type : 'plain_text_input';
    const options = (Array.isArray(element?.options) ? element.options : []) as Json[];
    const option = (value: string) => {
      const o = options.find((x) => x.value === value);
      return { text: o?.text ?? { type: 'plain_text', text: value, emoji: true }, value };
    };
    const many = Array.isArray(v) ? [...v] : [v as string];
    const one = many[0] ?? '';
    switch (type) {
      case 'static_select':
      case 'external_select':
      case 'radio_buttons':
        return { type, selected_option: option(one) };
      case 'checkboxes':
      case 'multi_static_select':
        return { type, selected_options: many.map(option) };
      case 'users_select':
        return { type, selected_user: one };
      case 'multi_users_select':
        return { type, selected_users: many };
      case 'conversations_select':
        return { type, selected_conversation: one };
      case 'channels_select':
        return { type, selected_channel: one };
      case 'datepicker':
        return { type, selected_date: one };
      default:
        return { type, value: one };
    }
  }
}
