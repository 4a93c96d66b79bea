/**
 * The platform-neutral message. Renderers turn it into Block Kit, Discord components or sandbox
 * HTML. Text uses a small common markup: *bold*, _italic_, `code`, ```blocks```, and <url|label>.
 */
export interface ChatButton {
  /** Opaque: an action id or a card verb with an incident id, never a command. At most 100 chars (Discord). */
  readonly id: string;
  readonly label: string;
  readonly style?: 'primary' | 'danger';
  /** Shown in a confirmation dialog before the click counts (destructive buttons). */
  readonly confirm?: {
    readonly title: string;
    readonly text: string;
    readonly confirm: string;
    readonly deny: string;
  };
  /**
   * People whose click the bot will refuse, and why (the requester of a mitigation that needs a
   * second person). Where the platform can, they are told at once instead of being shown a
   * confirmation they cannot use; elsewhere the bot's refusal answers the click as usual.
   */
  readonly refusedFor?: { readonly users: readonly string[]; readonly why: string };
}

export interface ChatField {
  readonly label: string;
  readonly value: string;
}

export interface ChatMessage {
  /** Plain-text fallback for notifications and platforms without rich layout. */
  readonly text: string;
  readonly header?: string;
  readonly sections?: readonly string[];
  readonly fields?: readonly ChatField[];
  readonly buttons?: readonly ChatButton[];
  readonly context?: readonly string[];
  /**
   * The people (and groups or roles) this message mentions on purpose: ids the bot itself put in
   * with `chat.mention(id)` (a page, a role holder, the actor of a "by …" line). Every other
   * mention in the text (an alert summary, a title, a quoted message) is shown literally and
   * notifies nobody, so a mention someone forgets to declare fails safe: it just does not ping.
   */
  readonly mentions?: readonly string[];
}

export type Visibility = 'ephemeral' | 'channel';

/** What a command or a click answers with. */
export interface Reply {
  readonly visibility: Visibility;
  readonly message: ChatMessage;
}

export function textMessage(text: string, mentions?: readonly string[]): ChatMessage {
  return { text, sections: [text], ...(mentions?.length ? { mentions } : {}) };
}

/** `message` also mentioning `ids` on purpose (see ChatMessage.mentions). */
export function mentioning(message: ChatMessage, ids: readonly string[]): ChatMessage {
  if (ids.length === 0) return message;
  return { ...message, mentions: [...new Set([...(message.mentions ?? []), ...ids])] };
}

export function ephemeral(message: ChatMessage | string, mentions?: readonly string[]): Reply {
  return {
    visibility: 'ephemeral',
    message:
      typeof message === 'string' ? textMessage(message, mentions) : mentioning(message, mentions ?? []),
  };
}

export function inChannel(message: ChatMessage | string, mentions?: readonly string[]): Reply {
  return {
    visibility: 'channel',
    message:
      typeof message === 'string' ? textMessage(message, mentions) : mentioning(message, mentions ?? []),
  };
}
