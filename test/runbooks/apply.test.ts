import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../src/nodes/port.ts';
import { analyze, type Finding, type TriageReport } from '../../src/nodes/triage.ts';
import { applicableMitigations, applyRunbook, conditionHolds, recommend } from '../../src/runbooks/apply.ts';
import { loadRunbooks } from '../../src/runbooks/loader.ts';
import type { Runbook } from '../../src/runbooks/schema.ts';
import { RUNBOOK_DIR } from './helpers.ts';

const runbooks = loadRunbooks(RUNBOOK_DIR);
const byName = (name: string) => runbooks.find((r) => r.name === name)!;
const gpuXid = byName('gpu-xid');
const crashLoop = byName('crash-loop');

const ok = (stdout: string): CommandResult => ({
  command: 'test',
  exitCode: 0,
  stdout,
  stderr: '',
  durationMs: 1,
});
const xidLine = (xid: number, name?: string) =>
  `[ 1234.567890] NVRM: Xid (PCI:0000:9a:00): ${xid}, pid=48211, ${name ? `name=${name}, ` : ''}some text.`;
const report = (findings: Finding[], node = 'gpu-node-5'): TriageReport => ({
  node,
  summary: [],
  sightings: [],
  findings,
  skipped: [],
});

describe('findings carry what runbooks refer to', () => {
  it('an Xid finding has its number and the process it names', () => {
    const r = analyze('gpu-node-5', { xid: ok(`${xidLine(79, 'python3')}\n${xidLine(31)}`) }, [], ['xid']);
    expect(r.findings.map((f) => [f.xid, f.container, f.kind])).toEqual([
      [79, 'python3', undefined],
      [31, undefined, undefined],
    ]);
    // The built-in recommendation is unchanged.
    expect(r.findings[0]!.recommendation).toEqual({ kind: 'drain', node: 'gpu-node-5', why: 'Xid 79' });
    expect(r.skipped).toEqual([]);
  });

  it('OOM kills, crash loops, memory pressure and GPU faults have their kind', () => {
    const r = analyze('n1', {
      memory: ok(
        '               total        used        free      shared  buff/cache   available\nMem:           1000Gi       950Gi        10Gi          0B        40Gi        50Gi\nSwap:             0B          0B          0B\n',
      ),
      oom: ok(
        '[ 10.0] Out of memory: Killed process 41 (etl) total-vm:1kB, anon-rss:1kB\n[ 20.0] Out of memory: Killed process 42 (python3) total-vm:1kB, anon-rss:1kB',
      ),
      containers: ok('vllm Restarting (1) 5 seconds ago\n'),
      gpu: ok(
        [
          '0, NVIDIA H100 80GB HBM3, 34, 0 %, 0 MiB, 81559 MiB, 0',
          '1, NVIDIA H100 80GB HBM3, 35, 0 %, 0 MiB, 81559 MiB, 3',
          '2, [GPU is lost], [GPU is lost], [GPU is lost], [GPU is lost], [GPU is lost], [GPU is lost]',
        ].join('\n'),
      ),
    });
    const kinds = r.findings.map((f) => [f.kind, f.container]);
    expect(kinds).toContainEqual(['memory_pressure', undefined]);
    // The latest victim is the one to restart.
    expect(kinds).toContainEqual(['oom', 'python3']);
    expect(kinds).toContainEqual(['crash_loop', 'vllm']);
    expect(kinds).toContainEqual(['ecc_uncorrected', undefined]);
    expect(kinds).toContainEqual(['gpu_not_responding', undefined]);
    expect(kinds).toHaveLength(5);
    // Asked for every diagnostic by default: those not given are skipped.
    expect(r.skipped).toContain('xid');
    expect(r.skipped).not.toContain('gpu');
  });
});

describe('recommend', () => {
  it('recommends a drain for Xid 79 with gpu-xid.yml, with the hint’s why', () => {
    const r = analyze('gpu-node-5', { xid: ok(xidLine(79, 'python3')) }, [], gpuXid.diagnostics);
    const recs = recommend(gpuXid, r);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ action: 'drain', node: 'gpu-node-5' });
    expect(recs[0]!.why).toBe(gpuXid.hints.find((h) => h.when.xid?.includes(79))!.why);
    expect(recs[0]!.why).toMatch(/^Xid 79, the GPU fell off the bus/);
    // A node action names no workload, even when the Xid names a process.
    expect(recs[0]!.container).toBeUndefined();
  });

  it('recommends a restart of the process an Xid 31 names', () => {
    const r = analyze('gpu-node-2', { xid: ok(xidLine(31, 'trainer')) }, [], gpuXid.diagnostics);
    expect(recommend(gpuXid, r)).toEqual([
      {
        action: 'restart',
        node: 'gpu-node-2',
        container: 'trainer',
        why: 'A fault in one process (page fault, bad push buffer, torn-down channel). The GPU itself is fine.',
        finding: r.findings[0],
      },
    ]);
  });

  it('still recommends the restart when the Xid names no process, with no target', () => {
    const r = analyze('gpu-node-2', { xid: ok(xidLine(31)) }, [], ['xid']);
    const [rec] = recommend(gpuXid, r);
    expect(rec!.action).toBe('restart');
    expect(rec!.container).toBeUndefined();
  });

  it('recommends nothing for a finding no hint covers', () => {
    const r = analyze('gpu-node-2', { xid: ok(xidLine(13)) }, [], ['xid']);
    expect(r.findings).toHaveLength(1);
    expect(recommend(gpuXid, r)).toEqual([]);
    expect(recommend(crashLoop, report([{ level: 'critical', text: 'x', xid: 79 }]))).toEqual([]);
  });

  it('matches findings by kind, naming the workload of the finding', () => {
    const recs = recommend(
      crashLoop,
      report(
        [
          { level: 'warning', text: 'loop', kind: 'crash_loop', container: 'vllm' },
          { level: 'warning', text: 'oom', kind: 'oom', container: 'python3' },
          { level: 'warning', text: 'mem', kind: 'memory_pressure' },
        ],
        'gpu-node-3',
      ),
    );
    expect(recs.map((r) => [r.action, r.node, r.container])).toEqual([
      ['restart', 'gpu-node-3', 'vllm'],
      ['restart', 'gpu-node-3', 'python3'],
    ]);
    expect(recs[1]!.why).toMatch(/OOM-killed/);
  });

  it('gives one recommendation per action and target, with the why of the first hint that holds', () => {
    const recs = recommend(
      gpuXid,
      report([
        { level: 'critical', text: 'gone', kind: 'gpu_not_responding' },
        { level: 'critical', text: 'xid', xid: 79 },
        { level: 'critical', text: 'xid', xid: 48 },
      ]),
    );
    expect(recs.map((r) => r.action)).toEqual(['drain']);
    // gpu-xid.yml lists the Xid 79 hint first.
    expect(recs[0]!.why).toMatch(/^Xid 79, the GPU fell off the bus/);
    expect(recs[0]!.finding.xid).toBe(79);
  });

  it('passes escalations through, once per hint', () => {
    const runbook: Pick<Runbook, 'hints'> = {
      hints: [
        {
          when: { finding: 'nccl_unreachable' },
          recommend: 'escalate',
          why: 'Hand over to the network team.',
        },
        { when: { finding: 'nccl_unreachable' }, recommend: 'cordon', why: 'Keep jobs off.' },
      ],
    };
    const recs = recommend(
      runbook,
      report([
        { level: 'critical', text: 'a', kind: 'nccl_unreachable' },
        { level: 'critical', text: 'b', kind: 'nccl_unreachable' },
      ]),
    );
    expect(recs.map((r) => [r.action, r.why])).toEqual([
      ['escalate', 'Hand over to the network team.'],
      ['cordon', 'Keep jobs off.'],
    ]);
  });
});

describe('conditionHolds', () => {
  it('holds on an Xid in the list, or on the finding’s kind, never across the two', () => {
    expect(conditionHolds({ xid: [31, 32] }, { level: 'info', text: '', xid: 32 })).toBe(true);
    expect(conditionHolds({ xid: [31, 32] }, { level: 'info', text: '', xid: 33 })).toBe(false);
    expect(conditionHolds({ xid: [31] }, { level: 'info', text: '', kind: 'oom' })).toBe(false);
    expect(conditionHolds({ finding: 'oom' }, { level: 'info', text: '', kind: 'oom' })).toBe(true);
    expect(conditionHolds({ finding: 'oom' }, { level: 'info', text: '', xid: 31 })).toBe(false);
    expect(conditionHolds({ finding: 'oom' }, { level: 'info', text: '' })).toBe(false);
  });
});

describe('applicableMitigations', () => {
  it('offers the unconditional ones, and a conditional one only when its condition holds', () => {
    const xid79 = analyze('gpu-node-5', { xid: ok(xidLine(79)) }, [], ['xid']);
    expect(applicableMitigations(gpuXid, xid79.findings).map((m) => m.action)).toEqual(['drain', 'cordon']);
    const xid31 = analyze('gpu-node-5', { xid: ok(xidLine(31, 'trainer')) }, [], ['xid']);
    expect(applicableMitigations(gpuXid, xid31.findings).map((m) => m.action)).toEqual([
      'drain',
      'cordon',
      'restart',
    ]);
    expect(applicableMitigations(gpuXid, []).map((m) => m.action)).toEqual(['drain', 'cordon']);
  });

  it('applyRunbook gives both for one report', () => {
    const r = analyze('gpu-node-5', { xid: ok(xidLine(31, 'trainer')) }, [], ['xid']);
    const applied = applyRunbook(gpuXid, r);
    expect(applied.recommendations.map((x) => [x.action, x.container])).toEqual([['restart', 'trainer']]);
    expect(applied.mitigations.map((m) => m.action)).toEqual(['drain', 'cordon', 'restart']);
  });
});
