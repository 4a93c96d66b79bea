import type { ChatPlatform } from '../../src/chat/port.ts';
import { buttonsIn, type FakeSlack } from '../fakes/slack/index.ts';
import type { ChatHarness, PersonDriver } from './contract.ts';

/** Alice acting in Slack: the fake sends the app what Slack sends (Socket Mode envelopes here). */
function slackPerson(fake: FakeSlack): PersonDriver {
  const alice = fake.as('U0ALICE');
  // The adapter connects in start(); what she does before it is connected would go nowhere.
  const connected = () => fake.waitForConnection();
  return {
    async say(channelId, text) {
      await connected();
      return { messageId: (await alice.post(channelId, text)).ts };
    },
    async edit(channelId, messageId, text) {
      await alice.edit(channelId, messageId, text);
    },
    async remove(channelId, messageId) {
      await alice.delete(channelId, messageId);
    },
    async pushpin(channelId, messageId) {
      await alice.react(channelId, messageId, 'pushpin');
    },
    async pin(channelId, messageId) {
      await alice.pin(channelId, messageId);
    },
    async command(channelId, group, sub, options) {
      await connected();
      await alice.command(channelId, [sub, ...Object.values(options)].join(' '), { command: `/${group}` });
    },
    async click(channelId, messageId, buttonId) {
      await connected();
      await alice.click(channelId, messageId, buttonId);
    },
  };
}

/**
 * Reads what a ChatPlatform did in Slack back from the fake's state, for the contract suite.
 * `inbound`: the chat turns Slack's traffic into InboundEvents (the real adapter), so Alice's
 * actions are sent to it; otherwise why not.
 */
export function slackHarness(
  fake: FakeSlack,
  chat: ChatPlatform,
  inbound: { readonly none: string } | 'socket-mode',
): ChatHarness {
  return {
    chat,
    userId: 'U0ALICE',
    person: inbound === 'socket-mode' ? slackPerson(fake) : inbound,
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
    async files(channelId) {
      return fake
        .files()
        .filter((f) => f.completed && f.channel === channelId)
        .map((f) => ({
          filename: f.filename,
          title: f.title,
          bytes: f.bytes ?? Buffer.alloc(0),
          contentType: undefined,
        }));
    },
    contentTypes: {
      none: 'Slack takes no content type with an upload: it types a file by its name (WebClient: "indicate file type … via the required filename property")',
    },
    // The contract stops the chat first; only then may the fake go.
    close: () => fake.close(),
  };
}
