/**
 * The largest file each platform takes from the bot (ChatPlatform.maxUploadBytes), with where each
 * figure is documented. The adapters refuse a larger file before sending it; the fakes refuse it
 * on the wire the way the platform does, so a test cannot pass here that would fail there.
 */

const MiB = 1024 * 1024;

/**
 * Slack: files of up to 1 GB, Slack's published figure for uploads. It is not in Slack's OpenAPI
 * file in /work/shared/specs, which predates files.getUploadURLExternal; that method's page
 * (docs.slack.dev/reference/methods/files.getUploadURLExternal) takes the size up front as
 * `length` and names `file_upload_size_restricted` ("The size of provided file is too large, as
 * the team has restricted uploads of large files") as its refusal of one too large. A decimal
 * gigabyte: the smaller reading of "1 GB".
 */
export const SLACK_MAX_UPLOAD_BYTES = 1_000_000_000;

/**
 * Discord: the limit per file of a server without boosts, and the bot's figure whenever the
 * server's tier is not known. Above it Discord answers HTTP 413 with JSON code 40005 "Request
 * entity too large". 10 MiB has been the default for bots since January 2025. Discord's reference
 * ("Uploading Files", discord-api-docs developers/reference.mdx) has read "The default limit is
 * `20 MiB` for all users" since September 2026; the bot keeps to 10 MiB, which every server
 * takes either way, so a file is never refused on the wire for a figure the docs got ahead of.
 */
export const DISCORD_DEFAULT_UPLOAD_BYTES = 10 * MiB;

/**
 * Discord's limit per file in a server of boost tier `premiumTier` (discord.js `guild.premiumTier`,
 * the API's `premium_tier`): tier 2 takes 50 MiB, tier 3 100 MiB (Discord's Server Boosting FAQ);
 * tiers 0 and 1, and a tier not known, the default.
 */
export function discordUploadLimit(premiumTier: number | undefined): number {
  if (premiumTier === 3) return 100 * MiB;
  if (premiumTier === 2) return 50 * MiB;
  return DISCORD_DEFAULT_UPLOAD_BYTES;
}

/**
 * The sandbox's own cap. It keeps an uploaded file base64-encoded inside its message's row in the
 * bot's database and serves it from the bot's HTTP server, so it takes what a diagnostic bundle
 * needs (a few MiB), not what a file server would: 25 MiB is about 34 MiB in the row.
 */
export const SANDBOX_MAX_UPLOAD_BYTES = 25 * MiB;
