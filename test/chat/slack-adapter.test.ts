import { pino } from 'pino';
import { SlackChat } from '../../src/chat/slack/adapter.ts';
import { buttonsIn, startFakeSlack } from '../fakes/slack/index.ts';
import { chatPlatformContract } from './contract.ts';

// The real adapter (Bolt in Socket Mode, WebClient) against the fake Slack: the same promises
// the fake keeps on its own (slack-fake.test.ts).
chatPlatformContract('slack adapter', async () => {
  const fake = await startFakeSlack();
  const chat = new SlackChat({
    botToken: fake.botToken,
    appToken: fake.appToken,
    apiUrl: fake.url,
    announceChannel: '#incidents',
    logger: pino({ level: 'silent' }),
  });
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
    // The contract stops the chat first; only then may the fake go.
    close: () => fake.close(),
  };
});
