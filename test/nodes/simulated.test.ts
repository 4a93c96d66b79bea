import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { DIAGNOSTIC_COMMANDS } from '../../src/nodes/commands.ts';
import { parseOomLines } from '../../src/nodes/parse/dmesg.ts';
import { parseContainerRestarts, parseDockerPs } from '../../src/nodes/parse/docker.ts';
import { parseFree, parseUptime } from '../../src/nodes/parse/host.ts';
import { parseNvidiaSmiCsv, toGpuHealth } from '../../src/nodes/parse/nvidia-smi.ts';
import { DIAGNOSTICS, type DiagnosticId, type NodeAdapter } from '../../src/nodes/port.ts';
import { createSimulatedAdapter } from '../../src/nodes/simulated/index.ts';
import { seedFleet } from '../../src/nodes/simulated/seed.ts';
import { parseXidLines } from '../../src/nodes/xid.ts';
import { expectBotError, nodeAdapterContract } from './contract.ts';

nodeAdapterContract('simulated', async () => createSimulatedAdapter({ clock: new ManualClock() }));
nodeAdapterContract('simulated with latency', async () =>
  createSimulatedAdapter({ clock: new ManualClock(), name: 'sim-slow', latencyMs: 1 }),
);

const DIAGNOSTIC_IDS = Object.keys(DIAGNOSTICS) as DiagnosticId[];
const HEALTHY = ['gpu-node-1', 'gpu-node-2', 'gpu-node-4', 'gpu-node-6', 'gpu-node-8'];

function setup(): { clock: ManualClock; sim: NodeAdapter } {
  const clock = new ManualClock('2026-03-14T09:26:53.000Z');
  return { clock, sim: createSimulatedAdapter({ clock }) };
}

async function out(sim: NodeAdapter, node: string, id: DiagnosticId): Promise<string> {
  return (await sim.diagnose(node, id)).stdout;
}

async function workload(sim: NodeAdapter, id: string) {
  return (await sim.listWorkloads()).find((w) => w.id === id);
}

describe('simulated fleet', () => {
  it('has gpu-node-1…13 with eight H100s each, labelled by rack and pool', async () => {
    const { sim } = setup();
    const nodes = await sim.listNodes();
    expect(nodes.map((n) => n.name)).toEqual(Array.from({ length: 13 }, (_, i) => `gpu-node-${i + 1}`));
    for (const n of nodes) {
      expect(sim.expectedGpus?.(n.name)).toBe(8);
      // gpu-node-13's GPU 7 has vanished from the bus: nvidia-smi lists the other seven.
      expect(n.gpus).toBe(n.name === 'gpu-node-13' ? 7 : 8);
      expect(n.labels.rack).toMatch(/^r[123]$/);
      expect(['training', 'inference', 'research']).toContain(n.labels.pool);
    }
    const gpus = parseNvidiaSmiCsv(await out(sim, 'gpu-node-1', 'gpu'));
    expect(gpus.map((g) => g.name)).toEqual(Array(8).fill('NVIDIA H100 80GB HBM3'));
    expect(sim.capabilities.size).toBe(11);
  });

  it('runs a system agent on every node, which a drain plan skips', async () => {
    const { sim } = setup();
    for (const n of await sim.listNodes()) {
      const plan = await sim.planDrain(n.name);
      expect(plan.skip.map((s) => s.workload.name)).toEqual(
        expect.arrayContaining(['dcgm-exporter', 'node-exporter']),
      );
      expect(plan.skip.every((s) => s.workload.system)).toBe(true);
    }
  });

  it('reports the command a real node would run', async () => {
    const { sim } = setup();
    for (const id of DIAGNOSTIC_IDS)
      expect((await sim.diagnose('gpu-node-1', id)).command).toBe(DIAGNOSTIC_COMMANDS[id]);
    expect((await sim.diagnose('gpu-node-1', 'gpu')).command).toBe(
      'nvidia-smi --query-gpu=index,name,temperature.gpu,utilization.gpu,memory.used,memory.total,ecc.errors.uncorrected.volatile.total --format=csv,noheader',
    );
  });

  it('gpu-node-5: Xid 79, a GPU that does not answer, node not_ready', async () => {
    const { sim } = setup();
    const xids = parseXidLines(await out(sim, 'gpu-node-5', 'xid'));
    expect(xids).toHaveLength(2);
    expect(xids[1]).toMatchObject({ xid: 154, recommendation: 'reboot', recovery: 'a node reboot' });
    expect(xids[0]).toMatchObject({
      xid: 79,
      pciBus: '0000:9a:00',
      pid: 48211,
      process: 'python3',
      message: 'GPU has fallen off the bus.',
      recommendation: 'drain',
    });

    const smi = await out(sim, 'gpu-node-5', 'gpu');
    expect(smi).toMatch(/^4, NVIDIA H100 80GB HBM3, .*\[GPU requires reset\]/m);
    const health = await sim.health('gpu-node-5');
    expect(health.state).toBe('not_ready');
    expect(health.gpus.filter((g) => !g.responding).map((g) => g.index)).toEqual([4]);
    expect((await sim.listNodes()).find((n) => n.name === 'gpu-node-5')?.state).toBe('not_ready');
  });

  it('gpu-node-7: an OOM kill in dmesg and memory near full', async () => {
    const { sim } = setup();
    const kills = parseOomLines(await out(sim, 'gpu-node-7', 'oom'));
    expect(kills).toEqual([expect.objectContaining({ pid: 48213, process: 'python3', cgroup: false })]);
    expect(kills[0]?.anonRssKiB).toBeGreaterThan(1024 ** 3);
    const free = parseFree(await out(sim, 'gpu-node-7', 'memory'));
    expect(free!.usedMiB / free!.totalMiB).toBeGreaterThan(0.9);
    const health = await sim.health('gpu-node-7');
    expect(health.memoryUsedMiB / health.memoryTotalMiB).toBeGreaterThan(0.9);
    expect(health.state).toBe('ready');
  });

  it('gpu-node-3: a crash-looping container', async () => {
    const { sim } = setup();
    expect(await out(sim, 'gpu-node-3', 'containers')).toMatch(
      /^vllm-llama3-8b Restarting \(1\) 5 seconds ago$/m,
    );
    const restarts = parseContainerRestarts(await out(sim, 'gpu-node-3', 'container-restarts'));
    expect(restarts.find((r) => r.name === 'vllm-llama3-8b')).toEqual({
      name: 'vllm-llama3-8b',
      restartCount: 12,
      lastExitCode: 1,
    });
    expect(await workload(sim, 'gpu-node-3/vllm-llama3-8b')).toMatchObject({
      state: 'restarting',
      restartCount: 12,
      lastExitCode: 1,
      gpus: 2,
    });
  });

  it('the other nodes are healthy', async () => {
    const { sim } = setup();
    for (const node of HEALTHY) {
      expect(parseXidLines(await out(sim, node, 'xid')), node).toEqual([]);
      expect(parseOomLines(await out(sim, node, 'oom')), node).toEqual([]);
      expect(
        parseDockerPs(await out(sim, node, 'containers')).every((c) => c.state === 'running'),
        node,
      ).toBe(true);
      const health = await sim.health(node);
      expect(health.state).toBe('ready');
      expect(health.gpus.every((g) => g.responding && g.eccUncorrected === 0)).toBe(true);
    }
  });

  it('health() agrees with what the commands print', async () => {
    const { sim } = setup();
    for (const { name } of await sim.listNodes()) {
      const h = await sim.health(name);
      const up = parseUptime(await out(sim, name, 'uptime'));
      expect(Math.abs(up!.uptimeSeconds - h.uptimeSeconds)).toBeLessThan(60);
      expect(up!.load1).toBe(h.load1);
      const free = parseFree(await out(sim, name, 'memory'));
      // free -h keeps two or three significant digits.
      expect(Math.abs(free!.usedMiB - h.memoryUsedMiB) / h.memoryUsedMiB).toBeLessThan(0.06);
      expect(Math.abs(free!.totalMiB - h.memoryTotalMiB) / h.memoryTotalMiB).toBeLessThan(0.06);
      expect(h.gpus).toEqual(parseNvidiaSmiCsv(await out(sim, name, 'gpu')).map(toGpuHealth));
    }
  });

  it('is deterministic given the clock, and time moves the outputs', async () => {
    const a = setup();
    const b = setup();
    for (const { name } of await a.sim.listNodes()) {
      for (const id of DIAGNOSTIC_IDS)
        expect(await a.sim.diagnose(name, id)).toEqual(await b.sim.diagnose(name, id));
    }
    const before = (await a.sim.health('gpu-node-1')).uptimeSeconds;
    a.clock.advance(2 * 60_000);
    expect((await a.sim.health('gpu-node-1')).uptimeSeconds).toBe(before + 120);
    // The crash loop keeps going: one more restart a minute.
    expect((await workload(a.sim, 'gpu-node-3/vllm-llama3-8b'))?.restartCount).toBe(14);
    expect(await out(a.sim, 'gpu-node-3', 'containers')).toMatch(
      /vllm-llama3-8b Restarting \(1\) 5 seconds ago/,
    );
  });

  it('shows the NCCL port listening only where a rank-0 trainer runs', async () => {
    const { sim } = setup();
    const one = await sim.diagnose('gpu-node-1', 'nccl-port');
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toMatch(/LISTEN .*:29500\b/);
    const two = await sim.diagnose('gpu-node-2', 'nccl-port');
    expect(two).toMatchObject({ exitCode: 1, stdout: '' });
  });
});

describe('simulated peer probes', () => {
  const NAMES = Array.from({ length: 8 }, (_, i) => `gpu-node-${i + 1}`);

  it('gpu-node-6 reaches no peer (its egress rule drops the SYN); every other pair answers', async () => {
    const { sim } = setup();
    for (const node of NAMES) {
      for (const peer of NAMES) {
        if (peer === node) continue;
        const r = await sim.probePeer!(node, peer, 29500);
        expect(r.reachable, `${node} → ${peer}`).toBe(node !== 'gpu-node-6');
      }
    }
    expect(await sim.probePeer!('gpu-node-6', 'gpu-node-7', 29500)).toEqual({
      reachable: false,
      detail:
        'no answer from gpu-node-7 (10.10.2.17) port 29500 within 3 s (dropped: a firewall, or a link down)',
    });
    // Peers still reach it: the rule is on what gpu-node-6 opens, not on what it accepts.
    expect((await sim.probePeer!('gpu-node-5', 'gpu-node-6', 29500)).reachable).toBe(true);
  });

  it('connects where a rank-0 trainer listens, is refused (but reachable) where nothing does', async () => {
    const { sim } = setup();
    expect(await sim.probePeer!('gpu-node-2', 'gpu-node-1', 29500)).toEqual({
      reachable: true,
      listening: true,
      detail: 'connected to gpu-node-1 (10.10.1.11) port 29500',
    });
    expect(await sim.probePeer!('gpu-node-1', 'gpu-node-2', 29500)).toEqual({
      reachable: true,
      listening: false,
      detail:
        'gpu-node-2 (10.10.1.12) port 29500 refused the connection: the path is open, nothing listens there now',
    });
    // Stopping the trainer closes the port; the path stays open.
    await sim.stopWorkload('gpu-node-1/llama3-70b-pretrain-0');
    expect((await sim.probePeer!('gpu-node-2', 'gpu-node-1', 29500)).detail).toMatch(/refused/);
  });

  it('leaves the dropped SYNs in gpu-node-6’s dmesg, and nothing the triage greps would flag', async () => {
    const node6 = seedFleet(Date.parse('2026-03-14T09:26:53.000Z')).nodes.find(
      (n) => n.name === 'gpu-node-6',
    )!;
    const drops = node6.kernelLog.filter((l) => l.text.startsWith('nft-drop-out: '));
    expect(drops).toHaveLength(4);
    for (const l of drops)
      expect(l.text).toMatch(
        / OUT=ib0 SRC=10\.10\.2\.16 DST=10\.10\.2\.15 .* PROTO=TCP SPT=\d+ DPT=29500 .*SYN/,
      );
    const { sim } = setup();
    expect(await out(sim, 'gpu-node-6', 'xid')).not.toMatch(/nft-drop|DPT=/);
    expect(await out(sim, 'gpu-node-6', 'oom')).toBe('');
  });

  it('answers bot.node.unknown and bot.node.invalid_port before anything else', async () => {
    const { sim } = setup();
    await expectBotError(sim.probePeer!('gpu-node-1', 'gpu-node-99', 29500), 'bot.node.unknown');
    await expectBotError(sim.probePeer!('gpu-node-1', 'gpu-node-2', 70_000), 'bot.node.invalid_port');
  });
});

describe('simulated mutations', () => {
  it('cordon twice says already cordoned; uncordon restores ready', async () => {
    const { sim } = setup();
    expect((await sim.cordon('gpu-node-2')).summary).toMatch(/^Cordoned gpu-node-2/);
    expect(await sim.cordon('gpu-node-2')).toMatchObject({
      ok: true,
      summary: 'gpu-node-2 already cordoned',
    });
    expect((await sim.health('gpu-node-2')).state).toBe('cordoned');
    await sim.uncordon('gpu-node-2');
    expect((await sim.health('gpu-node-2')).state).toBe('ready');
  });

  it('drain moves workloads to a ready node with free GPUs, in the same pool first', async () => {
    const { sim } = setup();
    const result = await sim.drain('gpu-node-3');
    expect(result.ok).toBe(true);
    expect(result.output).toContain('rescheduled on gpu-node-4 as gpu-node-4/vllm-llama3-8b');
    const on3 = await sim.listWorkloads('gpu-node-3');
    expect(on3.map((w) => w.name).sort()).toEqual(['dcgm-exporter', 'node-exporter']);
    // gpu-node-4 had 2 GPUs free: the first workload takes them, the next goes to the pool's next node.
    const on4 = (await sim.listWorkloads('gpu-node-4')).map((w) => w.name);
    expect(on4).toContain('vllm-llama3-8b');
    expect((await sim.listWorkloads('gpu-node-7')).map((w) => w.name)).toContain('triton-embeddings');
    // The crash loop is in the workload, not the node: it follows.
    expect((await workload(sim, 'gpu-node-4/vllm-llama3-8b'))?.state).toBe('restarting');
    expect(await out(sim, 'gpu-node-7', 'containers')).toMatch(/^triton-embeddings Up Less than a second$/m);
    expect(result.warning).toBeUndefined();
  });

  it('the drain plan says where each workload goes, and the drain then puts it there', async () => {
    const { sim } = setup();
    const plan = await sim.planDrain('gpu-node-3');
    expect(plan.fates).toEqual({
      'gpu-node-3/vllm-llama3-8b': { kind: 'moved', to: 'gpu-node-4' },
      'gpu-node-3/triton-embeddings': { kind: 'moved', to: 'gpu-node-7' },
    });
    const five = await sim.planDrain('gpu-node-5');
    expect(five.fates).toEqual({ 'gpu-node-5/qwen2-72b-finetune-0': { kind: 'moved', to: 'gpu-node-8' } });
    const result = await sim.drain('gpu-node-5');
    expect(result.output).toContain('rescheduled on gpu-node-8 as gpu-node-8/qwen2-72b-finetune-0');
    expect(result.warning).toBeUndefined();
  });

  it('drain stops what no ready node has room for, and says so as a warning', async () => {
    const { sim } = setup();
    await sim.cordon('gpu-node-8');
    const plan = await sim.planDrain('gpu-node-1');
    expect(plan.fates?.['gpu-node-1/llama3-70b-pretrain-0']).toEqual({
      kind: 'stopped',
      why: 'no ready node has 8 free GPUs and 440,000 MiB of memory',
    });
    const result = await sim.drain('gpu-node-1');
    expect(result.summary).toContain('1 stopped');
    expect(result.warning).toBe(
      'llama3-70b-pretrain-0 was stopped, not moved: no ready node has 8 free GPUs and 440,000 MiB of memory. Start it again once a node is free.',
    );
    expect(await workload(sim, 'gpu-node-1/llama3-70b-pretrain-0')).toMatchObject({
      state: 'stopped',
      lastExitCode: 143,
    });
    expect((await sim.diagnose('gpu-node-1', 'nccl-port')).exitCode).toBe(1);
    expect(await out(sim, 'gpu-node-1', 'containers')).toMatch(
      /^llama3-70b-pretrain-0 Exited \(143\) Less than a second ago$/m,
    );
    expect((await sim.health('gpu-node-1')).gpus.every((g) => g.utilizationPct === 0)).toBe(true);
  });

  it('does not reschedule onto cordoned or not_ready nodes', async () => {
    const { sim } = setup();
    await sim.cordon('gpu-node-4');
    await sim.drain('gpu-node-3');
    const moved = (await sim.listWorkloads()).filter((w) => w.name === 'vllm-llama3-8b');
    expect(moved.map((w) => w.node)).toEqual(['gpu-node-7']);
  });

  it('restart ends a crash loop and keeps the restart count', async () => {
    const { sim, clock } = setup();
    clock.advance(90_000);
    const result = await sim.restartWorkload('gpu-node-3/vllm-llama3-8b');
    expect(result.ok).toBe(true);
    expect(await workload(sim, 'gpu-node-3/vllm-llama3-8b')).toMatchObject({
      state: 'running',
      restartCount: 13,
      lastExitCode: null,
    });
    clock.advance(10 * 60_000);
    expect((await workload(sim, 'gpu-node-3/vllm-llama3-8b'))?.restartCount).toBe(13);
    expect(await out(sim, 'gpu-node-3', 'containers')).toMatch(/^vllm-llama3-8b Up 10 minutes$/m);
  });

  it('restart on a GPU that fell off the bus fails as a result, not a throw', async () => {
    const { sim } = setup();
    const result = await sim.restartWorkload('gpu-node-5/qwen2-72b-finetune-0');
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('GPU 4 not responding');
    expect(result.output).toContain('nvml error');
    expect((await workload(sim, 'gpu-node-5/qwen2-72b-finetune-0'))?.state).toBe('exited');
  });

  it('stop stops, and stopping again is a no-op', async () => {
    const { sim } = setup();
    expect((await sim.stopWorkload('gpu-node-4/triton-resnet50')).ok).toBe(true);
    expect((await workload(sim, 'gpu-node-4/triton-resnet50'))?.state).toBe('stopped');
    expect(await sim.stopWorkload('gpu-node-4/triton-resnet50')).toMatchObject({
      ok: true,
      summary: 'gpu-node-4/triton-resnet50 is already stopped',
    });
  });

  it('keeps state per instance: a new adapter brings every fault back', async () => {
    const { sim, clock } = setup();
    await sim.drain('gpu-node-5');
    await sim.restartWorkload('gpu-node-3/vllm-llama3-8b');
    const fresh = createSimulatedAdapter({ clock });
    expect((await fresh.health('gpu-node-5')).state).toBe('not_ready');
    expect((await workload(fresh, 'gpu-node-3/vllm-llama3-8b'))?.state).toBe('restarting');
  });

  it('names the node and points at /node list when it is unknown', async () => {
    const { sim } = setup();
    const err = await expectBotError(sim.cordon('gpu-node-99'), 'bot.node.unknown');
    expect(err.message).toContain('gpu-node-99');
    expect(err.hint).toContain('/node list');
  });

  it('an abort during the latency cancels the call before it changes anything', async () => {
    const clock = new ManualClock();
    const sim = createSimulatedAdapter({ clock, latencyMs: 1000 });
    const ac = new AbortController();
    const started = Date.now();
    const pending = sim.cordon('gpu-node-1', { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await expectBotError(pending, 'bot.node.aborted');
    expect(Date.now() - started).toBeLessThan(900);
    expect((await sim.health('gpu-node-1')).state).toBe('ready');
  });
});

describe('simulated workload logs', () => {
  const lines = (text: string) => text.replace(/\n$/, '').split('\n');

  it('gpu-node-3: the crash-looping container shows its failing start-up and traceback, newest last', async () => {
    const { sim } = setup();
    const r = await sim.workloadLogs('gpu-node-3/vllm-llama3-8b', 40);
    expect(r).toMatchObject({
      exitCode: 0,
      stderr: '',
      command: "docker logs --tail 40 'vllm-llama3-8b' 2>&1",
    });
    const out = lines(r.stdout);
    expect(out).toHaveLength(40);
    expect(out.at(-1)).toBe(
      "OSError: Incorrect path_or_model_id: '/models/Meta-Llama-3-8B-Instruct'. Please provide either the path to a local folder or the repo_id of a model on the Hub.",
    );
    expect(out).toContain('Traceback (most recent call last):');
    // The start-up of the last attempt, 4 s before its exit (5 s before the clock).
    expect(out).toContainEqual(
      expect.stringMatching(/^INFO 03-14 09:26:43 api_server\.py:219\] vLLM API server/),
    );
    // A minute later it has failed once more.
    const before = (await sim.workloadLogs('gpu-node-3/vllm-llama3-8b', 1000)).stdout;
    const { sim: later, clock } = setup();
    clock.advance(60_000);
    const after = (await later.workloadLogs('gpu-node-3/vllm-llama3-8b', 1000)).stdout;
    expect(lines(after).filter((l) => l.startsWith('OSError')).length).toBe(
      lines(before).filter((l) => l.startsWith('OSError')).length + 1,
    );
  });

  it('gpu-node-5: the training job logs CUDA and NCCL errors from the Xid on, after ordinary steps', async () => {
    const { sim } = setup();
    const out = lines((await sim.workloadLogs('gpu-node-5/qwen2-72b-finetune-0', 40)).stdout);
    const cuda = out.findIndex((l) => l.includes('CUDA error: unspecified launch failure'));
    expect(cuda).toBeGreaterThan(0);
    // The Xid in dmesg is 23 minutes before the clock: 09:03:53.
    expect(out[cuda]).toMatch(/^\[rank4\]:\[E0314 09:03:53\.\d{6} ProcessGroupNCCL/);
    expect(out.slice(0, cuda).every((l) => /\]\[train\]\[INFO\] step \d+\/12000/.test(l))).toBe(true);
    expect(out).toContainEqual(expect.stringMatching(/gpu-node-5:48211:\d+ \[4\] NCCL WARN Cuda failure/));
    expect(out).toContainEqual(
      expect.stringMatching(
        /^\[rank0\]:\[E0314 09:13:53\.\d{6} .*Watchdog caught collective operation timeout/,
      ),
    );
    // Its peer on gpu-node-6 holds no lost GPU: ordinary steps up to now.
    const peer = lines((await sim.workloadLogs('gpu-node-6/qwen2-72b-finetune-1', 5)).stdout);
    expect(peer.every((l) => / step \d+\/12000 \| loss /.test(l))).toBe(true);
  });

  it('the other workloads print ordinary start-up and progress lines, and a stop shows the shutdown', async () => {
    const { sim } = setup();
    for (const w of await sim.listWorkloads()) {
      const r = await sim.workloadLogs(w.id, 1000);
      expect(r.stdout, w.id).toMatch(/\S/);
      if (['gpu-node-3/vllm-llama3-8b', 'gpu-node-5/qwen2-72b-finetune-0'].includes(w.id)) continue;
      expect(r.stdout, w.id).not.toMatch(/Traceback|error/i);
    }
    const mixtral = lines((await sim.workloadLogs('gpu-node-4/vllm-mixtral-8x7b', 2)).stdout);
    expect(mixtral[0]).toMatch(
      /^INFO: {5}10\.0\.\d+\.\d+:\d+ - "POST \/v1\/chat\/completions HTTP\/1\.1" 200 OK$/,
    );
    expect(mixtral[1]).toMatch(/^INFO 03-14 09:26:4\d metrics\.py:295\] Avg prompt throughput: /);
    // The OOM-killed job's log holds its previous run, then the restart.
    const etl = (await sim.workloadLogs('gpu-node-7/feature-etl', 1000)).stdout;
    expect(etl.match(/starting feature-etl/g)).toHaveLength(2);

    await sim.stopWorkload('gpu-node-4/triton-resnet50');
    expect(lines((await sim.workloadLogs('gpu-node-4/triton-resnet50', 3)).stdout)[0]).toBe(
      'Signal (15) received.',
    );
  });

  it('is deterministic given the clock and returns at most `tail` lines', async () => {
    const a = setup();
    const b = setup();
    for (const w of await a.sim.listWorkloads()) {
      for (const tail of [1, 7, 1000]) {
        const r = await a.sim.workloadLogs(w.id, tail);
        expect(r).toEqual(await b.sim.workloadLogs(w.id, tail));
        expect(r.stdout.endsWith('\n')).toBe(true);
        expect(lines(r.stdout).length).toBeLessThanOrEqual(tail);
      }
    }
  });

  it('answers bot.workload.unknown for an unknown workload and refuses a tail outside 1…1000', async () => {
    const { sim } = setup();
    const err = await expectBotError(sim.workloadLogs('gpu-node-3/nope', 10), 'bot.workload.unknown');
    expect(err.message).toContain('gpu-node-3/nope');
    for (const tail of [0, -1, 1001, 2.5, Number.NaN]) {
      await expectBotError(sim.workloadLogs('gpu-node-3/vllm-llama3-8b', tail), 'bot.workload.invalid_tail');
    }
  });
});
