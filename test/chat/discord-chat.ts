import { pino } from 'pino';
import { DiscordChat, SELF_ALLOW } from '../../src/chat/discord/adapter.ts';
import type { FakeDiscord } from '../fakes/discord/index.ts';

/** The real Discord adapter pointed at the fake: categories "Incidents" and "Incidents Archive". */
export function discordChatOn(
  fake: FakeDiscord,
  extra: Partial<ConstructorParameters<typeof DiscordChat>[0]> = {},
): DiscordChat {
  return new DiscordChat({
    token: fake.token,
    guildId: fake.guildId,
    apiUrl: fake.apiUrl,
    category: 'Incidents',
    archiveCategory: 'Incidents Archive',
    logger: pino({ level: 'silent' }),
    ...extra,
  });
}

/** The overwrite the adapter gives itself on the channels it makes: seeds a channel "the bot made". */
export const botOverwrite = (fake: FakeDiscord) => ({
  id: fake.botId,
  type: 1 as const,
  allow: SELF_ALLOW,
  deny: 0n,
});
