import { describe, expect, it } from 'vitest';
import { cardButtonId } from '../../src/incidents/buttons.ts';
import { alice, bob, harness } from './harness.ts';

/**
 * Resolving or closing while mitigation requests still wait for approval: the bot asks (cancel
 * them, or keep them), whichever way the resolve came, and a closed incident's channel never
 * shows a request waiting for approval.
 */
describe('resolving with mitigation requests still waiting', () => {
  it('asks on /incident resolve, resolves nothing until answered, then keeps them; closing cancels them', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2');
    const channel = incident.channelId!;
    const drain = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);

    const asked = await h.command('incident', 'resolve', channel);
    expect(asked.visibility).toBe('ephemeral');
    expect(asked.message.text).toBe(
      'INC-1 has 1 mitigation request still waiting for approval: drain of gpu-node-5 (requested by Alice). Cancel it as you resolve, or keep it open?',
    );
    expect(asked.message.buttons?.map((b) => [b.label, b.id])).toEqual([
      ['Resolve, cancel requests', cardButtonId('resolve-cancel', incident.id)],
      ['Resolve, keep requests', cardButtonId('resolve-keep', incident.id)],
    ]);
    expect((await h.incidents.get(incident.id))?.status).toBe('declared');

    const kept = await h.click(channel, 'm-asked', cardButtonId('resolve-keep', incident.id), bob);
    expect(kept?.message.text).toBe(
      'INC-1 resolved; 1 mitigation request still waits for approval: drain of gpu-node-5 (requested by Alice).',
    );
    expect((await h.incidents.get(incident.id))?.status).toBe('resolved');
    expect((await h.store.getAction(drain.id))?.status).toBe('requested');

    const closed = await h.command('incident', 'close', channel);
    expect(closed.message.text).toBe('INC-1 closed; cancelled drain of gpu-node-5 (requested by Alice).');
    expect(await h.store.getAction(drain.id)).toMatchObject({ status: 'cancelled', decidedBy: 'alice' });
    await h.app.uow.idle();
    const shown = JSON.stringify((await h.messages(channel)).map((m) => m.message));
    expect(shown).not.toContain('waiting for approval');
    const timeline = (await h.store.listTimeline(incident.id)).map((e) => e.text);
    expect(timeline).toContain('Cancelled drain of gpu-node-5: INC-1 was closed');
    await h.close();
  });

  it('asks on the card’s Resolve button too, and cancels them when told to', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const channel = incident.channelId!;
    await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    h.clock.advance(1000);
    await h.actions.request(incident, 'cordon', 'gpu-node-7', bob);

    const card = (await h.store.getIncident(incident.id))!.cardMessageId!;
    const asked = await h.click(channel, card, cardButtonId('resolve', incident.id));
    expect(asked?.message.text).toMatch(
      /^INC-1 has 2 mitigation requests still waiting for approval: drain of gpu-node-5 \(requested by Alice\); cordon of gpu-node-7 \(requested by Bob\)\. Cancel them as you resolve, or keep them open\?$/,
    );
    expect((await h.incidents.get(incident.id))?.status).toBe('declared');

    const done = await h.command('incident', 'resolve --requests cancel', channel);
    expect(done.message.text).toBe(
      'INC-1 resolved; cancelled drain of gpu-node-5 (requested by Alice); cordon of gpu-node-7 (requested by Bob).',
    );
    const statuses = (await h.store.listActions(incident.id)).map((a) => a.status);
    expect(statuses).toEqual(['cancelled', 'cancelled']);
    await h.app.uow.idle();
    const headers = (await h.messages(channel))
      .map((m) => m.message.header ?? '')
      .filter((t) => t.startsWith('🛠️'));
    expect(headers.some((t) => t.includes('waiting for approval'))).toBe(false);
    // Resolving again is the lifecycle's refusal, and cancels nothing more.
    await expect(h.command('incident', 'resolve --requests cancel', channel)).rejects.toThrow(
      /already resolved/,
    );
    await h.close();
  });

  it('resolves at once when nothing waits, and a mistyped answer is refused with the choices', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const channel = incident.channelId!;
    await expect(h.command('incident', 'resolve --requests maybe', channel)).rejects.toThrow(/cancel.*keep/);
    const done = await h.command('incident', 'resolve', channel);
    expect(done.message.text).toBe('INC-1 resolved.');
    await h.close();
  });
});
