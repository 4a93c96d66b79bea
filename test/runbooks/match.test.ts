import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchRunbook, matchScore } from '../../src/runbooks/match.ts';
import type { Runbook } from '../../src/runbooks/schema.ts';

type M = Pick<Runbook, 'name' | 'match'>;
const rb = (name: string, alertname: string | string[], labels?: Record<string, string | string[]>): M => ({
  name,
  match: labels ? { alertname, labels } : { alertname },
});

const RUNBOOKS: M[] = [
  rb('gpu-xid', ['GPUXidError', 'DCGM_FI_DEV_XID_ERRORS']),
  rb('gpu-xid-a100', 'GPUXidError', { gpu_model: ['A100', 'A100-SXM4-80GB'] }),
  rb('gpu-xid-a100-prod', 'GPUXidError', { gpu_model: 'A100', env: 'prod' }),
  rb('crash-loop', ['KubePodCrashLooping', 'ContainerCrashLooping']),
  rb('model-server-crash-loop', 'KubePodCrashLooping', { container: ['triton', 'vllm'] }),
  rb('heartbeat', ['HeartbeatStalled', 'HeartbeatFailureRate']),
];

const pick = (labels: Record<string, string>, runbooks = RUNBOOKS) =>
  matchRunbook(runbooks, { labels })?.name;

describe('matchRunbook', () => {
  it('matches the alertname exactly', () => {
    expect(pick({ alertname: 'DCGM_FI_DEV_XID_ERRORS', Hostname: 'gpu-node-5' })).toBe('gpu-xid');
    expect(pick({ alertname: 'HeartbeatFailureRate' })).toBe('heartbeat');
    expect(pick({ alertname: 'HeartbeatStalled' })).toBe('heartbeat');
    expect(pick({ alertname: 'heartbeatstalled' })).toBeUndefined();
    expect(pick({ alertname: 'HeartbeatStalledX' })).toBeUndefined();
  });

  it('returns undefined for an unknown alertname, or none at all', () => {
    expect(pick({ alertname: 'DiskFull', node: 'gpu-node-1' })).toBeUndefined();
    expect(pick({ node: 'gpu-node-1' })).toBeUndefined();
    expect(matchRunbook([], { labels: { alertname: 'GPUXidError' } })).toBeUndefined();
  });

  it('prefers the runbook matching the most labels', () => {
    expect(pick({ alertname: 'GPUXidError' })).toBe('gpu-xid');
    expect(pick({ alertname: 'GPUXidError', gpu_model: 'A100-SXM4-80GB' })).toBe('gpu-xid-a100');
    expect(pick({ alertname: 'GPUXidError', gpu_model: 'A100', env: 'staging' })).toBe('gpu-xid-a100');
    expect(pick({ alertname: 'GPUXidError', gpu_model: 'A100', env: 'prod' })).toBe('gpu-xid-a100-prod');
    expect(pick({ alertname: 'GPUXidError', gpu_model: 'H100', env: 'prod' })).toBe('gpu-xid');
    expect(pick({ alertname: 'KubePodCrashLooping', container: 'vllm', namespace: 'serving' })).toBe(
      'model-server-crash-loop',
    );
    expect(pick({ alertname: 'KubePodCrashLooping', container: 'api' })).toBe('crash-loop');
    expect(pick({ alertname: 'ContainerCrashLooping', container: 'triton' })).toBe('crash-loop');
  });

  it('a runbook asking for a label the alert lacks does not match', () => {
    const only = [rb('needs-env', 'GPUXidError', { env: 'prod' })];
    expect(pick({ alertname: 'GPUXidError' }, only)).toBeUndefined();
    expect(matchScore(only[0]!, { labels: { alertname: 'GPUXidError', env: 'prod' } })).toBe(1);
    // Inherited properties are not labels.
    const proto = [rb('proto', 'A', { toString: 'x' })];
    expect(pick({ alertname: 'A' }, proto)).toBeUndefined();
  });

  it('ties go to the runbook naming fewer alertnames, then to the first name', () => {
    const tied = [rb('b', 'X'), rb('a', ['X', 'Y']), rb('c', 'X')];
    expect(pick({ alertname: 'X' }, tied)).toBe('b');
    expect(pick({ alertname: 'Y' }, tied)).toBe('a');
  });

  it('does not depend on the order of the runbooks', () => {
    const alerts = fc.record({
      alertname: fc.constantFrom('GPUXidError', 'KubePodCrashLooping', 'HeartbeatStalled', 'Nope'),
      gpu_model: fc.constantFrom('A100', 'H100'),
      env: fc.constantFrom('prod', 'dev'),
      container: fc.constantFrom('triton', 'api'),
    });
    fc.assert(
      fc.property(fc.shuffledSubarray(RUNBOOKS), alerts, (subset, labels) => {
        const name = matchRunbook(subset, { labels })?.name;
        expect(matchRunbook([...subset].reverse(), { labels })?.name).toBe(name);
      }),
    );
  });
});
