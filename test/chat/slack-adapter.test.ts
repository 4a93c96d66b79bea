import { pino } from 'pino';
import { SlackChat } from '../../src/chat/slack/adapter.ts';
import { startFakeSlack } from '../fakes/slack/index.ts';
import { chatPlatformContract } from './contract.ts';
import { slackHarness } from './slack-harness.ts';

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
  return slackHarness(fake, chat, 'socket-mode');
});
