import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BotError } from '../../src/core/index.ts';
import { bundlePartLimit, MAX_BUNDLE_PART_BYTES } from '../../src/incidents/bundles.ts';
import { collectButtonId } from '../../src/incidents/buttons.ts';
import type { NodeAdapter } from '../../src/nodes/port.ts';
import { alice, bob, harness, simulatedWith } from './harness.ts';

/**
 * The diagnostic bundle through the whole bot: `/node collect` and the buttons that offer it, the
 * simulated fleet's fixed set, the archive attached to the sandbox channel through the outbox,
 * the rate limit per node kept in the store.
 */

type H = Awaited<ReturnType<typeof harness>>;

/** The files the bot attached to a channel, as their bytes. */
async function files(h: H, channelId: string) {
  const all = await h.workspace.listMessages(channelId, 'nobody');
  return all.flatMap((m) =>
    m.file
      ? [
          {
            ...m.file,
            bytes: Buffer.from(m.file.content, m.file.encoding === 'base64' ? 'base64' : 'utf8'),
          },
        ]
      : [],
  );
}

/** What GNU tar lists in a .tar.gz, and one member's text. */
function untar(bytes: Buffer, member?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-e2e-'));
  try {
    writeFileSync(join(dir, 'b.tar.gz'), bytes);
    return member
      ? execFileSync('tar', ['-xzOf', join(dir, 'b.tar.gz'), member], { encoding: 'utf8' })
      : execFileSync('tar', ['-tzf', join(dir, 'b.tar.gz')], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const texts = async (h: H, channelId: string) => (await h.messages(channelId)).map((m) => m.message.text);

describe('/node collect', () => {
  it('attaches the redacted bundle to the channel once, says what it holds, and keeps to one per node per 15 minutes', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'Xid 79 on gpu-node-5');
    const channel = incident.channelId!;
    const reply = await h.command('node', 'collect GPU-NODE-5', channel);
    expect(reply.visibility).toBe('ephemeral');
    expect(reply.message.text).toBe(
      'Collecting the diagnostic bundle of gpu-node-5; it will be attached to the channel.',
    );
    await h.app.bundles.idle();

    const posted = await texts(h, channel);
    expect(
      posted.some((t) => t.startsWith('📦 Collecting the diagnostic bundle of gpu-node-5, asked by Alice')),
    ).toBe(true);
    const summary = posted.find((t) => t.startsWith('📦 Diagnostic bundle of gpu-node-5:'));
    expect(summary).toMatch(
      /^📦 Diagnostic bundle of gpu-node-5: nvidia-smi-q\.txt, dmesg\.txt, journalctl-k\.txt, lspci-vv\.txt, [\d.]+ KiB collected in [\d.]+ m?s, [\d.]+ KiB compressed\./,
    );
    // GPU 4 is gone: nvidia-smi -q exits non-zero, and the channel says its error is in the archive.
    expect(summary).toContain('⚠️ Some commands failed on the node: nvidia-smi-q.txt (exit 15)');

    const [file, ...more] = await files(h, channel);
    expect(more).toEqual([]);
    expect(file).toMatchObject({
      filename: 'diagnostics-gpu-node-5-20261122T0300Z.tar.gz',
      encoding: 'base64',
    });
    const dir = 'diagnostics-gpu-node-5-20261122T0300Z';
    expect(untar(file!.bytes).trim().split('\n')).toEqual([
      `${dir}/README.txt`,
      `${dir}/nvidia-smi-q.txt`,
      `${dir}/nvidia-smi-q.stderr.txt`,
      `${dir}/dmesg.txt`,
      `${dir}/journalctl-k.txt`,
      `${dir}/lspci-vv.txt`,
    ]);
    const readme = untar(file!.bytes, `${dir}/README.txt`);
    expect(readme).toContain(`Incident: INC-${incident.number} Xid 79 on gpu-node-5`);
    expect(readme).toContain('Asked by: Alice');
    expect(untar(file!.bytes, `${dir}/dmesg.txt`)).toContain('NVRM: Xid (PCI:0000:9a:00): 79');

    const timeline = await h.store.listTimeline(incident.id);
    expect(timeline.map((e) => e.text)).toEqual(
      expect.arrayContaining([
        'Diagnostic bundle of gpu-node-5 asked for',
        'Diagnostic bundle of gpu-node-5 attached (1 file)',
      ]),
    );

    // Again at once, by someone else: refused, saying when and by whom, and nothing runs.
    const again = await h.command('node', 'collect gpu-node-5', channel, bob).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(BotError);
    expect((again as BotError).code).toBe('bot.bundle.rate_limited');
    expect((again as BotError).message).toBe(
      `A diagnostic bundle of gpu-node-5 was collected at 03:00 UTC (asked by Alice for INC-${incident.number}); the bot collects one per node every 15 minutes.`,
    );
    expect((again as BotError).hint).toBe(
      "It is attached to that incident's channel. The next one can be collected from 03:15 UTC.",
    );
    // Another node is free; after 15 minutes this one is too.
    await h.command('node', 'collect gpu-node-6', channel, bob);
    h.clock.advance(15 * 60_000);
    await h.command('node', 'collect gpu-node-5', channel, bob);
    await h.app.bundles.idle();
    expect(await files(h, channel)).toHaveLength(3);
    await h.close();
  });

  it('runs only in an incident, on a node that can collect, and never for a closed incident', async () => {
    const noCollect = simulatedWith((real) => ({
      capabilities: new Set([...real.capabilities].filter((c) => c !== 'collect')),
    }));
    const plain = await harness();
    await expect(plain.command('node', 'collect gpu-node-5', 'C-general')).rejects.toMatchObject({
      code: 'bot.incident.no_channel_incident',
      message: '/node collect needs an incident.',
    });
    const done = await plain.declare('SEV3', 'Over');
    await plain.incidents.changeStatus(done, 'resolved', alice);
    await plain.incidents.changeStatus((await plain.incidents.get(done.id))!, 'closed', alice);
    await expect(
      plain.command('node', `collect gpu-node-5 --incident ${done.number}`, 'C-general'),
    ).rejects.toMatchObject({ code: 'bot.bundle.closed' });
    await plain.close();

    const h = await harness({ adapters: noCollect });
    const incident = await h.declare('SEV3', 'Slow node');
    await expect(h.command('node', 'collect gpu-node-5', incident.channelId!)).rejects.toMatchObject({
      code: 'bot.node.unsupported',
      message: 'Node gpu-node-5 is managed by adapter simulated, which cannot collect a diagnostic bundle.',
    });
    await expect(h.command('node', 'collect gpu-node-99', incident.channelId!)).rejects.toMatchObject({
      code: 'bot.node.unknown',
    });
    await h.close();
  });

  it('says in the channel when the node could not be reached, and frees the node at once', async () => {
    let fail = true;
    const flaky = simulatedWith((real: NodeAdapter) => ({
      collectBundle: async (node, since, opts) => {
        if (fail) throw new BotError('bot.node.unreachable', `Cannot reach ${node}: connection refused.`);
        return real.collectBundle!(node, since, opts);
      },
    }));
    const h = await harness({ adapters: flaky });
    const incident = await h.declare('SEV2', 'Node down');
    await h.command('node', 'collect gpu-node-5', incident.channelId!);
    await h.app.bundles.idle();
    expect(await texts(h, incident.channelId!)).toContain(
      '⚠️ Could not collect the diagnostic bundle of gpu-node-5: Cannot reach gpu-node-5: connection refused. Run `/node collect gpu-node-5` to try again.',
    );
    expect(await files(h, incident.channelId!)).toEqual([]);
    fail = false;
    await h.command('node', 'collect gpu-node-5', incident.channelId!);
    await h.app.bundles.idle();
    expect(await files(h, incident.channelId!)).toHaveLength(1);
    await h.close();
  });

  it('a collection cut off by a crash is said once: at start under a stable name, else after its time limit', async () => {
    const h = await harness({ outbox: { owner: 'local', ownerIsStable: true } });
    const incident = await h.declare('SEV2', 'Xid 79 on gpu-node-5');
    const now = h.clock.now();
    const claim = (node: string, owner: string) =>
      h.store.claimBundleSlot({
        node,
        claimId: `${owner}-${node}`,
        incidentId: incident.id,
        requestedBy: 'Alice',
        owner,
        at: now,
        doneBefore: now,
        staleBefore: now,
      });
    // What a process that died left: this one's own previous life, and another replica's.
    await claim('gpu-node-5', 'local');
    await claim('gpu-node-6', 'replica-b');
    await expect(h.command('node', 'collect gpu-node-6', incident.channelId!)).rejects.toMatchObject({
      code: 'bot.bundle.busy',
    });
    expect(await h.app.bundles.reconcile()).toBe(1);
    expect(await h.app.bundles.reconcile()).toBe(0);
    // Another replica's may still be running: only past its 10 minutes (and a grace of 2).
    h.clock.advance(11 * 60_000);
    expect(await h.app.bundles.reconcile()).toBe(0);
    h.clock.advance(60_000);
    expect(await h.app.bundles.reconcile()).toBe(1);
    await h.app.uow.idle();
    const said = (await texts(h, incident.channelId!)).filter((t) => t.includes('was cut off'));
    expect(said).toEqual([
      '⚠️ The diagnostic bundle of gpu-node-5 (asked by Alice at 03:00 UTC) was cut off: the bot stopped while collecting it. Run `/node collect gpu-node-5` to collect it again.',
      '⚠️ The diagnostic bundle of gpu-node-6 (asked by Alice at 03:00 UTC) was cut off: the bot stopped while collecting it. Run `/node collect gpu-node-6` to collect it again.',
    ]);
    await h.command('node', 'collect gpu-node-5', incident.channelId!);
    await h.app.bundles.idle();
    expect(await files(h, incident.channelId!)).toHaveLength(1);
    await h.close();
  });

  it('a bot stopped in the middle says so in the channel before it goes', async () => {
    const hang = simulatedWith(() => ({
      collectBundle: (_node, _since, opts) =>
        new Promise((_, reject) =>
          opts?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    }));
    const h = await harness({ adapters: hang });
    const incident = await h.declare('SEV2', 'Xid 79 on gpu-node-5');
    await h.command('node', 'collect gpu-node-5', incident.channelId!);
    await h.app.bundles.stop();
    await h.app.uow.idle();
    expect(await texts(h, incident.channelId!)).toContain(
      '⚠️ Could not collect the diagnostic bundle of gpu-node-5: the bot was stopped while collecting it. Run `/node collect gpu-node-5` to try again.',
    );
    await h.close();
  });
});

describe('the bundle offered where a person would want it', () => {
  it('a triage report of a GPU gone from the bus offers the button, and its click attaches the bundle', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'Xid 79 on gpu-node-5');
    await h.triageIn(incident, ['gpu-node-5', 'gpu-node-1']);
    const posted = await h.messages(incident.channelId!);
    const report = posted.find((m) => m.message.header?.startsWith('🔴 gpu-node-5'));
    const id = collectButtonId('gpu-node-5', incident.id)!;
    expect(report?.message.buttons).toEqual([{ id, label: '📦 Collect diagnostics of gpu-node-5' }]);
    // A healthy node's report offers nothing.
    expect(
      posted.find((m) => m.message.header?.startsWith('🟢 gpu-node-1'))?.message.buttons,
    ).toBeUndefined();
    const reply = await h.click(incident.channelId!, report!.id, id, bob);
    expect(reply?.message.text).toBe(
      'Collecting the diagnostic bundle of gpu-node-5; it will be attached to the channel.',
    );
    await h.app.bundles.idle();
    expect(await files(h, incident.channelId!)).toHaveLength(1);
    // A click on the same button again is the rate limit, said to the clicker.
    const twice = await h.click(incident.channelId!, report!.id, id, alice);
    expect(twice?.message.text).toContain('A diagnostic bundle of gpu-node-5 was collected at 03:00 UTC');
    await h.close();
  });

  it('an escalation after failed mitigations offers the bundle of the node they failed on', async () => {
    const failing = simulatedWith(() => ({
      cordon: async () => ({ ok: false, summary: 'scontrol: error: Invalid node name', output: '' }),
    }));
    const h = await harness({ adapters: failing, escalation: { onCall: ['bob'], afterFailures: 2 } });
    const incident = await h.declare('SEV3', 'gpu-node-7 misbehaving');
    for (let i = 0; i < 2; i++) {
      const action = await h.actions.request(incident, 'cordon', 'gpu-node-7', alice);
      await h.actions.approve(action.id, bob);
    }
    const escalation = (await h.messages(incident.channelId!)).find((m) =>
      m.message.text.startsWith('📟 Escalating'),
    );
    expect(escalation?.message.buttons).toEqual([
      { id: collectButtonId('gpu-node-7', incident.id), label: '📦 Collect diagnostics of gpu-node-7' },
    ]);
    expect(escalation?.message.sections).toContain(
      "For the hardware team or NVIDIA: `/node collect gpu-node-7` attaches the node's diagnostic bundle (nvidia-bug-report.sh), redacted.",
    );
    await h.close();
  });
});

describe('the size of a bundle part', () => {
  it("is the platform's limit, and never more than the bot keeps in one outbox entry", () => {
    expect(bundlePartLimit({ id: 'discord', maxUploadBytes: 10 * 1024 * 1024 })).toEqual({
      bytes: 10 * 1024 * 1024,
      whose: 'Discord',
    });
    expect(bundlePartLimit({ id: 'slack', maxUploadBytes: 1_000_000_000 })).toEqual({
      bytes: MAX_BUNDLE_PART_BYTES,
      whose: 'the bot',
    });
    expect(bundlePartLimit({ id: 'sandbox', maxUploadBytes: MAX_BUNDLE_PART_BYTES })).toEqual({
      bytes: MAX_BUNDLE_PART_BYTES,
      whose: 'the sandbox',
    });
  });
});
