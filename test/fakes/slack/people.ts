import type { BlockAction, ButtonAction, EnvelopedEvent, SlashCommand, ViewSubmitAction } from '@slack/bolt';
import type { FakeButton } from './block-kit.ts';
import type { PayloadBuilder, ViewValue } from './payloads.ts';
import type { InboundKind } from './signing.ts';
import type { Workspace } from './workspace.ts';

/** How one inbound payload reached the app and what it answered. */
export interface Delivery {
  readonly transport: 'socket' | 'http';
  /** HTTP status of the app's answer; 200 for a Socket Mode ack. */
  readonly status: number;
  /** The ack's payload (Socket Mode) or the response body parsed as JSON (HTTP), if any. */
  readonly response: unknown;
  /** The raw answer: the HTTP body, or the ack payload as JSON. */
  readonly body: string;
  readonly ms: number;
  readonly envelopeId?: string;
}

export interface DeliverOptions {
  /** Marks a redelivery: Socket Mode `retry_attempt` (events only), HTTP `X-Slack-Retry-Num`. */
  readonly retryAttempt?: number;
  /** `timeout`, `http_error`, `http_timeout`, … */
  readonly retryReason?: string;
  /** HTTP mode only. */
  readonly forgeSignature?: boolean;
  /** HTTP mode only: X-Slack-Request-Timestamp in unix seconds. */
  readonly timestamp?: number;
  readonly ackTimeoutMs?: number;
}

export interface ActionHost {
  readonly ws: Workspace;
  readonly build: PayloadBuilder;
  deliver(kind: InboundKind, payload: unknown, opts?: DeliverOptions): Promise<Delivery>;
}

/** An event a person caused; `delivery` is undefined when Slack would not send it to the app. */
export interface EventResult {
  readonly kind: 'event';
  readonly payload: EnvelopedEvent<{ type: string }>;
  readonly eventId: string;
  readonly delivery: Delivery | undefined;
  /** Why the event was not delivered (`bot_not_in_channel`). */
  readonly skipped?: string;
}

export interface PostResult extends EventResult {
  /** The new message's ts. */
  readonly ts: string;
}

export interface CommandResult {
  readonly kind: 'command';
  readonly payload: SlashCommand;
  readonly triggerId: string;
  readonly responseUrl: string;
  readonly delivery: Delivery;
}

export interface ClickResult {
  readonly kind: 'interactive';
  readonly payload: BlockAction<ButtonAction>;
  readonly button: FakeButton;
  readonly triggerId: string;
  readonly responseUrl: string;
  readonly delivery: Delivery;
}

export interface SubmitResult {
  readonly kind: 'interactive';
  readonly payload: ViewSubmitAction;
  readonly triggerId: string;
  readonly delivery: Delivery;
}

export interface ActOptions extends DeliverOptions {
  /** Reuse an event id (events only). */
  readonly eventId?: string;
}

/**
 * A person in the fake workspace. Each action changes the workspace the way Slack would and
 * sends the app what Slack would send: events only for channels the bot is in (Slack delivers
 * message.channels / message.groups, reaction and pin events for channels the app is a member
 * of), commands and clicks always.
 */
export class Person {
  constructor(
    private readonly host: ActionHost,
    readonly userId: string,
  ) {}

  private get ws() {
    return this.host.ws;
  }

  private async event(channel: string, event: { type: string }, opts: ActOptions): Promise<EventResult> {
    const payload = this.host.build.eventCallback(event, opts.eventId ? { eventId: opts.eventId } : {});
    const inChannel = this.ws.findChannel(channel)?.members.has(this.ws.identity.botUserId) ?? false;
    if (!inChannel)
      return {
        kind: 'event',
        payload,
        eventId: payload.event_id,
        delivery: undefined,
        skipped: 'bot_not_in_channel',
      };
    const delivery = await this.host.deliver('event', payload, opts);
    return { kind: 'event', payload, eventId: payload.event_id, delivery };
  }

  /** Says something in a channel (or in a thread under `threadTs`). */
  async post(
    channel: string,
    text: string,
    opts: ActOptions & { threadTs?: string } = {},
  ): Promise<PostResult> {
    const m = this.ws.humanPost(this.userId, channel, text, opts.threadTs);
    const r = await this.event(m.channel, this.host.build.messageEventFrom(m), opts);
    return { ...r, ts: m.ts };
  }

  /** Edits one of their messages: `message_changed`. */
  async edit(channel: string, ts: string, text: string, opts: ActOptions = {}): Promise<EventResult> {
    const { before } = this.ws.humanEdit(this.userId, channel, ts, text);
    const edited = this.ws.findMessage(before.channel, ts)!;
    const event = this.host.build.messageChanged({
      channel: before.channel,
      before: {
        user: before.user,
        text: before.text,
        ts,
        ...(before.threadTs ? { threadTs: before.threadTs } : {}),
      },
      text,
      editedTs: edited.edited!.ts,
    });
    return this.event(before.channel, event, opts);
  }

  /** Deletes one of their messages: `message_deleted` with `deleted_ts`. */
  async delete(channel: string, ts: string, opts: ActOptions = {}): Promise<EventResult> {
    const m = this.ws.humanDelete(this.userId, channel, ts);
    const event = this.host.build.messageDeleted({
      channel: m.channel,
      deletedTs: m.ts,
      previous: { user: m.user, text: m.text, ...(m.threadTs ? { threadTs: m.threadTs } : {}) },
      ts: m.deletedAt!,
    });
    return this.event(m.channel, event, opts);
  }

  /** Adds (or with `remove`, takes back) a reaction; 📌 is `pushpin`. */
  async react(
    channel: string,
    ts: string,
    reaction = 'pushpin',
    opts: ActOptions & { remove?: boolean } = {},
  ): Promise<EventResult> {
    const r = this.ws.react(this.userId, channel, ts, reaction, !opts.remove);
    if (!r.ok) throw new Error(`fake slack: ${this.userId} cannot react: ${r.error}`);
    const event = this.host.build.reaction({
      user: this.userId,
      channel: r.value.channel,
      ts,
      itemUser: r.value.user,
      reaction,
      added: !opts.remove,
    });
    return this.event(r.value.channel, event, opts);
  }

  /** Pins (or with `remove`, unpins) a message. */
  async pin(channel: string, ts: string, opts: ActOptions & { remove?: boolean } = {}): Promise<EventResult> {
    const r = this.ws.pin(this.userId, channel, ts, !opts.remove);
    if (!r.ok) throw new Error(`fake slack: ${this.userId} cannot pin: ${r.error}`);
    const pinCount = (this.ws.messages.get(r.value.channel) ?? []).filter(
      (m) => m.pinnedBy && !m.deletedAt,
    ).length;
    const event = this.host.build.pin({
      user: this.userId,
      channel: r.value.channel,
      message: { user: r.value.user, text: r.value.text, ts },
      added: !opts.remove,
      pinCount,
    });
    return this.event(r.value.channel, event, opts);
  }

  /** Joins a public channel: `member_joined_channel`. */
  async join(channel: string, opts: ActOptions = {}): Promise<EventResult> {
    const r = this.ws.join(this.userId, channel);
    if (!r.ok) throw new Error(`fake slack: ${this.userId} cannot join: ${r.error}`);
    return this.event(
      r.value.id,
      this.host.build.memberJoined({ user: this.userId, channel: r.value.id }),
      opts,
    );
  }

  /**
   * Runs a slash command. Its immediate answer (the ack's payload, or the HTTP response body) is
   * shown like Slack shows it: ephemeral, or in the channel with `response_type: 'in_channel'`.
   */
  async command(
    channel: string,
    text: string,
    opts: DeliverOptions & { command?: string } = {},
  ): Promise<CommandResult> {
    const built = this.host.build.slashCommand({
      user: this.userId,
      channel,
      text,
      ...(opts.command ? { command: opts.command } : {}),
    });
    const delivery = await this.host.deliver('command', built.payload, opts);
    this.showImmediateAnswer(built.payload.channel_id, delivery);
    return { kind: 'command', ...built, delivery };
  }

  /** Clicks a button on a message, found by action_id, value or label (or a predicate). */
  async click(
    channel: string,
    messageTs: string,
    button: string | ((b: FakeButton) => boolean),
    opts: DeliverOptions = {},
  ): Promise<ClickResult> {
    const built = this.host.build.blockActions({ user: this.userId, channel, messageTs, button });
    const delivery = await this.host.deliver('interactive', built.payload, opts);
    return { kind: 'interactive', ...built, delivery };
  }

  /** Submits a modal the app opened for this person. The app's ack is kept as the view's `lastAck`. */
  async submit(
    viewId: string,
    values: Record<string, Record<string, ViewValue>>,
    opts: DeliverOptions = {},
  ): Promise<SubmitResult> {
    const built = this.host.build.viewSubmission({ user: this.userId, viewId, values });
    const delivery = await this.host.deliver('interactive', built.payload, opts);
    const record = this.ws.views.get(viewId);
    if (record) record.lastAck = delivery.response;
    return { kind: 'interactive', ...built, delivery };
  }

  private showImmediateAnswer(channel: string, delivery: Delivery): void {
    const r = delivery.response;
    const answer =
      typeof r === 'object' && r !== null
        ? (r as Record<string, unknown>)
        : delivery.transport === 'http' && delivery.body.trim() !== ''
          ? { text: delivery.body }
          : undefined;
    if (!answer || delivery.status !== 200) return;
    const text = typeof answer.text === 'string' ? answer.text : '';
    const blocks = Array.isArray(answer.blocks) ? answer.blocks : undefined;
    if (!text && !blocks) return;
    if (answer.response_type === 'in_channel') {
      this.ws.postMessage(this.ws.identity.botUserId, { channel, text, blocks }, 'command_response');
    } else {
      this.ws.recordEphemeral({
        channel,
        user: this.userId,
        text,
        blocks,
        threadTs: undefined,
        origin: delivery.transport === 'socket' ? 'ack' : 'http_response',
      });
    }
  }
}
