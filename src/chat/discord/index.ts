/** Discord as a chat platform: the adapter, its renderer and the slash-command registration. */
export { DiscordChat, type DiscordOptions } from './adapter.ts';
export { buildDiscordCommands, type DiscordCommandJson, interactionCommand } from './commands.ts';
export { MESSAGE_CONTENT_HINT } from './errors.ts';
export { toDiscordMarkdown, toDiscordMessage } from './render.ts';
export { BOT_PERMISSION_BITS, BOT_PERMISSIONS, BOT_SCOPES, inviteUrl } from './setup.ts';
