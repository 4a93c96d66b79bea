import { describe, expect, it } from 'vitest';
import { isBotError } from '../../src/core/index.ts';
import { alice, harness } from './harness.ts';

describe('triage', () => {
  it('reports each node as it finishes, updates one progress message, and requests what the findings call for', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'Training jobs failing on rack r2');
    const channelId = incident.channelId!;
    const results = await h.triage.run({
      chat: h.chat,
      channelId,
      incident,
      nodes: ['gpu-node-5', 'gpu-node-7', 'gpu-node-3', 'gpu-node-1'],
      actor: alice,
    });
    expect(results.map((r) => r.node).sort()).toEqual([
      'gpu-node-1',
      'gpu-node-3',
      'gpu-node-5',
      'gpu-node-7',
    ]);

    const posts = await h.messages(channelId);
    const progress = posts.find((m) => m.message.text.startsWith('🔎 Triage of 4 nodes'))!;
    expect(progress.message.text).toBe('🔎 Triage of 4 nodes: 4/4 done ✅');
    const report = (node: string) =>
      posts.find((m) => new RegExp(`^(🔴|🟠|🟢|⚫) ${node}:`, 'u').test(m.message.header ?? ''))!.message;

    const n5 = report('gpu-node-5');
    expect(n5.header).toMatch(/^🔴 gpu-node-5: \d+ critical$/);
    expect(n5.sections!.join('\n')).toMatch(/Xid 79 on PCI .*fallen off the bus/i);
    expect(n5.sections!.join('\n')).toContain('*Requested:* drain of gpu-node-5');

    const n7 = report('gpu-node-7');
    expect(n7.sections!.join('\n')).toMatch(/OOM kill/);
    const n3 = report('gpu-node-3');
    expect(n3.sections!.join('\n')).toMatch(/crash-looping \(\d+ restarts, last exit \d+/);
    expect(n3.sections!.join('\n')).toMatch(/\*Requested:\* restart of gpu-node-3\//);
    expect(report('gpu-node-1').header).toBe('🟢 gpu-node-1: healthy');

    const actions = await h.store.listActions(incident.id);
    expect(actions.map((a) => [a.kind, a.target.split('/')[0], a.status]).sort()).toEqual([
      ['drain', 'gpu-node-5', 'requested'],
      ['restart', 'gpu-node-3', 'requested'],
    ]);
    const timeline = await h.store.listTimeline(incident.id);
    const entry = timeline.find((e) => e.kind === 'command')!;
    expect(entry.text).toMatch(/^Triage of 4 node\(s\) in INC-1: /);
    expect(entry.key).toBe(true);

    // A second triage does not request the same mitigations again.
    await h.triage.run({ chat: h.chat, channelId, incident, nodes: ['gpu-node-5'], actor: alice });
    expect(await h.store.listActions(incident.id)).toHaveLength(2);
    await h.close();
  });

  it('refuses an unknown node before anything runs', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const err = await h.triage
      .run({
        chat: h.chat,
        channelId: incident.channelId!,
        incident,
        nodes: ['gpu-node-1', 'gpu-node-55'],
        actor: alice,
      })
      .catch((e) => e);
    expect(isBotError(err) && err.message).toBe('No node named gpu-node-55. Did you mean gpu-node-5?');
    expect((await h.messages(incident.channelId!)).some((m) => m.message.text.startsWith('🔎'))).toBe(false);
    await h.close();
  });
});
