import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { DISCORD_LIMITS } from '../../core/index.ts';

/**
 * What the bot needs in its server, and why: the invite URL asks for exactly these, and start-up
 * names any that are missing.
 */
export const BOT_PERMISSIONS = {
  ViewChannel: 'see the incident, announcement and command channels',
  SendMessages: 'post the card, answers, results and announcements',
  EmbedLinks: 'cards and reports are embeds',
  AttachFiles: 'post-mortem drafts and long output as files',
  ReadMessageHistory: 'read the timeline back and the pinned messages (📌)',
  ManageChannels: 'create incident channels and categories, set topics, move closed ones to the archive',
  ManageRoles: 'permission overwrites: who sees a private incident, read-only archived channels',
} as const satisfies Partial<Record<keyof typeof PermissionFlagsBits, string>>;

export type BotPermission = keyof typeof BOT_PERMISSIONS;

export const BOT_PERMISSION_BITS: bigint = new PermissionsBitField(
  Object.keys(BOT_PERMISSIONS).map((k) => PermissionFlagsBits[k as BotPermission]),
).bitfield;

/** The two OAuth2 scopes: the bot user, and the right to add slash commands. */
export const BOT_SCOPES = ['bot', 'applications.commands'] as const;

export function inviteUrl(applicationId: string, guildId?: string): string {
  const params = new URLSearchParams({
    client_id: applicationId,
    scope: BOT_SCOPES.join(' '),
    permissions: BOT_PERMISSION_BITS.toString(),
    ...(guildId ? { guild_id: guildId, disable_guild_select: 'true' } : {}),
  });
  return `https://discord.com/oauth2/authorize?${params.toString()}`;
}

/** Discord allows 50 channels in a category and 500 in a server. */
export const CATEGORY_MAX_CHANNELS = DISCORD_LIMITS.categoryChannels;
export const GUILD_MAX_CHANNELS = DISCORD_LIMITS.guildChannels;
