import type { FakeMentions } from './mentions.ts';

/**
 * What the fake workspace holds. Internal records are mutable; tests read snapshots (the
 * `Fake*` types) so an assertion never sees a later change.
 */

export interface ChannelRecord {
  readonly id: string;
  name: string;
  topic: string;
  topicSetBy: string;
  topicSetAt: number;
  purpose: string;
  readonly private: boolean;
  archived: boolean;
  readonly general: boolean;
  readonly members: Set<string>;
  readonly created: number;
  readonly creator: string;
  readonly previousNames: string[];
}

/** Where a message came from: a Web API call, a person in the fake, or a reply to an interaction. */
export type MessageOrigin = 'api' | 'human' | 'response_url' | 'command_response' | 'system';

export interface MessageRecord {
  readonly channel: string;
  readonly ts: string;
  text: string;
  blocks: unknown[] | undefined;
  attachments: unknown[] | undefined;
  readonly user: string;
  /** Set on messages the bot posted (and on other bots' messages). */
  readonly botId: string | undefined;
  readonly appId: string | undefined;
  /** `channel_join`, `channel_topic`, … for Slack's own notices; undefined for ordinary messages. */
  readonly subtype: string | undefined;
  readonly threadTs: string | undefined;
  edited: { user: string; ts: string } | undefined;
  deletedAt: string | undefined;
  readonly reactions: Map<string, string[]>;
  pinnedBy: string | undefined;
  readonly files: string[];
  readonly clientMsgId: string | undefined;
  metadata: unknown;
  readonly origin: MessageOrigin;
}

export interface EphemeralRecord {
  readonly channel: string;
  readonly user: string;
  readonly ts: string;
  readonly text: string;
  readonly blocks: unknown[] | undefined;
  readonly threadTs: string | undefined;
  /** `api`: chat.postEphemeral; `ack`/`http_response`: a slash command's immediate answer; `response_url`. */
  readonly origin: 'api' | 'ack' | 'http_response' | 'response_url';
}

export interface ViewRecord {
  readonly id: string;
  view: Record<string, unknown>;
  hash: string;
  readonly userId: string;
  readonly triggerId: string;
  readonly externalId: string;
  readonly openedAt: number;
  readonly history: { at: number; view: Record<string, unknown> }[];
  /** Set once the view was submitted through the fake. */
  submittedValues: Record<string, unknown> | undefined;
  /** What the app acknowledged a submission with (`response_action` …). */
  lastAck: unknown;
}

export interface FileRecord {
  readonly id: string;
  readonly ticket: string;
  readonly filename: string;
  title: string;
  readonly length: number;
  readonly snippetType: string | undefined;
  readonly altText: string | undefined;
  readonly userId: string;
  readonly created: number;
  content: Buffer | undefined;
  completed: boolean;
  channel: string | undefined;
  initialComment: string | undefined;
  threadTs: string | undefined;
  messageTs: string | undefined;
}

export interface TriggerRecord {
  readonly id: string;
  readonly userId: string;
  readonly issuedAt: number;
  used: boolean;
}

export type InteractionKind = 'command' | 'block_actions' | 'view_submission';

export interface ResponseUrlRecord {
  readonly id: string;
  readonly kind: InteractionKind;
  readonly channel: string;
  readonly user: string;
  readonly messageTs: string | undefined;
  /** Set when the click was on an ephemeral message: `delete_original` removes it. */
  readonly ephemeralTs?: string | undefined;
  readonly issuedAt: number;
  readonly posts: { at: number; body: unknown; status: number }[];
}

// ---- snapshots for tests ----

export interface FakeChannel {
  readonly id: string;
  readonly name: string;
  readonly topic: string;
  readonly purpose: string;
  readonly private: boolean;
  readonly archived: boolean;
  readonly general: boolean;
  readonly members: string[];
  readonly created: number;
  readonly creator: string;
  readonly previousNames: string[];
}

export interface FakeMessage {
  readonly channel: string;
  readonly ts: string;
  readonly text: string;
  readonly blocks: unknown[] | undefined;
  /** The author: a person's id, or the bot user's id for the bot's own posts. */
  readonly user: string;
  readonly botId: string | undefined;
  /** True when the bot posted it (through the Web API or a response_url). */
  readonly byBot: boolean;
  readonly subtype: string | undefined;
  readonly threadTs: string | undefined;
  readonly edited: { user: string; ts: string } | undefined;
  readonly deleted: boolean;
  readonly reactions: Record<string, string[]>;
  readonly pinned: boolean;
  readonly files: string[];
  readonly origin: MessageOrigin;
  /** Whom the message's live mentions notify (see mentions.ts): none when quoted text is escaped. */
  readonly mentions: FakeMentions;
}

export interface FakeEphemeral extends EphemeralRecord {}

export interface FakeView {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly callbackId: string;
  readonly privateMetadata: string;
  readonly externalId: string;
  readonly hash: string;
  readonly view: Record<string, unknown>;
  /** Every version: the opened view first, then each views.update. */
  readonly history: Record<string, unknown>[];
  readonly submittedValues: Record<string, unknown> | undefined;
  readonly lastAck: unknown;
}

export interface FakeFile {
  readonly id: string;
  readonly filename: string;
  readonly title: string;
  readonly length: number;
  readonly uploaded: boolean;
  readonly completed: boolean;
  /** The uploaded bytes as UTF-8 text. */
  readonly content: string | undefined;
  /** The uploaded bytes, exactly. */
  readonly bytes: Buffer | undefined;
  readonly channel: string | undefined;
  readonly initialComment: string | undefined;
  readonly threadTs: string | undefined;
}

export interface FakeResponseUrlPost {
  readonly url: string;
  readonly kind: InteractionKind;
  readonly channel: string;
  readonly user: string;
  readonly body: unknown;
  readonly at: number;
  readonly status: number;
}
