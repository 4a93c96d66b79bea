import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/chat/message.ts';
import { alice, bob, dave, harness, simulatedWith } from '../incidents/harness.ts';

/** `/node history` through the dispatcher a chat event goes through, over the harness's store. */

const all = (r: Reply) => [r.message.header ?? '', ...(r.message.sections ?? [])].join('\n');

describe('/node history', () => {
  it("tells a node's incidents, its GPUs' Xids by serial and the mitigations on it, only to the caller", async () => {
    const h = await harness();
    const empty = await h.command('node', 'history gpu-node-5', 'C-anywhere');
    expect(empty.message.text).toBe(
      '📜 gpu-node-5: the last 30 days: nothing remembered (no Xids or GPU findings seen by triage, no mitigations).',
    );

    expect(empty.message.sections).toEqual([
      'Nothing remembered: no Xids or GPU findings seen by triage, no mitigations.',
    ]);
    // A name the fleet does not know either is told so.
    expect((await h.command('node', 'history gpu-node-55', 'C1')).message.sections?.[0]).toBe(
      'Nothing remembered: no Xids or GPU findings seen by triage, no mitigations. gpu-node-55 is not in the node inventory either; /node list shows the fleet.',
    );
    const incident = await h.declare('SEV2', 'Xid 79 on gpu-node-5');
    await h.triageIn(incident, ['gpu-node-5']);
    const [drain] = await h.store.listActions(incident.id);
    await h.actions.approve(drain!.id, bob);

    // Any spelling of the node; its own name in the answer.
    const reply = await h.command('node', 'history GPU-NODE-5 --days 7', 'C-anywhere');
    expect(reply.visibility).toBe('ephemeral');
    const text = all(reply);
    expect(reply.message.header).toBe('📜 gpu-node-5: the last 7 days');
    expect(text).toContain(
      `*Incidents:*\n${`INC-${incident.number}`} · SEV2 · declared · Xid 79 on gpu-node-5`,
    );
    expect(text).toMatch(
      /\*GPU Xids and findings seen by triage:\*\nGPU serial \d{13}: Xid 79 ×1 \(last [\d-]+ [\d:]+ UTC\), Xid 154 ×1/,
    );
    expect(text).toMatch(
      /\*Mitigations:\*\n[\d-]+ [\d:]+ UTC · drain gpu-node-5 · succeeded · decided by Bob · INC-\d+/,
    );
    await h.close();
  });

  it('names a private incident the caller cannot see by number only', async () => {
    const h = await harness();
    const secret = await h.incidents.declare(h.chat, {
      title: 'Customer data on gpu-node-5',
      description: '',
      severity: 'SEV2',
      private: true,
      actor: alice,
    });
    await h.actions.request(secret, 'cordon', 'gpu-node-5', alice);
    const reply = await h.command('node', 'history gpu-node-5', 'C-anywhere', dave);
    // Alice, who declared it, sees its title.
    expect(all(await h.command('node', 'history gpu-node-5', 'C-anywhere', alice))).toContain(
      'Customer data',
    );
    expect(all(reply)).toContain(`INC-${secret.number} · private`);
    expect(all(reply)).not.toContain('Customer data');
    await h.close();
  });

  it('/node status says when the node is past the RMA threshold of mitigations, and triage asks for a drain', async () => {
    const h = await harness({
      hardware: {
        memoryDays: 7,
        rma: { fatalXidCount: 5, fatalXidHours: 24, nodeRemediations: 2, nodeRemediationDays: 7 },
      },
    });
    const incident = await h.declare('SEV3', 'gpu-node-1 keeps needing help');
    // A GPU gone from the bus shows against the inventory's count.
    expect((await h.command('node', 'status gpu-node-13', 'C1')).message.sections?.[0]).toBe(
      '⚠️ nvidia-smi lists 7 of the 8 GPUs the inventory gives gpu-node-13.',
    );
    const before = await h.command('node', 'status gpu-node-1', 'C1');
    expect(before.message.header).toBe('gpu-node-1: ready');
    for (const kind of ['cordon', 'uncordon'] as const) {
      const a = await h.actions.request(incident, kind, 'gpu-node-1', alice);
      await h.actions.approve(a.id, bob);
    }
    const after = await h.command('node', 'status gpu-node-1', 'C1');
    expect(after.message.header).toBe('gpu-node-1: ready · needs RMA');
    expect(after.message.sections?.[0]).toBe(
      '⚠️ gpu-node-1 needs an RMA: 2 mitigations in 7 days (the threshold is 2). See /node history gpu-node-1.',
    );
    // Triage says it too, first, and asks for the drain; another node is not touched by it.
    const results = await h.triageIn(incident, ['gpu-node-1', 'gpu-node-2']);
    const n1 = results.find((r) => r.node === 'gpu-node-1')!;
    expect(n1.report!.findings[0]).toMatchObject({
      level: 'critical',
      text: 'gpu-node-1 needs an RMA: 2 mitigations in 7 days (the threshold is 2). Do not reset it again: drain the node and open an RMA with its history (/node history).',
    });
    expect(n1.requested).toEqual(['drain of gpu-node-1']);
    expect(results.find((r) => r.node === 'gpu-node-2')!.report!.findings).toEqual([]);
    await h.close();
  });

  it('refuses a number of days it cannot use, saying what it takes', async () => {
    const h = await harness();
    await expect(h.command('node', 'history gpu-node-5 --days 400', 'C1')).rejects.toThrow(
      /whole number of days from 1 to 90/,
    );
    await h.close();
  });
});

describe('GPU findings in the memory of bad hardware', () => {
  it('a row remap pending seen on two days is said in the report and in /node history, once a day', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3', 'Row remap on gpu-node-9');
    const [first] = await h.triageIn(incident, ['gpu-node-9']);
    // The first sighting: nothing to recall yet.
    expect(first!.history ?? []).toEqual([]);
    // Read again the same day: still one day.
    const [again] = await h.triageIn(incident, ['gpu-node-9']);
    expect(again!.history ?? []).toEqual([]);
    h.clock.advance(26 * 3600_000);
    const [later] = await h.triageIn(incident, ['gpu-node-9']);
    expect(later!.history).toEqual([
      expect.stringMatching(
        /^GPU 2 \(PCI 0000:3a:00, serial \d+\) has had a row remap pending on 2 of the last 7 days \(first seen 2026-11-22 03:00 UTC\)\.$/,
      ),
    ]);
    const text = all(await h.command('node', 'history gpu-node-9', 'C-anywhere'));
    expect(text).toMatch(
      /GPU serial \d+: Xid 63 ×1 \(last [^)]+\), Xid 94 ×1 \(last [^)]+\), a row remap pending on 2 days \(last 2026-11-23 05:00 UTC\)/,
    );
    await h.close();
  });
});

describe('a repeat offender in the simulated fleet', () => {
  it("gpu-node-10's GPU 6 had double-bit errors before its rows ran out: the report and /node history say so", async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'Row remapping failure on gpu-node-10');
    const [t] = await h.triageIn(incident, ['gpu-node-10']);
    expect(t!.history).toEqual([
      expect.stringMatching(/^GPU 6 \(PCI 0000:ba:00, serial \d+\) has had Xid 48 3 times in 7 days /),
    ]);
    const text = all(await h.command('node', 'history gpu-node-10', 'C-anywhere'));
    expect(text).toMatch(
      /GPU serial \d+: Xid 48 ×3 \(last [^)]+\), Xid 64 ×1 \(last [^)]+\), a row remapping failure on 1 day/,
    );
    await h.close();
  });
});

describe('a GPU gone since triage last looked', () => {
  it('is gpu_missing against what triage saw in the last days, where the inventory says nothing', async () => {
    let lost = false;
    const h = await harness({
      adapters: simulatedWith((real) => ({
        // An inventory without `gpus:`; once `lost`, nvidia-smi lists one GPU fewer.
        expectedGpus: () => undefined,
        diagnose: async (node, id, opts) => {
          const out = await real.diagnose(node, id, opts);
          if (!lost || id !== 'gpu') return out;
          return { ...out, stdout: out.stdout.split('\n').slice(1).join('\n') };
        },
      })),
    });
    const incident = await h.declare('SEV3', 'Slow steps on gpu-node-1');
    const missing = (t: Awaited<ReturnType<typeof h.triageIn>>[number]) =>
      t.report!.findings.filter((f) => f.kind === 'gpu_missing');
    expect(missing((await h.triageIn(incident, ['gpu-node-1']))[0]!)).toEqual([]);
    h.clock.advance(26 * 3600_000);
    lost = true;
    const [t] = await h.triageIn(incident, ['gpu-node-1']);
    expect(missing(t!)).toEqual([
      expect.objectContaining({
        level: 'critical',
        text: 'nvidia-smi lists 7 where triage saw 8 on gpu-node-1 on 2026-11-22: one has vanished from the bus (check `lspci -d 10de:` and dmesg); move work off the node.',
        recommendation: { kind: 'drain', node: 'gpu-node-1', why: '1 GPU missing' },
      }),
    ]);
    // A week on, seven is what the node has: the memory forgets the eighth.
    h.clock.advance(8 * 24 * 3600_000);
    expect(missing((await h.triageIn(incident, ['gpu-node-1']))[0]!)).toEqual([]);
    await h.close();
  });
});

describe('the memory across a restart', () => {
  it('a bot started again on the same SQLite file remembers the GPU and does not count the same lines twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memory-restart-'));
    try {
      const database = join(dir, 'bot.db');
      const first = await harness({ database });
      const incident = await first.declare('SEV2', 'Row remapping failure on gpu-node-10');
      await first.triageIn(incident, ['gpu-node-10']);
      await first.close();

      const second = await harness({ database });
      const text = all(await second.command('node', 'history gpu-node-10', 'C-anywhere'));
      expect(text).toMatch(/GPU serial \d+: Xid 48 ×3 \(last [^)]+\), Xid 64 ×1/);
      // The same dmesg read again after the restart: still three events.
      const again = await second.declare('SEV2', 'gpu-node-10 again');
      const [t] = await second.triageIn(again, ['gpu-node-10']);
      expect(t!.history).toEqual([expect.stringMatching(/has had Xid 48 3 times in 7 days/)]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
