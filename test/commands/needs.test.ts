import { describe, expect, it } from 'vitest';
import { BotError, type ManualClock } from '../../src/core/index.ts';
import type { NodeAdapter, NodeCapability } from '../../src/nodes/port.ts';
import { createSimulatedAdapter } from '../../src/nodes/simulated/index.ts';
import { harness } from '../incidents/harness.ts';

/*
 * `needs` is checked by the dispatcher, before a command runs, against the adapters behind
 * whatever its target option names: a node, each node of a list, the adapter running a workload,
 * or (nothing named) the fleet. Commands run as a person types them in the sandbox.
 */

/** A simulated fleet cut down to some nodes and without some capabilities, as a real adapter may be. */
function partOf(
  clock: ManualClock,
  name: string,
  nodes: readonly string[],
  without: readonly NodeCapability[],
): NodeAdapter {
  const sim = createSimulatedAdapter({ clock, name });
  const owns = (node: string) => nodes.includes(node);
  return {
    ...sim,
    name,
    capabilities: new Set([...sim.capabilities].filter((c) => !without.includes(c))),
    hasNode: owns,
    listNodes: async (opts) => (await sim.listNodes(opts)).filter((n) => owns(n.name)),
    listWorkloads: async (node, opts) => (await sim.listWorkloads(node, opts)).filter((w) => owns(w.node)),
  };
}

const ODD = ['gpu-node-1', 'gpu-node-3', 'gpu-node-5', 'gpu-node-7'];
const EVEN = ['gpu-node-2', 'gpu-node-4', 'gpu-node-6', 'gpu-node-8'];

async function refusal(p: Promise<unknown>): Promise<BotError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BotError);
  return err as BotError;
}

describe('needs, checked for the target before anything runs', () => {
  it('/workload restart: the adapter running the workload must restart; nothing is requested or posted', async () => {
    const h = await harness({ adapters: (clock) => [partOf(clock, 'no-restarts', ODD, ['restart'])] });
    const incident = await h.declare('SEV3', 'crash loop on gpu-node-3');
    const channelId = incident.channelId!;
    const before = await h.messages(channelId);
    const err = await refusal(h.command('workload', 'restart gpu-node-3/vllm-llama3-8b', channelId));
    expect(err.code).toBe('bot.node.unsupported');
    expect(err.message).toBe(
      'Node gpu-node-3 is managed by adapter no-restarts, which cannot restart workloads.',
    );
    expect(err.hint).toContain('the restart capability');
    expect(await h.store.listActions(incident.id)).toEqual([]);
    expect((await h.incidents.timeline(incident)).some((e) => e.kind === 'action_requested')).toBe(false);
    expect(await h.messages(channelId)).toEqual(before);
    // Stopping it is another capability, which this adapter has.
    await h.command('workload', 'stop gpu-node-3/vllm-llama3-8b', channelId);
    expect((await h.store.listActions(incident.id)).map((a) => a.kind)).toEqual(['stop']);
    await h.close();
  });

  it('/node triage a b c: every listed node’s adapter must diagnose; nothing is posted', async () => {
    const h = await harness({
      adapters: (clock) => [partOf(clock, 'odd', ODD, []), partOf(clock, 'even', EVEN, ['diagnose'])],
    });
    const general = (await h.workspace.findChannelByName('general'))!.id;
    const err = await refusal(h.command('node', 'triage gpu-node-1 gpu-node-3,gpu-node-6', general));
    expect(err.message).toBe('Node gpu-node-6 is managed by adapter even, which cannot run diagnostics.');
    expect(await h.messages(general)).toEqual([]);
    await h.command('node', 'triage gpu-node-1 gpu-node-3', general);
    expect((await h.messages(general)).map((m) => m.message.text)).toContain(
      '🔎 Triage of 2 nodes: 2/2 done ✅',
    );
    await h.close();
  });

  it('/node cordon: a mistyped node is answered with the closest names, before the incident is looked for', async () => {
    const h = await harness();
    const err = await refusal(h.command('node', 'cordon gpu-node-55', 'C-not-an-incident'));
    expect(err.message).toBe('No node named gpu-node-55. Did you mean gpu-node-5?');
    await h.close();
  });

  it('/workload logs: the adapter running the workload must read logs', async () => {
    const h = await harness({ adapters: (clock) => [partOf(clock, 'quiet', ODD, ['logs'])] });
    const err = await refusal(h.command('workload', 'logs gpu-node-3/vllm-llama3-8b', 'C-general'));
    expect(err.message).toBe('Node gpu-node-3 is managed by adapter quiet, which cannot read workload logs.');
    await h.close();
  });

  it('nothing named: some adapter of the fleet must have the capability', async () => {
    const h = await harness({ adapters: (clock) => [partOf(clock, 'blind', ODD, ['list', 'workloads'])] });
    for (const [group, text, capability] of [
      ['node', 'list', 'list'],
      ['workload', 'list', 'workloads'],
    ] as const) {
      const err = await refusal(h.command(group, text, 'C-general'));
      expect(err.code).toBe('bot.node.unsupported');
      expect(err.message).toBe(`None of the configured node adapters has the ${capability} capability.`);
    }
    // A node named where the option is optional: that node's adapter is asked.
    const err = await refusal(h.command('workload', 'list --node gpu-node-3', 'C-general'));
    expect(err.message).toBe('Node gpu-node-3 is managed by adapter blind, which cannot list workloads.');
    await h.close();
  });
});
