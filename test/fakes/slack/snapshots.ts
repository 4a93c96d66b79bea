import { mentionsOf } from './mentions.ts';
import type { ChannelRecord, FakeChannel, FakeMessage, MessageRecord } from './records.ts';

/** Copies of internal records for tests: later changes never show through an assertion. */

export function snapshotChannel(c: ChannelRecord): FakeChannel {
  return {
    id: c.id,
    name: c.name,
    topic: c.topic,
    purpose: c.purpose,
    private: c.private,
    archived: c.archived,
    general: c.general,
    members: [...c.members],
    created: c.created,
    creator: c.creator,
    previousNames: [...c.previousNames],
  };
}

export function snapshotMessage(m: MessageRecord): FakeMessage {
  return structuredClone({
    channel: m.channel,
    ts: m.ts,
    text: m.text,
    blocks: m.blocks,
    user: m.user,
    botId: m.botId,
    byBot: m.botId !== undefined,
    subtype: m.subtype,
    threadTs: m.threadTs,
    edited: m.edited,
    deleted: m.deletedAt !== undefined,
    reactions: Object.fromEntries(m.reactions),
    pinned: m.pinnedBy !== undefined,
    files: m.files,
    origin: m.origin,
    mentions: mentionsOf(m.text, m.blocks),
  });
}
