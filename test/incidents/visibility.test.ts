import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replyText } from '../helpers/sandbox-client.ts';
import { alice, bob, dave, harness } from './harness.ts';

/**
 * Who an incident answers to from outside its channel, and where its buttons count, through the
 * inbound handler every platform's events go through.
 */
describe('incident visibility and button provenance', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.close();
  });

  const declarePrivate = () =>
    h.incidents.declare(h.chat, {
      title: 'Secret',
      description: '',
      severity: 'SEV3',
      private: true,
      actor: alice,
    });

  it('a private incident is visible to its declarer and role holders, not to others', async () => {
    const incident = await declarePrivate();
    expect(await h.services.visibility.visibleTo(h.chat, incident, alice)).toBe(true);
    expect(await h.services.visibility.visibleTo(h.chat, incident, dave)).toBe(false);
    await h.incidents.assignRole(incident, 'responder', bob, alice);
    expect(await h.services.visibility.visibleTo(h.chat, incident, bob)).toBe(true);
  });

  it('someone the platform says is in the private channel (added by hand) sees it too', async () => {
    const incident = await declarePrivate();
    const current = (await h.incidents.get(incident.id))!;
    await h.workspace.addMembers(current.channelId!, ['dave']);
    expect(await h.services.visibility.visibleTo(h.chat, current, dave)).toBe(true);
  });

  it('an incident of another platform is visible to nobody here', async () => {
    const incident = await declarePrivate();
    const elsewhere = { ...incident, platform: 'slack', private: false };
    expect(await h.services.visibility.visibleTo(h.chat, elsewhere, alice)).toBe(false);
  });

  it('a button clicked outside its incident’s channel is refused and changes nothing', async () => {
    const incident = await h.declare('SEV3');
    const current = (await h.incidents.get(incident.id))!;
    const action = await h.actions.request(current, 'cordon', 'gpu-node-4', alice);
    const other = await h.chat.createChannel({ name: 'elsewhere', topic: '', private: false });
    const reply = await h.click(other.id, action.messageId ?? 'm', `act:approve:${action.id}`, bob);
    expect(replyText(reply)).toContain('That button does not belong to an incident in this channel.');
    expect((await h.store.getAction(action.id))?.status).toBe('requested');
    const resolve = await h.click(other.id, current.cardMessageId!, `card:resolve:${current.id}`, bob);
    expect(replyText(resolve)).toContain('That button does not belong to an incident in this channel.');
    expect((await h.incidents.get(current.id))?.status).toBe('declared');
    // In its own channel the same click works.
    const approved = await h.click(current.channelId!, action.messageId!, `act:approve:${action.id}`, bob);
    expect(replyText(approved)).toContain('Approved: the cordon of gpu-node-4 succeeded');
  });
});

describe('event ids', () => {
  it('are remembered across the retry window and forgotten a day later', async () => {
    const h = await harness();
    const channel = (await h.chat.createChannel({ name: 'general-2', topic: '', private: false })).id;
    const message = (eventId: string) =>
      h.inbound({
        type: 'message',
        eventId,
        channelId: channel,
        actor: alice,
        at: h.clock.now(),
        messageId: `m-${eventId}`,
        text: 'hello',
      });
    const seen = async (eventId: string) =>
      !(await h.store.markEventProcessed('sandbox', eventId, h.clock.now()));
    await message('ev-1');
    h.clock.advance(23 * 3_600_000);
    await message('ev-2');
    expect(await seen('ev-1')).toBe(true);
    h.clock.advance(2 * 3_600_000);
    // The next event prunes what is older than a day: ev-1 is forgotten, ev-2 is not.
    await message('ev-3');
    expect(await seen('ev-1')).toBe(false);
    expect(await seen('ev-2')).toBe(true);
    await h.close();
  });
});

describe('events about one channel', () => {
  it('apply in the order they arrived: a 📌 sent right after its message marks it', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const { channelId } = (await h.incidents.get(incident.id))!;
    const base = { channelId: channelId!, actor: alice, at: h.clock.now() };
    // Delivered back to back, neither awaited first, as a gateway hands them over.
    await Promise.all([
      h.inbound({ ...base, type: 'message', eventId: 'ev-m', messageId: 'm-1', text: 'root cause: riser' }),
      h.inbound({ ...base, type: 'reaction', eventId: 'ev-r', messageId: 'm-1', emoji: '📌', added: true }),
      h.inbound({
        ...base,
        type: 'message_edited',
        eventId: 'ev-e',
        messageId: 'm-1',
        text: 'root cause: PCIe riser',
      }),
    ]);
    const entry = (await h.store.listTimeline(incident.id)).find((e) => e.sourceMessageId === 'm-1');
    expect(entry).toMatchObject({ key: true, text: 'root cause: PCIe riser' });
    await h.close();
  });
});
