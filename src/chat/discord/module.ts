import { z } from 'zod';
import { defineChatPlatform } from '../platform-module.ts';

export interface DiscordSettings {
  readonly token: string;
  readonly guildId: string;
  readonly applicationId: string | undefined;
  readonly apiUrl: string | undefined;
}

/** Discord, on discord.js (loaded only when configured, as Slack is). */
export const discordModule = defineChatPlatform({
  id: 'discord',
  env: {
    /** The bot token turns it on; the server it works in; the REST base for proxies and tests. */
    DISCORD_TOKEN: z
      .string()
      .trim()
      .regex(
        /^[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}$/,
        'must be a bot token (Developer Portal → your application → Bot → Reset Token)',
      )
      .optional(),
    DISCORD_APPLICATION_ID: z
      .string()
      .trim()
      .regex(/^\d{15,21}$/, 'must be the Application ID from General Information (digits only)')
      .optional(),
    DISCORD_GUILD_ID: z
      .string()
      .trim()
      .regex(/^\d{15,21}$/, 'must be the server id (right-click the server → Copy Server ID; digits only)')
      .optional(),
    DISCORD_API_URL: z
      .url({ message: 'must be a URL such as https://discord.com/api' })
      // discord.js adds the version itself: https://discord.com/api/v10/… from https://discord.com/api.
      .transform((u) => u.replace(/\/+$/, '').replace(/\/v\d+$/, ''))
      .optional(),
  },
  echo: ['DISCORD_APPLICATION_ID', 'DISCORD_GUILD_ID', 'DISCORD_API_URL'],
  configured: (raw) => Boolean(raw.DISCORD_TOKEN),
  problems(raw) {
    const out: string[] = [];
    if (raw.DISCORD_TOKEN && !raw.DISCORD_GUILD_ID) {
      out.push(
        'DISCORD_GUILD_ID: required with DISCORD_TOKEN: the server the bot works in (right-click it → Copy Server ID)',
      );
    }
    for (const name of ['DISCORD_GUILD_ID', 'DISCORD_APPLICATION_ID', 'DISCORD_API_URL'] as const) {
      if (raw[name] && !raw.DISCORD_TOKEN) out.push(`${name}: set, but DISCORD_TOKEN is missing`);
    }
    return out;
  },
  settings: (e): DiscordSettings | undefined =>
    e.DISCORD_TOKEN && e.DISCORD_GUILD_ID
      ? {
          token: e.DISCORD_TOKEN,
          guildId: e.DISCORD_GUILD_ID,
          applicationId: e.DISCORD_APPLICATION_ID,
          apiUrl: e.DISCORD_API_URL,
        }
      : undefined,
  secrets: (s) => [s.token],
  async create(settings, { logger, file }) {
    const { DiscordChat } = await import('./adapter.ts');
    return new DiscordChat({ ...settings, ...file.discord, logger });
  },
});
