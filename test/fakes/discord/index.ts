export {
  type Answer,
  buttonsOf,
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeInteraction,
  messageText,
  type SeedChannel,
  startFakeDiscord,
} from './fake-discord.ts';
export type { DiscordFault } from './faults.ts';
export { allowedMentionsProblem, type FakeNotified, notifiedBy } from './mentions.ts';
export { PERMISSIONS, snowflakeTime } from './state.ts';
