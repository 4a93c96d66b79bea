import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/chat/message.ts';
import type { ChatPlatform, FileUpload, InboundEvent } from '../../src/chat/port.ts';
import { isBotError } from '../../src/core/index.ts';
import { waitFor } from '../helpers/wait.ts';

/** A well-formed id of someone who is not on the platform at all. */
const NOBODY: Record<string, string> = {
  slack: 'U0NOBODY00',
  discord: '100000000000000001',
  sandbox: 'nobody',
};

/** A well-formed id of a channel that does not exist. */
const NO_CHANNEL: Record<string, string> = {
  slack: 'C0NOCHANNEL',
  discord: '100000000000000099',
  sandbox: 'no-such-channel',
};

export interface ChatHarness {
  readonly chat: ChatPlatform;
  /** A user id that exists on the platform. */
  readonly userId: string;
  /** Reads back what the platform shows in a channel (through its API or the fake's record). */
  messages(channelId: string): Promise<{ id: string; text: string; buttons: string[] }[]>;
  channel(channelId: string): Promise<{ name: string; topic: string; archived: boolean; members: string[] }>;
  /** The files uploaded to a channel as the platform keeps them (its wire or the fake's record). */
  files(channelId: string): Promise<UploadedFile[]>;
  /** Whether the platform keeps the content type the bot gives a file, or why it takes none. */
  readonly contentTypes: 'kept' | { readonly none: string };
  /**
   * How a person (`userId`) acts on the platform, sent the way the platform sends it (Socket Mode
   * envelopes, gateway packets, the sandbox page's requests); or why this chat has no inbound side.
   */
  readonly person: PersonDriver | { readonly none: string };
  close(): Promise<void>;
}

/** A file as it arrived: the bytes exactly, and the content type where the platform keeps one. */
export interface UploadedFile {
  readonly filename: string;
  readonly title: string;
  readonly bytes: Buffer;
  readonly contentType: string | undefined;
}

/**
 * Bytes no UTF-8 round trip keeps: gzip's magic number, a lone continuation byte, an overlong
 * `/`, a UTF-16 surrogate half, 0xff and 0xfe, a NUL, then random bytes. Sent as text they would
 * arrive with U+FFFD in their place.
 */
function binaryBytes(): Buffer {
  return Buffer.concat([
    Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe, 0x00]),
    randomBytes(64 * 1024),
  ]);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A person acting in a channel the bot and they are both in. Each resolves once it was sent. */
export interface PersonDriver {
  say(channelId: string, text: string): Promise<{ messageId: string }>;
  edit(channelId: string, messageId: string, text: string): Promise<void>;
  remove(channelId: string, messageId: string): Promise<void>;
  /** A 📌 reaction. */
  pushpin(channelId: string, messageId: string): Promise<void>;
  pin(channelId: string, messageId: string): Promise<void>;
  /** `/<group> <sub>` with its options, typed the platform's way (words, or typed options). */
  command(channelId: string, group: string, sub: string, options: Record<string, string>): Promise<void>;
  click(channelId: string, messageId: string, buttonId: string): Promise<void>;
  /** Events whose actor the platform does not say (Discord: who deleted a message). */
  readonly actorUnknown?: readonly InboundEvent['type'][];
}

/**
 * What every ChatPlatform (and every fake of one) must do, so the incident service can rely on it
 * whichever platform an incident lives on.
 */
export function chatPlatformContract(name: string, make: () => Promise<ChatHarness>): void {
  describe(`ChatPlatform contract: ${name}`, () => {
    let h: ChatHarness;
    const received: InboundEvent[] = [];

    beforeEach(async () => {
      h = await make();
      received.length = 0;
      await h.chat.start(async (e) => {
        received.push(e);
        return undefined;
      });
    });
    afterEach(async () => {
      await h.chat.stop();
      await h.close();
    });

    it('declares its capabilities', () => {
      const c = h.chat.capabilities;
      expect(typeof c.modals).toBe('boolean');
      expect(typeof c.ephemeral).toBe('boolean');
      expect(c.maxTextLength).toBeGreaterThanOrEqual(2000);
      // Every platform takes a diagnostic bundle of a few MiB.
      expect(Number.isSafeInteger(h.chat.maxUploadBytes)).toBe(true);
      expect(h.chat.maxUploadBytes).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    });

    it('creates a channel with its topic, and refuses a taken name with bot.chat.name_taken (a conflict)', async () => {
      const ref = await h.chat.createChannel({
        name: 'inc-1-contract',
        topic: 'SEV2 · declared',
        private: false,
      });
      expect(ref.name).toBe('inc-1-contract');
      expect((await h.channel(ref.id)).topic).toBe('SEV2 · declared');
      const again = await h.chat
        .createChannel({ name: 'inc-1-contract', topic: 'x', private: false })
        .catch((e) => e);
      expect(isBotError(again) && again.code).toBe('bot.chat.name_taken');
      expect(isBotError(again) && again.kind).toBe('conflict');
    });

    it('refuses a message to a channel that does not exist as not_found (a refusal, not retried)', async () => {
      const err = await h.chat
        .postMessage(NO_CHANNEL[h.chat.id] ?? 'no-such-channel', { text: 'into the void' })
        .catch((e: unknown) => e);
      expect(isBotError(err) && err.kind).toBe('not_found');
    });

    it('a name taken by an archived channel is still taken', async () => {
      const ref = await h.chat.createChannel({ name: 'inc-2-archived', topic: '', private: false });
      await h.chat.archiveChannel(ref.id);
      expect((await h.channel(ref.id)).archived).toBe(true);
      const again = await h.chat
        .createChannel({ name: 'inc-2-archived', topic: '', private: false })
        .catch((e) => e);
      expect(isBotError(again) && again.code).toBe('bot.chat.name_taken');
    });

    it('sets the topic, renames and invites', async () => {
      const ref = await h.chat.createChannel({ name: 'inc-3-a', topic: '', private: true });
      await h.chat.setTopic(ref.id, 'SEV1 · investigating · IC: Bob');
      await h.chat.renameChannel(ref.id, 'inc-3-b');
      await h.chat.invite(ref.id, [h.userId]);
      const c = await h.channel(ref.id);
      expect(c).toMatchObject({ name: 'inc-3-b', topic: 'SEV1 · investigating · IC: Bob' });
      expect(c.members).toContain(h.userId);
    });

    it('says who is in a private channel, where it can tell', async (ctx) => {
      const isMember = h.chat.isMember?.bind(h.chat);
      if (!isMember) return ctx.skip(`${name} has no isMember: only the incident's record says who belongs`);
      const ref = await h.chat.createChannel({ name: 'inc-5-members', topic: '', private: true });
      expect(await isMember(ref.id, h.userId)).toBe(false);
      await h.chat.invite(ref.id, [h.userId]);
      expect(await isMember(ref.id, h.userId)).toBe(true);
      expect(await isMember(ref.id, NOBODY[h.chat.id] ?? 'nobody')).toBe(false);
    });

    it('posts a message with buttons and updates it in place', async () => {
      const ref = await h.chat.createChannel({ name: 'inc-4-card', topic: '', private: false });
      const card: ChatMessage = {
        text: 'INC-4 card',
        header: 'INC-4',
        buttons: [{ id: 'card:resolve:abc', label: 'Resolve', style: 'primary' }],
      };
      const { messageId } = await h.chat.postMessage(ref.id, card);
      await h.chat.updateMessage(ref.id, messageId, { ...card, text: 'INC-4 card, resolved', buttons: [] });
      const messages = await h.messages(ref.id);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ id: messageId, text: 'INC-4 card, resolved', buttons: [] });
    });

    it('finds a keyed post again, or keeps a keyed post from being posted twice', async () => {
      const ref = await h.chat.createChannel({ name: 'inc-6-keyed', topic: '', private: false });
      const key = 'obKeyedPost0000000000001';
      const first = await h.chat.postMessage(ref.id, { text: 'posted once' }, { key });
      await h.chat.postMessage(ref.id, { text: 'someone else' }, { key: 'obKeyedPost0000000000002' });
      if (h.chat.findPosted) {
        // The outbox asks before posting again after a crash.
        expect(await h.chat.findPosted(ref.id, key)).toEqual({ messageId: first.messageId });
        expect(await h.chat.findPosted(ref.id, 'obNeverPosted000000000000')).toBeUndefined();
      } else {
        // Without a way to look (Discord), the platform itself returns the first post for the key.
        const again = await h.chat.postMessage(ref.id, { text: 'posted once' }, { key });
        expect(again.messageId).toBe(first.messageId);
        expect((await h.messages(ref.id)).map((m) => m.text)).toEqual(['posted once', 'someone else']);
      }
    });

    const uploads: [string, () => FileUpload][] = [
      [
        'text',
        () => ({
          filename: 'INC-7-postmortem.md',
          title: 'INC-7 post-mortem draft v1',
          content: '# INC-7\n',
        }),
      ],
      [
        'bytes',
        () => ({
          filename: 'nvidia-bug-report-gpu-node-7.tar.gz',
          title: 'Diagnostic bundle of gpu-node-7',
          content: binaryBytes().toString('base64'),
          encoding: 'base64',
          contentType: 'application/gzip',
        }),
      ],
    ];
    for (const [kind, make] of uploads) {
      it(`finds a keyed upload (${kind}) again, or keeps a keyed upload from being uploaded twice`, async () => {
        const ref = await h.chat.createChannel({ name: `inc-7-upload-${kind}`, topic: '', private: false });
        const file = make();
        const key = 'obKeyedUpload00000000001';
        if (h.chat.findUploaded) {
          // Slack takes no key with an upload: the outbox looks for it before uploading again.
          expect(await h.chat.findUploaded(ref.id, file)).toBe(false);
          await h.chat.uploadFile(ref.id, file, { key });
          expect(await h.chat.findUploaded(ref.id, file)).toBe(true);
          expect(await h.chat.findUploaded(ref.id, { ...file, title: `${file.title} v2` })).toBe(false);
        } else {
          await h.chat.uploadFile(ref.id, file, { key });
          await h.chat.uploadFile(ref.id, file, { key });
          expect(await h.messages(ref.id)).toHaveLength(1);
        }
        expect(await h.files(ref.id)).toHaveLength(1);
      });
    }

    it('uploads bytes as they are (not as text), with their content type where the platform keeps one', async () => {
      const ref = await h.chat.createChannel({ name: 'inc-10-bundle', topic: '', private: false });
      const bytes = binaryBytes();
      // The case that matters: bytes a UTF-8 round trip would change.
      expect(Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)).toBe(false);
      const file: FileUpload = {
        filename: 'nvidia-bug-report-gpu-node-5.tar.gz',
        title: 'Diagnostic bundle of gpu-node-5',
        content: bytes.toString('base64'),
        encoding: 'base64',
        contentType: 'application/gzip',
      };
      await h.chat.uploadFile(ref.id, file, { key: 'obBinaryUpload0000000001' });
      const files = await h.files(ref.id);
      expect(files.map((f) => [f.filename, f.title])).toEqual([[file.filename, file.title]]);
      const got = files[0]!;
      // Compared by length and digest: a failing toEqual of two 64 KiB buffers says nothing readable.
      expect([got.bytes.length, sha256(got.bytes)]).toEqual([bytes.length, sha256(bytes)]);
      if (h.contentTypes === 'kept') expect(got.contentType).toBe('application/gzip');
    });

    it('uploads text as UTF-8, as it always did', async () => {
      const ref = await h.chat.createChannel({ name: 'inc-11-text', topic: '', private: false });
      const content = '# INC-11 — GPU 3 fell off the bus 🔥\n\nXid 79 on gpu-node-3.\n';
      await h.chat.uploadFile(ref.id, { filename: 'INC-11-postmortem.md', title: 'INC-11 draft', content });
      const [got] = await h.files(ref.id);
      expect(got?.bytes.toString('utf8')).toBe(content);
      // The platforms always sent the post-mortem as Markdown.
      if (h.contentTypes === 'kept') expect(got?.contentType).toMatch(/^text\/markdown\b/);
    });

    it('resolves people and renders mentions and channel links', async () => {
      const actor = await h.chat.resolveUser(h.chat.mention(h.userId));
      expect(actor?.id).toBe(h.userId);
      expect(await h.chat.resolveUser('@no-such-person-anywhere')).toBeUndefined();
      expect(h.chat.channelLink({ id: 'C1', name: 'inc-9-x' })).toContain('inc-9-x');
    });

    it('has an announcement channel or says it has none', async () => {
      const id = await h.chat.announceChannelId();
      if (id !== undefined) expect((await h.channel(id)).archived).toBe(false);
    });

    /*
     * Inbound: what a person does arrives as one InboundEvent of the right type, with the
     * platform's own event id, the person, the channel, and the message it is about.
     */
    describe('what people do arrives as InboundEvents', () => {
      let person: PersonDriver;
      let channelId: string;
      const arrived = <T extends InboundEvent['type']>(
        type: T,
        match: (e: InboundEvent & { type: T }) => boolean,
      ) =>
        waitFor(
          () => received.find((e): e is InboundEvent & { type: T } => e.type === type && match(e as never)),
          `a ${type} event`,
        );
      const fromPerson = (e: InboundEvent) => {
        expect(e.eventId).toEqual(expect.any(String));
        expect(e.eventId.length).toBeGreaterThan(0);
        expect(e.channelId).toBe(channelId);
        expect(e.at).toBeInstanceOf(Date);
        expect(Number.isFinite(e.at.getTime())).toBe(true);
        if (person.actorUnknown?.includes(e.type)) expect(e.actor.id.length).toBeGreaterThan(0);
        else expect(e.actor.id).toBe(h.userId);
      };

      beforeEach(async (ctx) => {
        if ('none' in h.person) return ctx.skip(h.person.none);
        person = h.person;
        const ref = await h.chat.createChannel({ name: 'inc-8-inbound', topic: '', private: false });
        await h.chat.invite(ref.id, [h.userId]);
        channelId = ref.id;
      });

      it('a message, its edit and its deletion', async () => {
        const { messageId } = await person.say(channelId, 'gpu-node-5 is back');
        fromPerson(
          await arrived('message', (e) => e.messageId === messageId && e.text === 'gpu-node-5 is back'),
        );
        await person.edit(channelId, messageId, 'gpu-node-5 is back, for now');
        fromPerson(
          await arrived(
            'message_edited',
            (e) => e.messageId === messageId && e.text === 'gpu-node-5 is back, for now',
          ),
        );
        await person.remove(channelId, messageId);
        fromPerson(await arrived('message_deleted', (e) => e.messageId === messageId));
        const ids = received.map((e) => e.eventId);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it('a 📌 reaction and a pin, on the message they are about', async () => {
        const { messageId } = await person.say(channelId, 'the root cause');
        await person.pushpin(channelId, messageId);
        const reaction = await arrived('reaction', (e) => e.messageId === messageId);
        fromPerson(reaction);
        expect(reaction).toMatchObject({ emoji: '📌', added: true });
        await person.pin(channelId, messageId);
        fromPerson(await arrived('pin', (e) => e.messageId === messageId && e.added));
      });

      it('a slash command, with its options', async () => {
        await person.command(channelId, 'incident', 'note', { text: 'ticket 4411 looks related' });
        const command = await arrived('command', (e) => e.command === 'incident');
        fromPerson(command);
        // Words (Slack, the sandbox) or typed options (Discord): the same command either way.
        if (command.options)
          expect(command).toMatchObject({ text: 'note', options: { text: 'ticket 4411 looks related' } });
        else expect(command.text).toBe('note ticket 4411 looks related');
      });

      it('a button click, on the message it is on', async () => {
        const { messageId } = await h.chat.postMessage(channelId, {
          text: 'INC-8 card',
          buttons: [{ id: 'card:take-command:inbound-contract', label: 'Take command' }],
        });
        await person.click(channelId, messageId, 'card:take-command:inbound-contract');
        fromPerson(
          await arrived(
            'button',
            (e) => e.messageId === messageId && e.buttonId === 'card:take-command:inbound-contract',
          ),
        );
      });
    });
  });
}
