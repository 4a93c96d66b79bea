import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { XID_TABLE } from '../../src/nodes/xid.ts';
import { checkRunbookDir, loadRunbooks } from '../../src/runbooks/loader.ts';
import { matchRunbook } from '../../src/runbooks/match.ts';
import { alertnames, escalateAfterMs } from '../../src/runbooks/schema.ts';
import { RUNBOOK_DIR } from './helpers.ts';

const runbooks = loadRunbooks(RUNBOOK_DIR);

describe('shipped runbooks', () => {
  const files = readdirSync(RUNBOOK_DIR).filter((f) => /\.ya?ml$/.test(f));

  it.each(files)('%s validates', (file) => {
    const check = checkRunbookDir(RUNBOOK_DIR).find((c) => c.file.endsWith(`/${file}`));
    expect(check?.problems).toEqual([]);
    expect(check?.runbook?.file.endsWith(file)).toBe(true);
  });

  it('all load, with unique names', () => {
    expect(runbooks).toHaveLength(files.length);
    expect(new Set(runbooks.map((r) => r.name)).size).toBe(runbooks.length);
  });

  it('cover every alert of the orchestrator runbook and the common GPU fleet alerts', () => {
    const covered = new Set(runbooks.flatMap((r) => alertnames(r)));
    for (const name of [
      'GPUXidError',
      'DCGM_FI_DEV_XID_ERRORS',
      'NodeOOMKill',
      'NCCLTimeout',
      'KubePodCrashLooping',
      'NoNodesOnline',
      'LowNodeAvailability',
      'NoPoolsAvailable',
      'HeartbeatStalled',
      'HeartbeatFailureRate',
      'HighHealthCheckLatency',
      'HandoffProcessingStalled',
      'HighRegistrationFailureRate',
      'ModelServerUnavailable',
      'InferenceHighLatency',
      'InferenceHighErrorRate',
      'GPUOutOfMemory',
    ]) {
      expect(covered, name).toContain(name);
    }
  });

  it('no two runbooks tie for the same alert', () => {
    // The same alertname may appear twice only when label constraints tell the runbooks apart.
    const seen = new Map<string, string>();
    for (const r of runbooks) {
      if (r.match.labels && Object.keys(r.match.labels).length > 0) continue;
      for (const a of alertnames(r)) {
        expect(seen.get(a), `${a} in ${r.name}`).toBeUndefined();
        seen.set(a, r.name);
      }
    }
  });

  it('gpu-xid recommends a drain for Xid 79 and agrees with the Xid table', () => {
    const xid = runbooks.find((r) => r.name === 'gpu-xid')!;
    expect(xid.diagnostics).toContain('xid');
    const hint79 = xid.hints.find((h) => h.when.xid?.includes(79));
    expect(hint79?.recommend).toBe('drain');
    expect(xid.mitigations.some((m) => m.action === 'drain' && m.target === 'node')).toBe(true);
    for (const h of xid.hints) {
      for (const n of h.when.xid ?? []) {
        const table = XID_TABLE[n]?.recommendation;
        // The bot's way to free a GPU for a reset, or a node for a reboot, is a drain.
        const expected = table && ['migrate', 'reset', 'reboot'].includes(table) ? 'drain' : table;
        expect(h.recommend, `Xid ${n}`).toBe(expected);
      }
    }
  });

  it("dcgm-exporter's alerts get their runbook: the Xid one, and the health one beside it", () => {
    const labels = { gpu: '2', UUID: 'GPU-40e66066-41e6-61f9-3ee6-5d403fe65ed3', Hostname: 'gpu-node-9' };
    expect(matchRunbook(runbooks, { labels: { alertname: 'DCGM_FI_DEV_XID_ERRORS', ...labels } })?.name).toBe(
      'gpu-xid',
    );
    for (const alertname of [
      'DCGM_FI_DEV_ROW_REMAP_FAILURE',
      'DCGM_FI_DEV_ROW_REMAP_PENDING',
      'DCGM_FI_DEV_THERMAL_VIOLATION',
    ]) {
      expect(matchRunbook(runbooks, { labels: { alertname, ...labels } })?.name, alertname).toBe(
        'dcgm-health',
      );
    }
    const health = runbooks.find((r) => r.name === 'dcgm-health')!;
    expect(health.diagnostics).toEqual(expect.arrayContaining(['gpu-health', 'gpu-remap', 'nvlink']));
    const hinted = health.hints.map((h) => h.when.finding);
    for (const f of [
      'row_remap_failure',
      'row_remap_pending',
      'thermal_throttle',
      'nvlink_down',
      'gpu_missing',
    ])
      expect(hinted, f).toContain(f);
  });

  it('severities follow the orchestrator runbook: critical outages are SEV1', () => {
    const sev = (name: string) => runbooks.find((r) => r.name === name)?.severity;
    expect(sev('no-nodes-online')).toBe('SEV1');
    expect(sev('no-pools-available')).toBe('SEV1');
    expect(sev('low-node-availability')).toBe('SEV3');
    expect(escalateAfterMs(runbooks.find((r) => r.name === 'no-nodes-online')!)).toBe(5 * 60_000);
  });

  it('a crash-looping Triton pod gets the model server runbook, any other pod the generic one', () => {
    expect(
      matchRunbook(runbooks, { labels: { alertname: 'KubePodCrashLooping', container: 'triton' } })?.name,
    ).toBe('model-server-crash-loop');
    expect(
      matchRunbook(runbooks, { labels: { alertname: 'KubePodCrashLooping', container: 'api' } })?.name,
    ).toBe('crash-loop');
    expect(matchRunbook(runbooks, { labels: { alertname: 'HeartbeatFailureRate' } })?.name).toBe('heartbeat');
    expect(matchRunbook(runbooks, { labels: { alertname: 'HeartbeatStalled' } })?.name).toBe('heartbeat');
    expect(
      matchRunbook(runbooks, { labels: { alertname: 'DCGM_FI_DEV_XID_ERRORS', Hostname: 'gpu-node-5' } })
        ?.name,
    ).toBe('gpu-xid');
  });
});
