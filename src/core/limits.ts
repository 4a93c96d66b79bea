/**
 * Every length limit the bot works to, in one place: the platforms' documented limits, which the
 * renderers and adapters keep to because a message over any one of them is refused whole, and the
 * bot's own caps on what people type and what it keeps. Lengths are UTF-16 code units, never fewer
 * than the characters the platforms count; text is cut by src/core/text.ts.
 */

/**
 * Slack: docs.slack.dev Block Kit reference (blocks, header, section, actions and context blocks,
 * button element, confirmation dialog and option objects, modals) and the method pages
 * (conversations.create / setTopic, chat.postMessage). Slack's OpenAPI file in /work/shared/specs
 * states no lengths. Past a Block Kit limit Slack refuses the message (`invalid_blocks`).
 */
export const SLACK_LIMITS = {
  /** Blocks per message (modals and Home tabs allow 100). */
  messageBlocks: 50,
  modalBlocks: 100,
  /** Section `text`, and any text object. */
  sectionText: 3000,
  headerText: 150,
  fieldsPerSection: 10,
  fieldText: 2000,
  elementsPerActions: 25,
  buttonText: 75,
  actionId: 255,
  buttonValue: 2000,
  elementsPerContext: 10,
  contextText: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** An option object's text and description. */
  optionText: 75,
  /** A modal's title, submit and close labels. */
  modalTitle: 24,
  privateMetadata: 3000,
  /** conversations.setTopic answers too_long past 250. */
  topic: 250,
  /** conversations.create: lowercase letters, digits, hyphens and underscores, at most 80. */
  channelName: 80,
  /** chat.postMessage: Slack truncates `text` past 40,000 characters. */
  messageText: 40_000,
  /** The bot's own cap for the notification fallback `text` (what a push shows), well under 40,000. */
  fallbackText: 3000,
} as const;

/**
 * Discord: discord.com/developers/docs (Message, Embed Limits, Button, Application Commands,
 * Channel) and its OpenAPI spec in /work/shared/specs. Past one the API answers 50035 Invalid Form
 * Body for the whole message. The spec allows `content` 4,000 and a topic 4,096 (Nitro senders,
 * forum channels); a bot's message holds 2,000 and a text channel's topic 1,024.
 */
export const DISCORD_LIMITS = {
  content: 2000,
  embedsPerMessage: 10,
  /** Title, description, field names and values, footer and author, over all embeds of a message. */
  embedTotal: 6000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  actionRows: 5,
  buttonsPerRow: 5,
  buttonLabel: 80,
  customId: 100,
  /** `allowed_mentions.users` and `.roles` (maxItems). */
  allowedMentions: 100,
  /** An enforced nonce (the outbox's keys are 24). */
  nonce: 25,
  channelName: 100,
  topic: 1024,
  /** Command, subcommand and option descriptions, and choice names. */
  commandDescription: 100,
  /** Options of a command, subcommands of a group, choices of an option. */
  commandItems: 25,
  /** Channels in one category, and in one server. */
  categoryChannels: 50,
  guildChannels: 500,
} as const;

/** The bot's own caps: what a person may type, what the timeline keeps, what a post shows. */
export const BOT_LIMITS = {
  /** An incident's title (`/incident declare`, the Slack form, alert-made incidents). */
  title: 200,
  /** An incident's description. */
  description: 3000,
  /** A status update or a note (`/incident update`, `/incident note`). */
  updateText: 3000,
  /**
   * The most of one chat message the timeline keeps. Slack allows 40,000 characters in a message;
   * a pasted log that long is noise in a timeline, and every read of it (the timeline command, the
   * post-mortem, its redaction) pays for all of it. The rest stays in the channel.
   */
  timelineMessage: 4000,
  /** A timeline entry the bot writes for a batch: an alert group's round, a triage of many nodes. */
  timelineSummary: 3000,
  /** An action's output posted with its result (the whole of it is on the action's record). */
  actionOutput: 2500,
  /** Incident channel names: Slack's 80, the shorter of the two platforms'. */
  channelName: Math.min(SLACK_LIMITS.channelName, DISCORD_LIMITS.channelName),
} as const;
