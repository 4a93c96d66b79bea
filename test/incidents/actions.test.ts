import { describe, expect, it } from 'vitest';
import { isBotError } from '../../src/core/index.ts';
import { alice, bob, dave, harness, simulatedWith } from './harness.ts';

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isBotError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('mitigations: preview → approval → one run', () => {
  it('refuses self-approval at SEV1 and runs once for a second person, however many clicks', async () => {
    const h = await harness();
    const incident = await h.declare('SEV1');
    const action = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    expect(action.preview).toContain('qwen2-72b-finetune-0');
    expect(await refusal(h.actions.approve(action.id, alice))).toMatchObject({
      code: 'bot.action.same_person',
    });

    const clicks = await Promise.allSettled([1, 2, 3, 4].map(() => h.actions.approve(action.id, bob)));
    expect(clicks.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    for (const c of clicks) if (c.status === 'rejected') expect(c.reason.code).toBe('bot.action.not_pending');
    const stored = (await h.store.listActions(incident.id))[0]!;
    expect(stored).toMatchObject({ status: 'succeeded', decidedBy: 'bob' });
    const results = (await h.store.listTimeline(incident.id)).filter((e) => e.kind === 'action_result');
    expect(results).toHaveLength(1);
    await h.close();
  });

  it('previews where each workload goes, names the approver, and warns when a drain stopped work', async () => {
    const h = await harness();
    const incident = await h.declare('SEV1');
    const five = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    expect(five.preview).toContain('• qwen2-72b-finetune-0 (8 GPUs) will be moved to gpu-node-8.');
    await h.actions.approve(five.id, bob);
    const posts = async () => (await h.messages(incident.channelId!)).map((m) => m.message);
    const card = (await posts()).find((m) => m.header?.startsWith('🛠️ drain gpu-node-5'))!;
    expect(card.header).toBe('🛠️ drain gpu-node-5: succeeded');
    expect(card.context).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Approved by Bob\b.* at \d\d:\d\d/)]),
    );
    expect(
      (await posts()).some((m) => m.text.startsWith('✅ drain of gpu-node-5: Drained gpu-node-5: 1 moved')),
    ).toBe(true);

    // The spare is taken now: gpu-node-1's job has nowhere to go, and the preview says so first.
    const one = await h.actions.request(incident, 'drain', 'gpu-node-1', alice);
    expect(one.preview).toContain(
      '• llama3-70b-pretrain-0 (8 GPUs) will be stopped: no ready node has 8 free GPUs',
    );
    const done = await h.actions.approve(one.id, bob);
    expect(done.status).toBe('succeeded');
    const after = await posts();
    const result = after.find((m) => m.text.startsWith('⚠️ drain of gpu-node-1'))!;
    expect(result.sections?.[0]).toBe(
      '⚠️ *drain of gpu-node-1* finished with a warning: Drained gpu-node-1: 0 moved, 1 stopped, 2 left in place',
    );
    expect(result.sections?.[1]).toMatch(/^⚠️ llama3-70b-pretrain-0 was stopped, not moved/);
    expect(after.find((m) => m.header?.startsWith('🛠️ drain gpu-node-1'))?.header).toBe(
      '🛠️ drain gpu-node-1: done, with a warning',
    );
    const timeline = (await h.store.listTimeline(incident.id)).filter((e) => e.kind === 'action_result');
    expect(timeline.at(-1)?.text).toMatch(
      /^drain of gpu-node-1 finished with a warning: .*\(llama3-70b-pretrain-0 was stopped/,
    );
    await h.close();
  });

  it('refuses a second request of the same mitigation while the first is open, and allows it after', async () => {
    const h = await harness();
    const incident = await h.declare('SEV1');
    const first = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    expect(await refusal(h.actions.request(incident, 'drain', 'gpu-node-5', bob))).toEqual({
      code: 'bot.action.already_open',
      message: 'A drain of gpu-node-5 is already waiting for approval (requested by Alice).',
    });
    // Another target, or another kind, is a request of its own.
    await h.actions.request(incident, 'cordon', 'gpu-node-5', bob);
    await h.actions.request(incident, 'drain', 'gpu-node-6', bob);
    await h.actions.cancel(first.id, alice);
    const again = await h.actions.request(incident, 'drain', 'gpu-node-5', bob);
    expect(again.id).not.toBe(first.id);
    expect((await h.store.listActions(incident.id)).filter((a) => a.kind === 'drain')).toHaveLength(3);
    await h.close();
  });

  it('checks the clicker against the approvers list, not the requester', async () => {
    const h = await harness({ policy: { approvers: ['@sre'] } });
    const incident = await h.declare('SEV3');
    const action = await h.actions.request(incident, 'cordon', 'gpu-node-2', dave);
    expect(await refusal(h.actions.approve(action.id, dave))).toMatchObject({ code: 'bot.action.forbidden' });
    // At SEV3 the requester may approve their own, if they are an approver.
    const own = await h.actions.request(incident, 'cordon', 'gpu-node-4', alice);
    expect((await h.actions.approve(own.id, alice)).status).toBe('succeeded');
    await h.close();
  });

  it('expires an unapproved request on time and takes its buttons away', async () => {
    const h = await harness({ policy: { expiryMinutes: 10 } });
    const incident = await h.declare('SEV2');
    const action = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
    const before = (await h.messages(incident.channelId!)).find((m) => m.id === action.messageId)!;
    expect(before.message.buttons?.map((b) => b.label)).toEqual(['Approve', 'Cancel']);

    h.clock.advance(9 * 60_000);
    expect(await h.actions.expireDue()).toBe(0);
    h.clock.advance(60_000);
    expect(await h.actions.expireDue()).toBe(1);
    const after = (await h.messages(incident.channelId!)).find((m) => m.id === action.messageId)!;
    expect(after.message.header).toBe('🛠️ drain gpu-node-5: expired without approval');
    expect(after.message.buttons).toBeUndefined();
    expect(await refusal(h.actions.approve(action.id, bob))).toMatchObject({
      code: 'bot.action.not_pending',
    });
    const kinds = (await h.store.listTimeline(incident.id)).map((e) => e.kind);
    expect(kinds).toContain('action_expired');
    await h.close();
  });

  it('a click that arrives after the expiry but before the sweep is refused as expired', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const action = await h.actions.request(incident, 'cordon', 'gpu-node-1', alice);
    h.clock.advance(10 * 60_000);
    expect(await refusal(h.actions.approve(action.id, bob))).toMatchObject({ code: 'bot.action.expired' });
    expect((await h.store.getAction(action.id))?.status).toBe('expired');
    await h.close();
  });

  it('pages the on-call after two failed mitigations, once, with what was tried', async () => {
    const h = await harness({ escalation: { onCall: ['dave'], afterFailures: 2 } });
    const incident = await h.declare('SEV3');
    // gpu-node-5's GPU 4 is off the bus: restarting its job fails.
    const workload = (await h.nodes.findWorkload('qwen2-72b-finetune-0')).workload.id;
    for (let i = 0; i < 3; i++) {
      const a = await h.actions.request(incident, 'restart', workload, alice);
      expect((await h.actions.approve(a.id, bob)).status).toBe('failed');
    }
    const escalations = (await h.store.listTimeline(incident.id)).filter((e) => e.kind === 'escalation');
    expect(escalations).toHaveLength(1);
    const posts = (await h.messages(incident.channelId!)).map((m) => m.message.sections?.join('\n') ?? '');
    const page = posts.find((p) => p.startsWith('📟 Escalating INC-1'))!;
    expect(page).toContain('@dave');
    expect(page).toContain(`restart of ${workload}`);
    await h.close();
  });

  it('says "did you mean" for a mistyped node', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    expect(await refusal(h.actions.request(incident, 'drain', 'gpu-nod-5', alice))).toMatchObject({
      code: 'bot.node.unknown',
      message: 'No node named gpu-nod-5. Did you mean gpu-node-5?',
    });
    await h.close();
  });
});

describe('a mitigation whose adapter has a bug', () => {
  it('records the failure in the words of the one error handler, never the bug’s own', async () => {
    const h = await harness({
      // The simulated fleet, with a cordon that trips over its own code.
      adapters: simulatedWith(() => ({
        cordon: async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'nodeName')");
        },
      })),
    });
    const incident = await h.declare('SEV3');
    const action = await h.actions.request(incident, 'cordon', 'gpu-node-2', alice);
    expect((await h.actions.approve(action.id, bob)).status).toBe('failed');
    const result = (await h.store.listTimeline(incident.id)).find((e) => e.kind === 'action_result')!;
    expect(result.text).toBe(
      "cordon of gpu-node-2 failed: Something went wrong on the bot's side; the log has the details.",
    );
    const posts = (await h.messages(incident.channelId!)).map((m) => m.message.text).join('\n');
    expect(posts).toContain("❌ cordon of gpu-node-2: Something went wrong on the bot's side");
    expect(posts).not.toContain('nodeName');
    await h.close();
  });
});
