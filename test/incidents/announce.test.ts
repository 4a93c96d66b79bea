import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/index.ts';
import { cardButtonId } from '../../src/incidents/buttons.ts';
import { alice, bob, harness } from './harness.ts';

type Harness = Awaited<ReturnType<typeof harness>>;

/** What the incident channel and the announcement channel say, newest last. */
async function said(h: Harness, incident: Incident) {
  const announce = (await h.chat.announceChannelId())!;
  return {
    channel: (await h.messages(incident.channelId!)).map((m) => m.message.text),
    announced: (await h.messages(announce)).map((m) => m.message.text),
  };
}

/**
 * A status change made with a card button is posted and announced exactly as the same change made
 * with a command: the channel hears who did it either way, not only the clicker.
 */
describe('status changes reach everyone, however they were made', () => {
  const card = (h: Harness, incident: Incident, verb: string, actor = bob) =>
    h.messages(incident.channelId!).then((ms) => {
      const m = ms.find((x) =>
        x.message.buttons?.some((b) => b.id === cardButtonId(verb as never, incident.id)),
      );
      if (!m) throw new Error(`no ${verb} button`);
      return h.click(incident.channelId!, m.id, cardButtonId(verb as never, incident.id), actor);
    });

  for (const how of ['button', 'command'] as const) {
    it(`${how}: investigating, mitigated and resolved in the channel with who; mitigated and resolved announced`, async () => {
      const h = await harness();
      const incident = await h.declare('SEV2', 'Xid 79 on gpu-node-5');
      const act = async (verb: 'investigating' | 'mitigated' | 'resolve', command: string) => {
        if (how === 'button') await card(h, (await h.incidents.get(incident.id))!, verb);
        else await h.command('incident', command, incident.channelId!, bob);
      };
      await act('investigating', 'status investigating');
      await act('mitigated', 'mitigated');
      await act('resolve', 'resolve');
      await h.app.uow.idle();
      const { channel, announced } = await said(h, incident);
      expect(channel).toEqual(
        expect.arrayContaining([
          '🔎 INC-1 is now *investigating* (set by @bob).',
          '🩹 INC-1 marked mitigated by @bob.',
          '✅ INC-1 resolved by @bob. Close it with /incident close once the follow-ups are written down.',
        ]),
      );
      expect(announced).toEqual(
        expect.arrayContaining([
          '🩹 *INC-1* mitigated: Xid 79 on gpu-node-5',
          '✅ *INC-1* resolved: Xid 79 on gpu-node-5',
        ]),
      );
      // Each said once, not once by the command and again by the use case.
      expect(channel.filter((t) => t.startsWith('🩹'))).toHaveLength(1);
      await h.close();
    });
  }

  it('a severity raise is announced, a lowering is not; a reopen says so', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3', 'NCCL hangs');
    await h.incidents.changeSeverity(incident, 'SEV1', alice);
    await h.incidents.changeSeverity((await h.incidents.get(incident.id))!, 'SEV2', alice);
    await h.incidents.changeStatus((await h.incidents.get(incident.id))!, 'resolved', alice);
    await h.incidents.changeStatus((await h.incidents.get(incident.id))!, 'investigating', alice);
    await h.app.uow.idle();
    const { channel, announced } = await said(h, incident);
    expect(announced.filter((t) => t.includes('raised'))).toEqual([
      '🔴 *INC-1* raised to SEV1 (was SEV3): NCCL hangs',
    ]);
    expect(channel).toContain('↩️ INC-1 reopened by @alice: investigating again.');
    await h.close();
  });

  it('a private incident is not announced', async () => {
    const h = await harness();
    const incident = await h.incidents.declare(h.chat, {
      title: 'Secret',
      description: '',
      severity: 'SEV2',
      private: true,
      actor: alice,
    });
    await h.incidents.changeStatus(incident, 'mitigated', alice);
    await h.app.uow.idle();
    expect((await said(h, incident)).announced.join('\n')).not.toContain('INC-1');
    await h.close();
  });
});
