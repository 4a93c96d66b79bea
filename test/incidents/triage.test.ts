import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BotError, isBotError } from '../../src/core/index.ts';
import { TriageService } from '../../src/incidents/triage.ts';
import type { NodeAdapter } from '../../src/nodes/port.ts';
import { NodeRegistry } from '../../src/nodes/registry.ts';
import { createSimulatedAdapter } from '../../src/nodes/simulated/index.ts';
import { alice, harness, shippedRunbooks, simulatedWith } from './harness.ts';

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
    expect(n5.sections!.join('\n')).toMatch(
      /Xid 79 on GPU 4 \(PCI 0000:9a:00, serial \d{13}, python3\): GPU has fallen off the bus/,
    );
    expect(n5.sections!.join('\n')).toMatch(/Xid 154 on GPU 4 .*the driver now asks for a node reboot/);
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
    expect(entry.text).toMatch(/^Triage of 4 nodes in INC-1: /);
    expect(entry.key).toBe(true);

    // A second triage does not request the same mitigations again.
    await h.triage.run({ chat: h.chat, channelId, incident, nodes: ['gpu-node-5'], actor: alice });
    expect(await h.store.listActions(incident.id)).toHaveLength(2);
    await h.close();
  });

  it("reads NVIDIA's deeper signals on the research nodes: each fault its finding and its mitigation", async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'GPU health sweep of rack r3');
    const nodes = ['gpu-node-9', 'gpu-node-10', 'gpu-node-11', 'gpu-node-12', 'gpu-node-13'];
    const results = await h.triageIn(incident, nodes);
    const findings = (node: string) => results.find((r) => r.node === node)!.report!.findings;
    const kinds = (node: string) => findings(node).flatMap((f) => (f.kind ? [f.kind] : []));
    const text = (node: string) =>
      findings(node)
        .map((f) => f.text)
        .join('\n');

    expect(kinds('gpu-node-9')).toEqual(['row_remap_pending']);
    expect(text('gpu-node-9')).toMatch(
      /GPU 2 \(PCI 0000:3a:00, serial \d{13}\) has a row remap pending .*nvidia-smi -r -i 2/,
    );
    expect(text('gpu-node-9')).toMatch(/Xid 63 on GPU 2 /);
    expect(kinds('gpu-node-10')).toEqual(['row_remap_failure']);
    expect(text('gpu-node-10')).toMatch(/GPU 6 .*no spare rows left.*RMA/);
    expect(kinds('gpu-node-11')).toEqual(['thermal_throttle']);
    // One finding for the hot GPU, not a "check cooling" beside it.
    expect(findings('gpu-node-11')).toHaveLength(1);
    expect(text('gpu-node-11')).toMatch(/GPU 1 at 92°C is in hardware thermal slowdown/);
    expect(kinds('gpu-node-12')).toEqual(['nvlink_down']);
    expect(text('gpu-node-12')).toMatch(/GPU 3: NVLink links 4, 5 inactive \(16 of 18 up/);
    expect(text('gpu-node-12')).toMatch(
      /Xid 74 on GPU 3 \(PCI 0000:5d:00, serial \d{13}, python3\), 2 times: NVLink error/,
    );
    expect(kinds('gpu-node-13')).toEqual(['gpu_missing']);
    expect(text('gpu-node-13')).toMatch(/nvidia-smi lists 7 of the 8 GPUs the inventory gives gpu-node-13/);
    for (const node of nodes) expect(results.find((r) => r.node === node)!.report!.skipped, node).toEqual([]);

    // Each becomes its mitigation: a cordon where the GPU can finish its job, a drain where it cannot.
    const actions = await h.store.listActions(incident.id);
    expect(actions.map((a) => [a.kind, a.target]).sort()).toEqual([
      ['cordon', 'gpu-node-11'],
      ['cordon', 'gpu-node-9'],
      ['drain', 'gpu-node-10'],
      ['drain', 'gpu-node-12'],
      ['drain', 'gpu-node-13'],
    ]);
    await h.close();
  });

  it('remembers bad hardware: the same Xid line read again is one event; a new one on the same GPU is told', async () => {
    // gpu-node-5's dmesg, with one more Xid 79 on the same GPU once `again` is set (after a reset).
    let again = false;
    const h = await harness({
      adapters: simulatedWith((real) => ({
        diagnose: async (node, id, opts) => {
          const out = await real.diagnose(node, id, opts);
          if (!again || id !== 'xid') return out;
          const extra =
            '[5461002.500001] NVRM: Xid (PCI:0000:9a:00): 79, pid=51200, name=python3, GPU has fallen off the bus.\n';
          return { ...out, stdout: `${out.stdout}${extra}` };
        },
      })),
    });
    const first = await h.declare('SEV2', 'Xid 79 on gpu-node-5');
    const triage = async (incident: typeof first) => (await h.triageIn(incident, ['gpu-node-5']))[0]!;
    expect((await triage(first)).history).toBeUndefined();
    // Read again, in the same or another incident: the same events, nothing to tell.
    expect((await triage(first)).history).toBeUndefined();

    h.clock.advance(3 * 24 * 3600_000);
    again = true;
    const second = await h.declare('SEV2', 'Xid 79 on gpu-node-5 again');
    const t = await triage(second);
    expect(t.history).toEqual([
      expect.stringMatching(
        /^GPU 4 \(PCI 0000:9a:00, serial \d{13}\) has had Xid 79 2 times in 7 days \(first seen \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\.$/,
      ),
    ]);
    const posted = (await h.messages(second.channelId!)).find((m) =>
      m.message.header?.startsWith('🔴 gpu-node-5'),
    );
    expect(posted?.message.sections?.join('\n')).toContain('🔁 GPU 4 (PCI 0000:9a:00, serial');

    // A week on, the first one has left the window.
    h.clock.advance(5 * 24 * 3600_000);
    expect((await triage(second)).history).toBeUndefined();
    await h.close();
  });

  it('a GPU past the RMA threshold of fatal Xids is told to be replaced, not reset again, and drained', async () => {
    // gpu-node-5's GPU 4 logs Xid 79 twice more than the seed has: three fatal Xids.
    const h = await harness({
      adapters: simulatedWith((real) => ({
        diagnose: async (node, id, opts) => {
          const out = await real.diagnose(node, id, opts);
          if (id !== 'xid') return out;
          const more = [1, 2].map(
            (n) =>
              `[546100${n}.500001] NVRM: Xid (PCI:0000:9a:00): 79, pid=5120${n}, name=python3, GPU has fallen off the bus.\n`,
          );
          return { ...out, stdout: `${out.stdout}${more.join('')}` };
        },
      })),
    });
    const incident = await h.declare('SEV2', 'Xid 79 on gpu-node-5, again');
    const triageWith = (fatalXidCount: number) =>
      new TriageService(h.store, h.clock, pino({ level: 'silent' }), h.nodes, h.actions, {
        memoryDays: 7,
        rma: { fatalXidCount, fatalXidHours: 24, nodeRemediations: 5, nodeRemediationDays: 7 },
      }).run({ chat: h.chat, channelId: incident.channelId!, incident, nodes: ['gpu-node-5'], actor: alice });

    const [under] = await triageWith(4);
    expect(under!.report!.findings.some((f) => f.kind === 'gpu_needs_rma')).toBe(false);
    const [over] = await triageWith(3);
    const rma = over!.report!.findings.find((f) => f.kind === 'gpu_needs_rma');
    expect(rma).toMatchObject({
      level: 'critical',
      recommendation: {
        kind: 'drain',
        node: 'gpu-node-5',
        why: expect.stringMatching(/^GPU 4 .* needs an RMA$/),
      },
    });
    expect(rma!.text).toMatch(
      /^GPU 4 \(PCI 0000:9a:00, serial \d{13}\) needs an RMA: 3 fatal Xids in 24 hours \(the threshold is 3\)\. Do not reset it again/,
    );
    await h.close();
  });

  it('checks NCCL reachability around the ring of triaged nodes: gpu-node-6 reaches no peer', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'NCCL timeouts on rack r2');
    const channelId = incident.channelId!;
    const results = await h.triage.run({
      chat: h.chat,
      channelId,
      incident,
      nodes: ['gpu-node-5', 'gpu-node-6', 'gpu-node-7'],
      actor: alice,
    });
    const byNode = new Map(results.map((r) => [r.node, r.report!]));
    // A ring in the order given: 5 → 6, 6 → 7, 7 → 5.
    expect(byNode.get('gpu-node-5')!.summary).toContain(
      'NCCL 29500 → gpu-node-6 reachable, nothing listening there',
    );
    expect(byNode.get('gpu-node-7')!.summary).toContain('NCCL 29500 → gpu-node-5 reachable');
    const n6 = byNode.get('gpu-node-6')!;
    expect(n6.summary.some((l) => l.includes('→'))).toBe(false);
    expect(n6.findings).toEqual([
      {
        level: 'critical',
        kind: 'nccl_unreachable',
        text: 'gpu-node-6 cannot reach gpu-node-7:29500 (NCCL): check ib/ethernet links and firewalls; multi-node jobs across these nodes will hang (no answer from gpu-node-7 (10.10.2.17) port 29500 within 3 s (dropped: a firewall, or a link down)).',
      },
    ]);
    for (const node of ['gpu-node-5', 'gpu-node-7'])
      expect(byNode.get(node)!.findings.some((f) => f.text.includes('cannot reach'))).toBe(false);

    const posts = await h.messages(channelId);
    const report = (node: string) =>
      posts.find((m) => new RegExp(`^(🔴|🟠|🟢|⚫) ${node}:`, 'u').test(m.message.header ?? ''))!.message;
    expect(report('gpu-node-6').header).toBe('🔴 gpu-node-6: 1 critical');
    expect(report('gpu-node-6').sections!.join('\n')).toContain(
      '🔴 gpu-node-6 cannot reach gpu-node-7:29500 (NCCL)',
    );
    expect(report('gpu-node-5').sections![0]).toContain(
      'NCCL 29500 → gpu-node-6 reachable, nothing listening there',
    );
    expect(report('gpu-node-7').sections![0]).toContain('NCCL 29500 → gpu-node-5 reachable');

    // No mitigation for a partition: only gpu-node-5's Xid asks for one.
    const actions = await h.store.listActions(incident.id);
    expect(actions.map((a) => [a.kind, a.target])).toEqual([['drain', 'gpu-node-5']]);
    const entry = (await h.store.listTimeline(incident.id)).find((e) => e.kind === 'command')!;
    expect(entry.text).toContain('gpu-node-6: gpu-node-6 cannot reach gpu-node-7:29500 (NCCL)');
    expect(entry.key).toBe(true);
    await h.close();
  });

  it('probes no peer for a single node, and shows a probe that could not run as skipped', async () => {
    const h = await harness();
    const channelId = (await h.declare('SEV3')).channelId!;
    const [one] = await h.triage.run({
      chat: h.chat,
      channelId,
      incident: undefined,
      nodes: ['gpu-node-6'],
      actor: alice,
    });
    expect(one!.report!.findings).toEqual([]);
    expect(one!.report!.skipped).toEqual([]);

    const sim = createSimulatedAdapter({ clock: h.clock });
    const flaky: NodeAdapter = Object.assign(Object.create(sim) as NodeAdapter, {
      probePeer: async (node: string) => {
        throw new BotError('bot.node.probe_unavailable', `${node} cannot run the peer probe (exit 127)`);
      },
    });
    const triage = new TriageService(
      h.store,
      h.clock,
      pino({ level: 'silent' }),
      new NodeRegistry([flaky]),
      h.actions,
    );
    const results = await triage.run({
      chat: h.chat,
      channelId,
      incident: undefined,
      nodes: ['gpu-node-1', 'gpu-node-2'],
      actor: alice,
    });
    for (const r of results) {
      expect(r.report!.skipped).toEqual([
        `nccl-peer ${r.node === 'gpu-node-1' ? 'gpu-node-2' : 'gpu-node-1'}`,
      ]);
      expect(r.report!.findings).toEqual([]);
    }
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

describe('triage with a runbook', () => {
  const runbook = (name: string) => shippedRunbooks().find((r) => r.name === name)!;
  const reportOf = async (h: Awaited<ReturnType<typeof harness>>, channelId: string, node: string) =>
    (await h.messages(channelId)).find((m) =>
      new RegExp(`^(🔴|🟠|🟢|⚫) ${node}:`, 'u').test(m.message.header ?? ''),
    )!.message;

  it('runs only its diagnostics and requests what its hints recommend, each with its why', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'GPUXidError on gpu-node-5');
    const channelId = incident.channelId!;
    const gpuXid = runbook('gpu-xid');
    const results = await h.triage.run({
      chat: h.chat,
      channelId,
      incident,
      nodes: ['gpu-node-5', 'gpu-node-3'],
      actor: alice,
      runbook: gpuXid,
    });
    const n5 = results.find((r) => r.node === 'gpu-node-5')!;
    // gpu, xid, containers, container-restarts: no uptime, memory or NCCL, and no peer probe.
    expect(n5.report!.summary.some((l) => /^up |^memory |NCCL/.test(l))).toBe(false);
    expect(n5.report!.summary.some((l) => /GPUs/.test(l))).toBe(true);
    expect(n5.report!.skipped).toEqual([]);
    const xid79Why = gpuXid.hints.find((h) => h.when.xid?.includes(79))!.why;
    expect(n5.recommended).toEqual([
      { action: 'drain', label: 'drain of gpu-node-5', why: xid79Why, outcome: 'requested' },
    ]);
    expect(n5.requested).toEqual(['drain of gpu-node-5']);

    const posted = await reportOf(h, channelId, 'gpu-node-5');
    expect(posted.context).toContain('📘 Runbook: GPU Xid error');
    expect(posted.sections!.join('\n')).toContain(`*Requested:* drain of gpu-node-5 — ${xid79Why}`);

    // gpu-node-3 crash-loops, but gpu-xid has no hint for crash loops: the built-in restart is not
    // requested, though the finding still shows.
    const n3 = results.find((r) => r.node === 'gpu-node-3')!;
    expect(n3.report!.findings.map((f) => f.kind)).toEqual(['crash_loop']);
    expect(n3.recommended).toEqual([]);
    expect((await reportOf(h, channelId, 'gpu-node-3')).sections!.join('\n')).not.toContain('Requested');

    const actions = await h.store.listActions(incident.id);
    expect(actions.map((a) => [a.kind, a.target])).toEqual([['drain', 'gpu-node-5']]);
    const posts = await h.messages(channelId);
    expect(
      posts.some((m) => m.message.text === '🔎 Triage of 2 nodes with runbook gpu-xid: 2/2 done ✅'),
    ).toBe(true);
    const entry = (await h.store.listTimeline(incident.id)).find((e) => e.kind === 'command')!;
    expect(entry.text).toMatch(/^Triage of 2 nodes in INC-1 \(runbook gpu-xid\): /);

    // Run again: the drain is already open, and says so.
    const [again] = await h.triage.run({
      chat: h.chat,
      channelId,
      incident,
      nodes: ['gpu-node-5'],
      actor: alice,
      runbook: gpuXid,
    });
    expect(again!.recommended).toEqual([
      { action: 'drain', label: 'drain of gpu-node-5', why: xid79Why, outcome: 'pending' },
    ]);
    expect(await h.store.listActions(incident.id)).toHaveLength(1);
    await h.close();
  });

  it('restarts the workload a finding names, and shows a victim it cannot find as not requested', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3', 'Node OOM');
    const channelId = incident.channelId!;
    const nodeOom = runbook('node-oom');
    const results = await h.triage.run({
      chat: h.chat,
      channelId,
      incident,
      nodes: ['gpu-node-3', 'gpu-node-7'],
      actor: alice,
      runbook: nodeOom,
    });
    const why = (finding: string) => nodeOom.hints.find((x) => x.when.finding === finding)!.why;
    const n3 = results.find((r) => r.node === 'gpu-node-3')!;
    expect(n3.recommended).toEqual([
      {
        action: 'restart',
        label: 'restart of gpu-node-3/vllm-llama3-8b',
        why: why('crash_loop'),
        outcome: 'requested',
      },
    ]);
    // gpu-node-7: memory at 95% → cordon; the OOM victim is the process python3, which is no
    // workload's name, so that restart is shown and not requested.
    const n7 = results.find((r) => r.node === 'gpu-node-7')!;
    expect(n7.recommended).toEqual([
      {
        action: 'restart',
        label: 'restart of python3',
        why: why('oom'),
        outcome: 'recommended',
        detail: 'no workload named python3 on gpu-node-7: find it with /workload list --node gpu-node-7',
      },
      { action: 'cordon', label: 'cordon of gpu-node-7', why: why('memory_pressure'), outcome: 'requested' },
    ]);
    const text = (await reportOf(h, channelId, 'gpu-node-7')).sections!.join('\n');
    expect(text).toContain(
      `*Recommended:* restart of python3 — ${why('oom')} (not requested: no workload named`,
    );
    expect(text).toContain(`*Requested:* cordon of gpu-node-7 — ${why('memory_pressure')}`);
    const actions = await h.store.listActions(incident.id);
    expect(actions.map((a) => [a.kind, a.target]).sort()).toEqual([
      ['cordon', 'gpu-node-7'],
      ['restart', 'gpu-node-3/vllm-llama3-8b'],
    ]);
    await h.close();
  });

  it('probes NCCL peers only when the runbook runs nccl-port', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'NCCL timeouts');
    const channelId = incident.channelId!;
    const nccl = runbook('nccl-partition');
    const results = await h.triage.run({
      chat: h.chat,
      channelId,
      incident,
      nodes: ['gpu-node-5', 'gpu-node-6'],
      actor: alice,
      runbook: nccl,
    });
    const n6 = results.find((r) => r.node === 'gpu-node-6')!;
    expect(n6.report!.findings.map((f) => f.kind)).toEqual(['nccl_unreachable']);
    expect(n6.recommended).toEqual([
      { action: 'cordon', label: 'cordon of gpu-node-6', why: nccl.hints[0]!.why, outcome: 'requested' },
    ]);

    // gpu-xid does not run nccl-port: no probe, so no partition found.
    const [alone] = await h.triage
      .run({
        chat: h.chat,
        channelId,
        incident,
        nodes: ['gpu-node-6', 'gpu-node-5'],
        actor: alice,
        runbook: runbook('gpu-xid'),
      })
      .then((r) => r.filter((x) => x.node === 'gpu-node-6'));
    expect(alone!.report!.findings).toEqual([]);
    expect(alone!.report!.summary.some((l) => l.includes('→'))).toBe(false);
    await h.close();
  });

  it('shows an escalation as a line and requests nothing for it; outside an incident, requests nothing', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const channelId = incident.channelId!;
    const base = runbook('crash-loop');
    const escalating = {
      ...base,
      hints: [
        { when: { finding: 'crash_loop' as const }, recommend: 'escalate' as const, why: 'Page the owners.' },
      ],
    };
    const [r] = await h.triage.run({
      chat: h.chat,
      channelId,
      incident,
      nodes: ['gpu-node-3'],
      actor: alice,
      runbook: escalating,
    });
    expect(r!.recommended).toEqual([
      { action: 'escalate', label: 'escalate', why: 'Page the owners.', outcome: 'escalate' },
    ]);
    expect((await reportOf(h, channelId, 'gpu-node-3')).sections!.join('\n')).toContain(
      '📣 Escalate: Page the owners.',
    );
    expect(await h.store.listActions(incident.id)).toEqual([]);

    const other = (await h.declare('SEV3', 'elsewhere')).channelId!;
    const [outside] = await h.triage.run({
      chat: h.chat,
      channelId: other,
      incident: undefined,
      nodes: ['gpu-node-3'],
      actor: alice,
      runbook: base,
    });
    expect(outside!.recommended!.map((x) => [x.outcome, x.detail])).toEqual([
      ['recommended', 'no incident to request it in'],
    ]);
    expect((await reportOf(h, other, 'gpu-node-3')).sections!.join('\n')).toContain(
      'Run the runbook in an incident channel to get its recommendations as requests.',
    );
    await h.close();
  });

  it('refuses a runbook without diagnostics before anything runs', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const err = await h.triage
      .run({
        chat: h.chat,
        channelId: incident.channelId!,
        incident,
        nodes: ['gpu-node-1'],
        actor: alice,
        runbook: runbook('no-nodes-online'),
      })
      .catch((e) => e);
    expect(isBotError(err) && err.code).toBe('bot.runbook.no_diagnostics');
    expect((await h.messages(incident.channelId!)).some((m) => m.message.text.startsWith('🔎'))).toBe(false);
    await h.close();
  });
});
