import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshNodeAdapter } from '../../src/nodes/ssh/index.ts';
import { analyze, TRIAGE_DIAGNOSTICS } from '../../src/nodes/triage.ts';
import { connectSsh, type SshFleet, startSshFleet } from '../fakes/ssh/index.ts';

/**
 * The deeper GPU signals read through real SSH: the fake nodes print what nvidia-smi prints on the
 * simulated research nodes (gpu-node-9…13), and triage reads each fault from it in one exec.
 */
let fleet: SshFleet;
let ssh: SshNodeAdapter;

beforeAll(async () => {
  fleet = await startSshFleet({ count: 13 });
  const config = fleet.config();
  // The inventory says how many GPUs each node has: gpu-node-13 answers with one fewer.
  const nodes = config.nodes.map((n) => ({ ...n, gpus: 8 }));
  ssh = await connectSsh(fleet, { ...config, nodes });
});
afterAll(async () => {
  await ssh?.close();
  await fleet?.close();
});

async function triage(node: string) {
  const mark = fleet.commandsOn(node).length;
  const results = await ssh.diagnoseMany(node, TRIAGE_DIAGNOSTICS);
  // Every reading in one round trip, the new ones included.
  expect(fleet.commandsOn(node).length - mark).toBe(1);
  return analyze(node, results, [], TRIAGE_DIAGNOSTICS, { expectedGpus: ssh.expectedGpus?.(node) });
}

describe('GPU health over SSH', () => {
  it.each([
    ['gpu-node-9', 'row_remap_pending', 'cordon'],
    ['gpu-node-10', 'row_remap_failure', 'drain'],
    ['gpu-node-11', 'thermal_throttle', 'cordon'],
    ['gpu-node-12', 'nvlink_down', 'drain'],
    ['gpu-node-13', 'gpu_missing', 'drain'],
  ])('%s: %s, and a %s', async (node, kind, mitigation) => {
    const report = await triage(node);
    const finding = report.findings.find((f) => f.kind === kind);
    expect(finding?.recommendation).toEqual({ kind: mitigation, node, why: expect.any(String) });
    expect(report.skipped).toEqual([]);
  });

  it('a healthy node has none of them, and its serials and power show', async () => {
    const report = await triage('gpu-node-1');
    expect(report.findings).toEqual([]);
    expect(report.summary.find((l) => l.startsWith('GPU power'))).toMatch(/^GPU power \d+ W of 5600 W$/);
    expect(report.summary).toContain('NVLink: 8/8 GPUs with all 18 links up');
  });

  it('the inventory count reaches triage from the config file', () => {
    expect(ssh.expectedGpus?.('gpu-node-13')).toBe(8);
    expect(ssh.expectedGpus?.('no-such-node')).toBeUndefined();
  });
});
