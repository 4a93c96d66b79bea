import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/chat/message.ts';
import { BotError } from '../../src/core/index.ts';
import { alice, harness, shippedRunbooks } from '../incidents/harness.ts';

/** The commands run in process, through the dispatcher a chat event goes through (runCommand). */

const all = (r: Reply) =>
  [r.message.header ?? '', ...(r.message.sections ?? []), ...(r.message.context ?? [])].join('\n');

async function botError(p: Promise<unknown>): Promise<BotError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BotError);
  return err as BotError;
}

describe('/runbook list', () => {
  it('lists every runbook with its title and alert names, only to the caller', async () => {
    const h = await harness();
    const reply = await h.command('runbook', 'list', 'C-anywhere');
    expect(reply.visibility).toBe('ephemeral');
    expect(reply.message.header).toBe(`📘 ${shippedRunbooks().length} runbooks`);
    const lines = reply.message.sections![0]!.split('\n');
    expect(lines).toHaveLength(shippedRunbooks().length);
    expect(lines).toContain(
      '• `gpu-xid` GPU Xid error: GPUXidError, GpuXidError, DCGM_FI_DEV_XID_ERRORS, GPUFallenOffBus',
    );
    expect(lines[0]).toMatch(/^• `crash-loop` /);
    await h.close();
  });

  it('says so when no runbook is loaded', async () => {
    const h = await harness({ runbooks: [] });
    expect((await h.command('runbook', 'list', 'C1')).message.text).toBe(
      'No runbooks are loaded (runbooks/*.yml).',
    );
    await h.close();
  });
});

describe('/runbook show', () => {
  it('shows one runbook in full', async () => {
    const h = await harness();
    const reply = await h.command('runbook', 'show gpu-xid', 'C-anywhere');
    expect(reply.visibility).toBe('ephemeral');
    expect(reply.message.header).toBe('📘 GPU Xid error (gpu-xid)');
    const text = all(reply);
    for (const part of [
      '*Diagnostics:* gpu, gpu-health, gpu-remap, nvlink, xid',
      '*Hints:*',
      '*Mitigations:*',
      '*Escalation*',
      '*Steps:*',
    ])
      expect(text).toContain(part);
    await h.close();
  });

  it('answers an unknown name with the closest ones and the list as hint', async () => {
    const h = await harness();
    const err = await botError(h.command('runbook', 'show gpu-xd', 'C1'));
    expect(err.code).toBe('bot.runbook.unknown');
    expect(err.message).toBe('Unknown runbook "gpu-xd". Did you mean gpu-xid?');
    expect(err.hint).toBe('See them all with /runbook list.');
    expect((await botError(h.command('runbook', 'show', 'C1'))).message).toBe('<name> is required.');
    await h.close();
  });
});

describe('/runbook run', () => {
  it('runs the runbook on the nodes in the incident channel and answers in the channel', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'GPUXidError');
    const channelId = incident.channelId!;
    const reply = await h.command('runbook', 'run gpu-xid gpu-node-5, gpu-node-1 gpu-node-5', channelId);
    expect(reply.visibility).toBe('channel');
    expect(reply.message.header).toBe('📘 Runbook: GPU Xid error');
    expect(reply.message.sections![0]).toBe(
      "Ran on 2 nodes: 1 mitigation requested; each node's report is above.",
    );
    // Only the mitigations that fit the findings: Xid 79 calls for no restart.
    const text = all(reply);
    expect(text).toContain('*drain* the node');
    expect(text).not.toContain('*restart* the workload');

    const actions = await h.store.listActions(incident.id);
    expect(actions.map((a) => [a.kind, a.target, a.requestedBy])).toEqual([
      ['drain', 'gpu-node-5', alice.id],
    ]);
    const posts = await h.messages(channelId);
    const n5 = posts.find((m) => m.message.header?.startsWith('🔴 gpu-node-5:'))!.message;
    expect(n5.context).toContain('📘 Runbook: GPU Xid error');
    expect(n5.sections!.join('\n')).toContain(
      '*Requested:* drain of gpu-node-5 — Xid 79, the GPU fell off the bus.',
    );
    expect(
      posts.some((m) => m.message.text === '🔎 Triage of 2 nodes with runbook gpu-xid: 2/2 done ✅'),
    ).toBe(true);
    await h.close();
  });

  it("runs on the nodes the incident's alerts name when no node is given", async () => {
    const h = await harness();
    const incident = await h.declare('SEV2', 'Xid from an alert');
    await h.store.recordAlerts(
      [
        {
          groupKey: 'alertmanager:g',
          fingerprint: 'f1',
          source: 'alertmanager',
          name: 'GPUXidError',
          status: 'firing',
          labels: { alertname: 'GPUXidError', node: 'gpu-node-5' },
          annotations: {},
          nodes: ['gpu-node-5'],
          startsAt: new Date('2026-11-22T02:59:00Z'),
          endsAt: null,
        },
      ],
      new Date('2026-11-22T03:00:00Z'),
    );
    await h.store.markAlertsPosted('alertmanager:g', [{ fingerprint: 'f1', status: 'firing' }], incident.id);
    const reply = await h.command('runbook', 'run gpu-xid', incident.channelId!);
    expect(reply.message.sections![0]).toBe(
      "Ran on 1 node: 1 mitigation requested; each node's report is above.",
    );
    expect((await h.store.listActions(incident.id)).map((a) => [a.kind, a.target])).toEqual([
      ['drain', 'gpu-node-5'],
    ]);
    await h.close();
  });

  it('takes --incident outside the incident channel', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3', 'crash loop');
    const elsewhere = (await h.declare('SEV4', 'another incident')).channelId!;
    await h.command('runbook', `run crash-loop gpu-node-3 --incident ${incident.number}`, elsewhere);
    const actions = await h.store.listActions(incident.id);
    expect(actions.map((a) => [a.kind, a.target])).toEqual([['restart', 'gpu-node-3/vllm-llama3-8b']]);
    // The reports go where the command was typed.
    expect((await h.messages(elsewhere)).some((m) => m.message.header?.startsWith('🟠 gpu-node-3:'))).toBe(
      true,
    );
    await h.close();
  });

  it('needs an incident, a known runbook, at least one node, and known nodes', async () => {
    const h = await harness();
    const noIncident = await botError(h.command('runbook', 'run gpu-xid gpu-node-5', 'C-nowhere'));
    expect(noIncident.code).toBe('bot.incident.no_channel_incident');

    const channelId = (await h.declare('SEV3')).channelId!;
    const unknown = await botError(h.command('runbook', 'run gpu-xd gpu-node-5', channelId));
    expect(unknown.message).toBe('Unknown runbook "gpu-xd". Did you mean gpu-xid?');

    // No nodes given, and no alert of this incident names one.
    const noNodes = await botError(h.command('runbook', 'run gpu-xid', channelId));
    expect(noNodes.code).toBe('bot.command.missing_option');
    expect(noNodes.message).toBe('Name the nodes to run the runbook on.');
    expect(noNodes.hint).toBe('No alert of this incident names a node. Usage: /runbook run gpu-xid <node…>');
    const commas = await botError(h.command('runbook', 'run gpu-xid ,', channelId));
    expect(commas.message).toBe('Name the nodes to run the runbook on.');

    const typo = await botError(h.command('runbook', 'run gpu-xid gpu-node-55', channelId));
    expect(typo.message).toBe('No node named gpu-node-55. Did you mean gpu-node-5?');

    const manual = await botError(h.command('runbook', 'run no-nodes-online gpu-node-1', channelId));
    expect(manual.code).toBe('bot.runbook.no_diagnostics');
    // Nothing ran.
    expect((await h.messages(channelId)).some((m) => m.message.text.startsWith('🔎'))).toBe(false);
    await h.close();
  });
});
