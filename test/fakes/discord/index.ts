export {
  type Answer,
  buttonsOf,
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeInteraction,
  messageText,
  startFakeDiscord,
} from './fake-discord.ts';
export { PERMISSIONS } from './state.ts';
