import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { BotError } from '../../src/core/errors.ts';
import type { NodeAdapter, NodeCapability, NodeInfo } from '../../src/nodes/port.ts';
import { NodeRegistry } from '../../src/nodes/registry.ts';
import { createSimulatedAdapter } from '../../src/nodes/simulated/index.ts';
import { expectBotError } from './contract.ts';

/** Just enough of an adapter to route to: it lists and owns `nodes`; anything else is a test bug. */
function stub(name: string, nodes: string[], capabilities: NodeCapability[] = ['list']): NodeAdapter {
  const notHere = () => Promise.reject(new Error(`stub ${name}: not part of this test`));
  const info = (n: string): NodeInfo => ({ name: n, adapter: name, state: 'ready', gpus: 4, labels: {} });
  return {
    name,
    capabilities: new Set(capabilities),
    listNodes: async () => nodes.map(info),
    hasNode: vi.fn((n: string) => nodes.includes(n)),
    health: notHere,
    diagnose: notHere,
    listWorkloads: notHere,
    cordon: notHere,
    uncordon: notHere,
    planDrain: notHere,
    drain: notHere,
    restartWorkload: notHere,
    stopWorkload: notHere,
    workloadLogs: notHere,
    close: async () => {},
  };
}

const sim = () => createSimulatedAdapter({ clock: new ManualClock() });

describe('NodeRegistry.listNodes', () => {
  it('merges every adapter in natural order: gpu-node-2 before gpu-node-10', async () => {
    const registry = new NodeRegistry([stub('rack9', ['gpu-node-15', 'gpu-node-14', 'gpu-node-16']), sim()]);
    const names = (await registry.listNodes()).map((n) => n.name);
    expect(names).toEqual([...Array.from({ length: 16 }, (_, i) => `gpu-node-${i + 1}`)]);
    expect(names.indexOf('gpu-node-2')).toBeLessThan(names.indexOf('gpu-node-10'));
  });

  it('skips adapters that cannot list', async () => {
    const registry = new NodeRegistry([stub('blind', ['x1'], ['health']), stub('seen', ['x2'])]);
    expect((await registry.listNodes()).map((n) => n.name)).toEqual(['x2']);
  });

  it('keeps the rest of the fleet visible when one adapter fails', async () => {
    const broken = stub('k8s', []);
    const down = new BotError('bot.node.unreachable', 'The cluster API did not answer.');
    broken.listNodes = () => Promise.reject(down);
    const registry = new NodeRegistry([broken, stub('ssh', ['gpu-node-9'])]);
    const settled = await registry.listNodesSettled();
    expect(settled.nodes.map((n) => n.name)).toEqual(['gpu-node-9']);
    expect(settled.failures).toEqual([{ adapter: 'k8s', error: down }]);
    await expect(registry.listNodes()).rejects.toBe(down);
  });
});

describe('NodeRegistry.adapterFor', () => {
  it('finds the adapter that owns the node, the first one if two claim it', () => {
    const a = stub('a', ['gpu-node-9']);
    const b = stub('b', ['gpu-node-9', 'gpu-node-10']);
    const registry = new NodeRegistry([a, b]);
    expect(registry.adapterFor('gpu-node-9')).toBe(a);
    expect(registry.adapterFor('gpu-node-10')).toBe(b);
  });

  it('answers bot.node.unknown naming the node, with a hint to list nodes', async () => {
    const registry = new NodeRegistry([sim()]);
    const err = await expectBotError(
      Promise.resolve().then(() => registry.adapterFor('gpu-node-42')),
      'bot.node.unknown',
    );
    expect(err.message).toContain('gpu-node-42');
    expect(err.hint).toContain('/node list');
  });

  it.each(['', '-rf', 'gpu node', 'gpu;reboot', '$(id)', '../etc/passwd', 'a'.repeat(254), 'gpu-node-1\n'])(
    'rejects %j as an invalid name before asking any adapter',
    async (bad) => {
      const a = stub('a', [bad]);
      const registry = new NodeRegistry([a]);
      await expectBotError(
        Promise.resolve().then(() => registry.adapterFor(bad)),
        'bot.node.invalid_name',
      );
      expect(a.hasNode).not.toHaveBeenCalled();
    },
  );
});

describe('NodeRegistry.require', () => {
  it('returns the adapter when it has the capability', () => {
    const a = stub('a', ['gpu-node-9'], ['list', 'drain']);
    expect(new NodeRegistry([a]).require('gpu-node-9', 'drain')).toBe(a);
  });

  it('answers bot.node.unsupported naming node, adapter and capability', async () => {
    const registry = new NodeRegistry([stub('http:orchestrator', ['gpu-node-9'], ['list', 'health'])]);
    const err = await expectBotError(
      Promise.resolve().then(() => registry.require('gpu-node-9', 'drain')),
      'bot.node.unsupported',
    );
    expect(err.message).toContain('gpu-node-9');
    expect(err.message).toContain('http:orchestrator');
    expect(err.message).toContain('drain');
  });

  it('checks the name before the capability', async () => {
    const registry = new NodeRegistry([sim()]);
    await expectBotError(
      Promise.resolve().then(() => registry.require('x y', 'drain')),
      'bot.node.invalid_name',
    );
    await expectBotError(
      Promise.resolve().then(() => registry.require('gpu-node-99', 'drain')),
      'bot.node.unknown',
    );
  });
});

describe('NodeRegistry', () => {
  it('refuses two adapters with the same name', () => {
    expect(() => new NodeRegistry([stub('ssh', []), stub('ssh', [])])).toThrow(
      expect.objectContaining({ code: 'bot.node.duplicate_adapter' }),
    );
  });

  it('closes every adapter, even when one fails to close', async () => {
    const a = stub('a', []);
    const b = stub('b', []);
    a.close = vi.fn(() => Promise.reject(new Error('boom')));
    b.close = vi.fn(async () => {});
    await new NodeRegistry([a, b]).close();
    expect(a.close).toHaveBeenCalled();
    expect(b.close).toHaveBeenCalled();
  });
});

describe('NodeRegistry.canonicalName', () => {
  it('spells a node as the fleet does when exactly one node has that name in any case', async () => {
    const registry = new NodeRegistry([
      stub('a', ['gpu-node-5', 'Login-1']),
      stub('b', ['edge-A', 'EDGE-a']),
    ]);
    expect(await registry.canonicalName('GPU-NODE-5')).toBe('gpu-node-5');
    expect(await registry.canonicalName('login-1')).toBe('Login-1');
    expect(await registry.canonicalName('gpu-node-5')).toBe('gpu-node-5');
    // Two nodes that differ only in case: neither is guessed.
    expect(await registry.canonicalName('edge-a')).toBe('edge-a');
    // Unknown, or not a name at all: as given, for the usual answers.
    expect(await registry.canonicalName('gpu-node-55')).toBe('gpu-node-55');
    expect(await registry.canonicalName('$(reboot)')).toBe('$(reboot)');
  });
});
