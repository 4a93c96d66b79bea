import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotError } from '../../src/core/errors.ts';
import {
  DIAGNOSTICS,
  type DiagnosticId,
  NODE_CAPABILITIES,
  NODE_NAME_PATTERN,
  type NodeAdapter,
  type NodeCapability,
  type NodeInfo,
} from '../../src/nodes/port.ts';

/** A name no adapter owns, valid by NODE_NAME_PATTERN so only "unknown" can be the answer. */
const NO_SUCH_NODE = 'no-such-node-zz9';
const NO_SUCH_WORKLOAD = 'no-such-node-zz9/no-such-workload';

export async function expectBotError(promise: Promise<unknown>, code: string): Promise<BotError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected BotError ${code}`).toBeInstanceOf(BotError);
  expect((err as BotError).code).toBe(code);
  return err as BotError;
}

/**
 * The NodeAdapter contract: every adapter, and every fake standing in for one, runs this suite so
 * the fakes stay honest. Tests that need a capability the adapter lacks are skipped, and tests that
 * need a node in a particular state skip when the adapter's fleet has none.
 */
export function nodeAdapterContract(name: string, make: () => Promise<NodeAdapter>): void {
  describe(`NodeAdapter contract: ${name}`, () => {
    let adapter: NodeAdapter;

    beforeEach(async () => {
      adapter = await make();
    });
    afterEach(async () => {
      await adapter.close();
    });

    async function nodes(): Promise<NodeInfo[]> {
      return adapter.listNodes();
    }

    /** Why a test is skipped: the capabilities it needs and this adapter does not declare. */
    const lacks = (...needed: NodeCapability[]) =>
      `${name} does not declare ${needed.filter((c) => !adapter.capabilities.has(c)).join(' and ')}`;

    async function readyNode(): Promise<NodeInfo | undefined> {
      return (await nodes()).find((n) => n.state === 'ready');
    }

    it('has a name and declares only known capabilities', () => {
      expect(adapter.name).toMatch(/\S/);
      for (const c of adapter.capabilities) expect(NODE_CAPABILITIES).toContain(c);
    });

    it('lists nodes with valid names that it owns', async (ctx) => {
      if (!adapter.capabilities.has('list')) return ctx.skip(lacks('list'));
      const list = await nodes();
      expect(list.length).toBeGreaterThan(0);
      expect(new Set(list.map((n) => n.name)).size).toBe(list.length);
      for (const n of list) {
        expect(n.name).toMatch(NODE_NAME_PATTERN);
        expect(n.adapter).toBe(adapter.name);
        expect(['ready', 'not_ready', 'cordoned', 'unreachable']).toContain(n.state);
        expect(Number.isInteger(n.gpus) && n.gpus >= 0).toBe(true);
        expect(adapter.hasNode(n.name)).toBe(true);
      }
      expect(adapter.hasNode(NO_SUCH_NODE)).toBe(false);
    });

    it('reports health for every node', async (ctx) => {
      if (!adapter.capabilities.has('health')) return ctx.skip(lacks('health'));
      for (const n of await nodes()) {
        const h = await adapter.health(n.name);
        expect(h.node).toBe(n.name);
        expect(h.state).toBe(n.state);
        expect(h.checkedAt).toBeInstanceOf(Date);
        expect(h.uptimeSeconds).toBeGreaterThanOrEqual(0);
        expect(h.memoryUsedMiB).toBeLessThanOrEqual(h.memoryTotalMiB);
        expect(h.gpus).toHaveLength(n.gpus);
        for (const g of h.gpus) expect(typeof g.responding).toBe('boolean');
      }
    });

    it('runs every diagnostic and returns a CommandResult', async (ctx) => {
      if (!adapter.capabilities.has('diagnose')) return ctx.skip(lacks('diagnose'));
      const [node] = await nodes();
      for (const id of Object.keys(DIAGNOSTICS) as DiagnosticId[]) {
        const r = await adapter.diagnose(node!.name, id);
        expect(r.command, id).toMatch(/\S/);
        expect(Number.isInteger(r.exitCode), id).toBe(true);
        expect(typeof r.stdout).toBe('string');
        expect(typeof r.stderr).toBe('string');
        expect(r.durationMs).toBeGreaterThanOrEqual(0);
      }
    });

    it('collects a diagnostic bundle (when it can): named files from allow-listed commands', async (ctx) => {
      if (!adapter.capabilities.has('collect')) return ctx.skip(lacks('collect'));
      expect(typeof adapter.collectBundle).toBe('function');
      const [node] = await nodes();
      const b = await adapter.collectBundle!(node!.name, new Date(Date.now() - 3600_000));
      expect(b.node).toBe(node!.name);
      expect(['nvidia-bug-report', 'standard']).toContain(b.collector);
      expect(b.files.length).toBeGreaterThan(0);
      for (const f of b.files) {
        expect(f.name).toMatch(/^[a-z0-9-]+(\.[a-z]+)+$/);
        expect(f.command).toMatch(/\S/);
        expect(Number.isInteger(f.exitCode)).toBe(true);
      }
      expect(b.durationMs).toBeGreaterThanOrEqual(0);
    });

    it('answers bot.node.unknown, with a way to list nodes, for a node it does not own', async () => {
      const calls: [NodeCapability, () => Promise<unknown>][] = [
        ['health', () => adapter.health(NO_SUCH_NODE)],
        ['diagnose', () => adapter.diagnose(NO_SUCH_NODE, 'uptime')],
        ['workloads', () => adapter.listWorkloads(NO_SUCH_NODE)],
        ['cordon', () => adapter.cordon(NO_SUCH_NODE)],
        ['uncordon', () => adapter.uncordon(NO_SUCH_NODE)],
        ['drain', () => adapter.planDrain(NO_SUCH_NODE)],
        ['drain', () => adapter.drain(NO_SUCH_NODE)],
        ['collect', () => adapter.collectBundle!(NO_SUCH_NODE, new Date())],
      ];
      for (const [capability, call] of calls) {
        if (!adapter.capabilities.has(capability)) continue;
        const err = await expectBotError(call(), 'bot.node.unknown');
        expect(err.message).toContain(NO_SUCH_NODE);
        expect(err.hint).toContain('/node list');
      }
    });

    it('answers bot.workload.unknown for a workload it does not have', async () => {
      if (adapter.capabilities.has('restart')) {
        await expectBotError(adapter.restartWorkload(NO_SUCH_WORKLOAD), 'bot.workload.unknown');
      }
      if (adapter.capabilities.has('stop')) {
        await expectBotError(adapter.stopWorkload(NO_SUCH_WORKLOAD), 'bot.workload.unknown');
      }
    });

    it('reads at most `tail` lines of a listed workload’s log, and bot.workload.unknown for one it does not have', async (ctx) => {
      if (!adapter.capabilities.has('logs') || !adapter.capabilities.has('workloads'))
        return ctx.skip(lacks('logs', 'workloads'));
      const all = await adapter.listWorkloads();
      const workload = all.find((w) => w.state === 'running') ?? all[0];
      if (!workload) return ctx.skip(`${name} lists no workload to read the log of`);
      for (const tail of [1, 3, 50]) {
        const r = await adapter.workloadLogs(workload.id, tail);
        expect(r.command, workload.id).toMatch(/\S/);
        expect(Number.isInteger(r.exitCode)).toBe(true);
        expect(typeof r.stdout).toBe('string');
        expect(typeof r.stderr).toBe('string');
        expect(r.durationMs).toBeGreaterThanOrEqual(0);
        const lines = r.stdout === '' ? 0 : r.stdout.replace(/\n$/, '').split('\n').length;
        expect(lines, `${workload.id}, tail ${tail}`).toBeLessThanOrEqual(tail);
      }
      await expectBotError(adapter.workloadLogs(NO_SUCH_WORKLOAD, 10), 'bot.workload.unknown');
      await expectBotError(
        adapter.workloadLogs(workload.id, 10, { signal: AbortSignal.abort() }),
        'bot.node.aborted',
      );
    });

    it('lists workloads on a node, all belonging to it', async (ctx) => {
      if (!adapter.capabilities.has('workloads')) return ctx.skip(lacks('workloads'));
      for (const n of await nodes()) {
        for (const w of await adapter.listWorkloads(n.name)) {
          expect(w.node).toBe(n.name);
          expect(['running', 'restarting', 'exited', 'stopped']).toContain(w.state);
          expect(w.restartCount).toBeGreaterThanOrEqual(0);
        }
      }
    });

    it('cordons and uncordons a ready node, idempotently', async (ctx) => {
      if (!adapter.capabilities.has('cordon') || !adapter.capabilities.has('uncordon'))
        return ctx.skip(lacks('cordon', 'uncordon'));
      const node = await readyNode();
      if (!node) return ctx.skip(`${name} has no ready node to cordon`);
      const stateOf = async () => (await nodes()).find((n) => n.name === node.name)?.state;

      expect((await adapter.cordon(node.name)).ok).toBe(true);
      expect(await stateOf()).toBe('cordoned');
      expect((await adapter.cordon(node.name)).ok).toBe(true);
      expect(await stateOf()).toBe('cordoned');

      expect((await adapter.uncordon(node.name)).ok).toBe(true);
      expect(await stateOf()).toBe('ready');
      expect((await adapter.uncordon(node.name)).ok).toBe(true);
      expect(await stateOf()).toBe('ready');
    });

    it('plans a drain without changing anything', async (ctx) => {
      if (!adapter.capabilities.has('drain') || !adapter.capabilities.has('workloads'))
        return ctx.skip(lacks('drain', 'workloads'));
      const node = await readyNode();
      if (!node) return ctx.skip(`${name} has no ready node to plan a drain of`);
      const before = { nodes: await nodes(), workloads: await adapter.listWorkloads() };

      const plan = await adapter.planDrain(node.name);

      expect(plan.node).toBe(node.name);
      expect(plan.alreadyCordoned).toBe(false);
      for (const w of plan.evict) {
        expect(w.node).toBe(node.name);
        expect(w.system).toBe(false);
      }
      for (const s of plan.skip) expect(s.reason).toMatch(/\S/);
      // Everything on the node is either evicted or skipped, and system workloads are never evicted.
      const on = await adapter.listWorkloads(node.name);
      expect([...plan.evict.map((w) => w.id), ...plan.skip.map((s) => s.workload.id)].sort()).toEqual(
        on.map((w) => w.id).sort(),
      );
      expect(on.filter((w) => w.system).every((w) => plan.skip.some((s) => s.workload.id === w.id))).toBe(
        true,
      );

      expect(await nodes()).toEqual(before.nodes);
      expect(await adapter.listWorkloads()).toEqual(before.workloads);
    });

    it('drains what the plan said it would, and leaves what it skipped', async (ctx) => {
      if (!adapter.capabilities.has('drain') || !adapter.capabilities.has('workloads'))
        return ctx.skip(lacks('drain', 'workloads'));
      let target: string | undefined;
      for (const n of await nodes()) {
        if (n.state === 'ready' && (await adapter.planDrain(n.name)).evict.length > 0) {
          target = n.name;
          break;
        }
      }
      if (!target) return ctx.skip(`${name} has no ready node with workloads to drain`);
      const plan = await adapter.planDrain(target);

      const result = await adapter.drain(target);

      expect(result.ok).toBe(true);
      expect(result.summary).toMatch(/\S/);
      expect((await nodes()).find((n) => n.name === target)?.state).toBe('cordoned');
      const after = await adapter.listWorkloads(target);
      for (const w of plan.evict) {
        const still = after.find((a) => a.id === w.id);
        expect(still === undefined || still.state === 'stopped' || still.state === 'exited', w.id).toBe(true);
      }
      for (const s of plan.skip) {
        expect(after.find((a) => a.id === s.workload.id)?.state, s.workload.id).toBe(s.workload.state);
      }
      const again = await adapter.planDrain(target);
      expect(again.evict).toEqual([]);
      expect(again.alreadyCordoned).toBe(true);
    });

    it('probes a peer (when it can): an answer either way, and its own nodes only', async (ctx) => {
      const probe = adapter.probePeer?.bind(adapter);
      if (!probe) return ctx.skip(`${name} has no probePeer`);
      if (!adapter.capabilities.has('list')) return ctx.skip(lacks('list'));
      const [a, b] = await nodes();
      if (!a || !b) return ctx.skip(`${name} has fewer than two nodes to probe between`);
      const r = await probe(a.name, b.name, 29500);
      expect(typeof r.reachable).toBe('boolean');
      expect(r.detail).toMatch(/\S/);
      await expectBotError(probe(a.name, NO_SUCH_NODE, 29500), 'bot.node.unknown');
      await expectBotError(probe(NO_SUCH_NODE, b.name, 29500), 'bot.node.unknown');
      for (const port of [0, 65_536, 1.5, Number.NaN])
        await expectBotError(probe(a.name, b.name, port), 'bot.node.invalid_port');
      await expectBotError(probe(a.name, b.name, 29500, { signal: AbortSignal.abort() }), 'bot.node.aborted');
    });

    it('refuses every call with bot.node.aborted when the signal is already aborted, changing nothing', async () => {
      const signal = AbortSignal.abort();
      const opts = { signal };
      const node = (await nodes())[0]!.name;
      const before = await nodes();
      const calls: [NodeCapability, () => Promise<unknown>][] = [
        ['list', () => adapter.listNodes(opts)],
        ['health', () => adapter.health(node, opts)],
        ['diagnose', () => adapter.diagnose(node, 'uptime', opts)],
        ['workloads', () => adapter.listWorkloads(node, opts)],
        ['cordon', () => adapter.cordon(node, opts)],
        ['uncordon', () => adapter.uncordon(node, opts)],
        ['drain', () => adapter.planDrain(node, opts)],
        ['drain', () => adapter.drain(node, opts)],
        ['restart', () => adapter.restartWorkload(NO_SUCH_WORKLOAD, opts)],
        ['stop', () => adapter.stopWorkload(NO_SUCH_WORKLOAD, opts)],
        ['collect', () => adapter.collectBundle!(node, new Date(), opts)],
      ];
      for (const [capability, call] of calls) {
        if (adapter.capabilities.has(capability)) await expectBotError(call(), 'bot.node.aborted');
      }
      expect(await nodes()).toEqual(before);
    });
  });
}
