import { discordModule } from './discord/module.ts';
import { sandboxModule } from './sandbox/module.ts';
import { slackModule } from './slack/module.ts';

/**
 * Every chat platform the bot has, one line each, in the order `alerts.platform` defaults to (the
 * first one configured): the environment's schema, the start-up checks, main.ts and the redactor's
 * secrets all loop over this list. A new platform is its folder (with a `module.ts`) plus a line here.
 */
export const CHAT_PLATFORMS = [slackModule, discordModule, sandboxModule] as const;

export type ChatPlatformId = (typeof CHAT_PLATFORMS)[number]['id'];
