import { describe, expect, it } from 'vitest';
import { alice, bob, harness, simulatedWith } from './harness.ts';

/** What a process that died mid-way leaves in the store, and what the next one makes of it. */
describe('recovering interrupted actions', () => {
  it('marks actions left running or approved as unknown, on the timeline and in the channel', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3', 'Xid 79 on gpu-node-5');
    const drain = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    const cordon = await h.actions.request(incident, 'cordon', 'gpu-node-2', alice);
    const untouched = await h.actions.request(incident, 'cordon', 'gpu-node-3', alice);
    // The dead process had approved both and started the drain.
    await h.store.transitionAction(drain.id, ['requested'], 'approved', {
      decidedBy: bob.id,
      decidedAt: h.clock.now(),
    });
    await h.store.transitionAction(drain.id, ['approved'], 'running', { startedAt: h.clock.now() });
    await h.store.transitionAction(cordon.id, ['requested'], 'approved', {
      decidedBy: bob.id,
      decidedAt: h.clock.now(),
    });

    expect(await h.actions.recoverInterrupted(0)).toBe(2);
    const byId = new Map((await h.store.listActions(incident.id)).map((a) => [a.id, a]));
    expect(byId.get(drain.id)!.status).toBe('unknown');
    expect(byId.get(drain.id)!.result!.summary).toBe(
      'The bot stopped while the drain of gpu-node-5 was running: it may or may not have completed.',
    );
    expect(byId.get(cordon.id)!.status).toBe('unknown');
    expect(byId.get(cordon.id)!.result!.summary).toContain('it did not run');
    expect(byId.get(untouched.id)!.status).toBe('requested');

    const texts = (await h.messages(incident.channelId!)).map((m) => m.message.text);
    expect(texts).toContain(
      '⚠️ The bot stopped while the drain of gpu-node-5 was running: it may or may not have completed. Check with `/node status gpu-node-5` and request it again if it is still needed.',
    );
    const results = (await h.store.listTimeline(incident.id)).filter((e) => e.kind === 'action_result');
    expect(results).toHaveLength(2);
    // Nothing left to recover: a second pass changes nothing.
    expect(await h.actions.recoverInterrupted(0)).toBe(0);
    await h.close();
  });

  it('leaves a recent running action alone when told to wait (another replica may be running it)', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3', 'Xid 79 on gpu-node-5');
    const drain = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    await h.store.transitionAction(drain.id, ['requested'], 'approved', { decidedAt: h.clock.now() });
    await h.store.transitionAction(drain.id, ['approved'], 'running', { startedAt: h.clock.now() });
    h.clock.advance(5 * 60_000);
    expect(await h.actions.recoverInterrupted(15 * 60_000)).toBe(0);
    h.clock.advance(11 * 60_000);
    expect(await h.actions.recoverInterrupted(15 * 60_000)).toBe(1);
    await h.close();
  });

  it('reports at once the actions this replica ran before it restarted under the same REPLICA_ID', async () => {
    const h = await harness({ outbox: { owner: 'bot-0', ownerIsStable: true } });
    const incident = await h.declare('SEV3', 'Xid 79 on gpu-node-5');
    // Approved through the service: the action carries the name of the replica that ran it.
    const cordon = await h.actions.request(incident, 'cordon', 'gpu-node-2', alice);
    expect((await h.actions.approve(cordon.id, bob)).runner).toBe('bot-0');

    const mine = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    const theirs = await h.actions.request(incident, 'drain', 'gpu-node-3', alice);
    for (const [action, runner] of [
      [mine, 'bot-0'],
      [theirs, 'bot-1'],
    ] as const) {
      await h.store.transitionAction(action.id, ['requested'], 'approved', {
        decidedAt: h.clock.now(),
        runner,
      });
      await h.store.transitionAction(action.id, ['approved'], 'running', {
        startedAt: h.clock.now(),
        runner,
      });
    }
    h.clock.advance(60_000);
    // bot-0 restarted: its own drain cannot be running anywhere; bot-1's may still be.
    expect(await h.actions.recoverInterrupted(15 * 60_000)).toBe(1);
    expect((await h.store.getAction(mine.id))?.status).toBe('unknown');
    expect((await h.store.getAction(theirs.id))?.status).toBe('running');
    h.clock.advance(15 * 60_000);
    expect(await h.actions.recoverInterrupted(15 * 60_000)).toBe(1);
    expect((await h.store.getAction(theirs.id))?.status).toBe('unknown');
    await h.close();
  });

  it('waits on its own actions too when its name is not stable (no REPLICA_ID)', async () => {
    const h = await harness({ outbox: { owner: 'replica-1a2b3c' } });
    const incident = await h.declare('SEV3', 'Xid 79 on gpu-node-5');
    const drain = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    const runner = 'replica-1a2b3c';
    await h.store.transitionAction(drain.id, ['requested'], 'approved', { decidedAt: h.clock.now(), runner });
    await h.store.transitionAction(drain.id, ['approved'], 'running', { startedAt: h.clock.now(), runner });
    expect(await h.actions.recoverInterrupted(15 * 60_000)).toBe(0);
    await h.close();
  });
});

describe('a mitigation that finishes after it was settled elsewhere', () => {
  it('keeps the one result already recorded, and says what the node answered after all', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const started = new Promise<void>((r) => {
      entered = r;
    });
    // The simulated fleet, with a drain that waits until the test lets it finish.
    const h = await harness({
      adapters: simulatedWith((real) => ({
        drain: async (...args) => {
          entered();
          await gate;
          return real.drain(...args);
        },
      })),
    });
    const incident = await h.declare('SEV3', 'Xid 79 on gpu-node-5');
    const drain = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    const running = h.actions.approve(drain.id, bob);
    await started;
    // Another process (a replica past the 15-minute mark) settles it while it runs here.
    expect(await h.actions.recoverInterrupted(0)).toBe(1);
    release();
    const final = await running;
    expect(final.status).toBe('unknown');

    const timeline = await h.store.listTimeline(incident.id);
    const results = timeline.filter((e) => e.kind === 'action_result');
    expect(results.map((e) => e.text)).toEqual([
      'drain of gpu-node-5: outcome unknown. The bot stopped while the drain of gpu-node-5 was running: it may or may not have completed.',
    ]);
    const late = timeline.find((e) => e.kind === 'note' && e.text.includes('finished after all'));
    expect(late?.text).toMatch(
      /^ℹ️ The drain of gpu-node-5, already recorded as outcome unknown \(the bot stopped while it was under way\), finished after all: it succeeded: Drained gpu-node-5/,
    );
    const texts = (await h.messages(incident.channelId!)).map((m) => m.message.text);
    expect(texts).toContain(late?.text);
    expect(texts.filter((t) => t.startsWith('✅'))).toEqual([]);
    await h.close();
  });
});
