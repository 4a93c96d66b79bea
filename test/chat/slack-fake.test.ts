import { startFakeSlack } from '../fakes/slack/index.ts';
import { chatPlatformContract } from './contract.ts';
import { slackHarness } from './slack-harness.ts';

// The fake Slack must keep the promises the real Slack adapter keeps, so e2e tests against it mean something.
chatPlatformContract('fake slack', async () => {
  const fake = await startFakeSlack();
  return slackHarness(fake, fake.asChatPlatform(), {
    none: "the fake's ChatPlatform is the port over the fake's state; turning Slack's payloads into InboundEvents is the real adapter's job (the slack adapter contract)",
  });
});
