import type { ChatPlatform } from '../../src/chat/port.ts';
import { buttonsIn, type FakeSlack } from '../fakes/slack/index.ts';
import type { ChatHarness } from './contract.ts';

/** Reads what a ChatPlatform did in Slack back from the fake's state, for the contract suite. */
export function slackHarness(fake: FakeSlack, chat: ChatPlatform): ChatHarness {
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
}
