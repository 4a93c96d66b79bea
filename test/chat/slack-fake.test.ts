import { buttonsIn, startFakeSlack } from '../fakes/slack/index.ts';
import { chatPlatformContract } from './contract.ts';

// The fake Slack must keep the promises the real Slack adapter keeps, so e2e tests against it mean something.
chatPlatformContract('fake slack', async () => {
  const fake = await startFakeSlack();
  const chat = fake.asChatPlatform();
  return {
    chat,
    userId: 'U0ALICE',
    async messages(channelId) {
      return fake.messages(channelId).map((m) => ({
        id: m.ts,
        text: m.text,
        buttons: buttonsIn(m.blocks).map((b) => b.label),
      }));
    },
    async channel(channelId) {
      const c = fake.channel(channelId);
      if (!c) throw new Error(`no channel ${channelId}`);
      return { name: c.name, topic: c.topic, archived: c.archived, members: c.members };
    },
    close: () => fake.close(),
  };
});
