import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import {
  createKubernetesAdapter,
  type KubernetesAdapterInput,
  type KubernetesNodeAdapter,
  kubernetesAdapterOptions,
} from '../../src/nodes/kubernetes/index.ts';
import { parseOomLines } from '../../src/nodes/parse/dmesg.ts';
import { parseContainerRestarts, parseDockerPs } from '../../src/nodes/parse/docker.ts';
import type { NodeAdapter } from '../../src/nodes/port.ts';
import { parseXidLines } from '../../src/nodes/xid.ts';
import {
  DEFAULT_NOW,
  type FakeKubernetes,
  type FakeKubernetesOptions,
  startFakeKubernetes,
} from '../fakes/kubernetes/index.ts';
import { expectBotError, nodeAdapterContract } from './contract.ts';

const logger = pino({ level: 'silent' });
/** Short waits so PDB retries take milliseconds, not kubectl's 5 s. */
const FAST = { evictionRetrySeconds: 0.01, drainTimeoutSeconds: 5, requestTimeoutSeconds: 5 } as const;

const open: FakeKubernetes[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function setup(
  options: Partial<KubernetesAdapterInput> = {},
  fakeOptions: FakeKubernetesOptions = {},
): Promise<{ fake: FakeKubernetes; k8s: KubernetesNodeAdapter; clock: ManualClock }> {
  const clock = new ManualClock(DEFAULT_NOW);
  const fake = await startFakeKubernetes({ now: () => clock.now(), ...fakeOptions });
  open.push(fake);
  const k8s = createKubernetesAdapter(
    { type: 'kubernetes', name: 'k8s', ...FAST, ...options },
    { clock, logger, kubeConfig: fake.kubeConfig() },
  );
  return { fake, k8s, clock };
}

nodeAdapterContract('kubernetes (fake API server)', async () => {
  const { fake, k8s } = await setup();
  open.splice(open.indexOf(fake), 1);
  // The contract closes the adapter; the fake goes with it.
  const adapter: NodeAdapter = {
    ...k8s,
    close: async () => {
      await k8s.close();
      await fake.close();
    },
  };
  return adapter;
});

describe('kubernetes adapter: nodes', () => {
  it('lists nodes with state from the Ready condition and spec.unschedulable, GPUs from capacity', async () => {
    const { k8s, fake } = await setup();
    expect(k8s.hasNode('k8s-gpu-1')).toBe(false);
    const nodes = await k8s.listNodes();
    expect(nodes.map((n) => [n.name, n.state, n.gpus])).toEqual([
      ['k8s-cpu-1', 'ready', 0],
      ['k8s-gpu-1', 'ready', 8],
      ['k8s-gpu-2', 'ready', 8],
      ['k8s-gpu-3', 'unreachable', 8],
    ]);
    expect(nodes[1]?.labels).toMatchObject({
      pool: 'training',
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
    });
    expect(k8s.hasNode('k8s-gpu-1')).toBe(true);
    expect(fake.requests({ path: '/api/v1/nodes' })[0]).toMatchObject({ method: 'GET', authenticated: true });

    fake.cluster.nodes.get('k8s-gpu-2')!.status.conditions.at(-1).status = 'False';
    fake.cluster.nodes.get('k8s-gpu-1')!.spec.unschedulable = true;
    const again = await k8s.listNodes();
    expect(again.find((n) => n.name === 'k8s-gpu-2')?.state).toBe('not_ready');
    expect(again.find((n) => n.name === 'k8s-gpu-1')?.state).toBe('cordoned');
  });

  it('reports health: GPUs the device plugin withholds as not responding, memory in use from metrics.k8s.io', async () => {
    const { k8s } = await setup();
    const h = await k8s.health('k8s-gpu-2');
    expect(h.state).toBe('ready');
    expect(h.gpus).toHaveLength(8);
    expect(h.gpus.filter((g) => !g.responding).map((g) => g.index)).toEqual([7]);
    expect(h.gpus[0]?.name).toContain('no telemetry');
    expect(h.memoryTotalMiB).toBe(2048 * 1024);
    expect(h.memoryUsedMiB).toBe(1890 * 1024);
    // Ready since 2026-03-12T22:14:00Z.
    expect(h.uptimeSeconds).toBe(
      Math.floor((Date.parse(DEFAULT_NOW) - Date.parse('2026-03-12T22:14:00Z')) / 1000),
    );
    const lost = await k8s.health('k8s-gpu-3');
    expect(lost).toMatchObject({ state: 'unreachable', uptimeSeconds: 0, memoryUsedMiB: 0 });
  });

  it('cordons with a strategic merge patch of spec.unschedulable, as kubectl does', async () => {
    const { k8s, fake } = await setup();
    expect(await k8s.cordon('k8s-gpu-1')).toMatchObject({ ok: true, output: 'node/k8s-gpu-1 cordoned' });
    const [patch] = fake.requests({ method: 'PATCH' });
    expect(patch).toMatchObject({
      path: '/api/v1/nodes/k8s-gpu-1',
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { unschedulable: true } },
      status: 200,
    });
    expect(fake.node('k8s-gpu-1')?.spec.unschedulable).toBe(true);
    expect(await k8s.cordon('k8s-gpu-1')).toMatchObject({ summary: 'k8s-gpu-1 already cordoned' });
    expect(fake.requests({ method: 'PATCH' })).toHaveLength(1);
    await k8s.uncordon('k8s-gpu-1');
    expect(fake.requests({ method: 'PATCH' })[1]?.body).toEqual({ spec: { unschedulable: null } });
    expect(fake.node('k8s-gpu-1')?.spec.unschedulable).toBeUndefined();
  });

  it('the fake refuses a merge body sent as JSON Patch, which is what client-node 1.x sends by default', async () => {
    const { fake } = await setup();
    const core = fake.kubeConfig().makeApiClient(CoreV1Api);
    const err = await core.patchNode({ name: 'k8s-gpu-1', body: { spec: { unschedulable: true } } }).then(
      () => undefined,
      (e: unknown) => e as { code: number },
    );
    expect(err?.code).toBe(400);
    expect(fake.requests({ method: 'PATCH' })[0]?.contentType).toBe('application/json-patch+json');
    expect(fake.node('k8s-gpu-1')?.spec.unschedulable).toBeUndefined();
  });
});

describe('kubernetes adapter: diagnostics from the API', () => {
  it('xid and oom come from node events and container terminations, in lines the dmesg parsers read', async () => {
    const { k8s } = await setup();
    const xid = await k8s.diagnose('k8s-gpu-2', 'xid');
    expect(xid.command).toBe(
      'kubernetes: GET /api/v1/nodes/k8s-gpu-2; GET /api/v1/events?fieldSelector=involvedObject.kind=Node,involvedObject.name=k8s-gpu-2',
    );
    expect(parseXidLines(xid.stdout)).toEqual([
      expect.objectContaining({
        xid: 79,
        pciBus: '0000:9a:00',
        pid: 48211,
        process: 'python3',
        recommendation: 'drain',
      }),
    ]);
    const clean = await k8s.diagnose('k8s-gpu-1', 'xid');
    expect(clean).toMatchObject({ exitCode: 0, stdout: '' });
    expect(clean.stderr).toContain('not proof the node is clean');

    const oom = await k8s.diagnose('k8s-gpu-2', 'oom');
    expect(oom.stdout).toContain('SystemOOM: System OOM encountered, victim process: python3');
    expect(oom.stdout).toContain(
      'OOMKilled: container trainer of ml/llama3-70b-pretrain-1 hit its memory limit (exit 137',
    );
    expect(parseOomLines(oom.stdout)).toEqual([]);
  });

  it('containers and container-restarts read like docker ps / docker inspect', async () => {
    const { k8s } = await setup();
    const ps = parseDockerPs((await k8s.diagnose('k8s-gpu-2', 'containers')).stdout);
    expect(ps.find((c) => c.name === 'ml/vllm-llama3-8b-7d4b9c6f5d-p4m7q/vllm')).toMatchObject({
      state: 'restarting',
      exitCode: 1,
      status: 'Restarting (1) 5 seconds ago',
    });
    expect(ps.find((c) => c.name === 'ml/llama3-70b-pretrain-1/trainer')?.status).toBe('Up 46 minutes');
    const restarts = parseContainerRestarts((await k8s.diagnose('k8s-gpu-2', 'container-restarts')).stdout);
    expect(restarts).toContainEqual({
      name: 'ml/vllm-llama3-8b-7d4b9c6f5d-p4m7q/vllm',
      restartCount: 12,
      lastExitCode: 1,
    });
    expect(restarts).toContainEqual({
      name: 'ml/llama3-70b-pretrain-1/trainer',
      restartCount: 3,
      lastExitCode: 137,
    });
  });

  it('gpu, memory, uptime and nccl-port say what the API knows and what it cannot', async () => {
    const { k8s, fake } = await setup();
    const gpu = await k8s.diagnose('k8s-gpu-2', 'gpu');
    expect(gpu.stdout).toContain(
      'nvidia.com/gpu: capacity 8, allocatable 7: the device plugin withholds 1 GPU',
    );
    expect(gpu.stdout).toContain('model NVIDIA-H100-80GB-HBM3');
    expect(gpu.stdout).toMatch(/GPUs requested by pods: 6 of 7/);
    expect(gpu.stderr).toContain('not in the Kubernetes API');

    const memory = await k8s.diagnose('k8s-gpu-1', 'memory');
    expect(memory.stdout).toContain(
      'capacity 2.0Ti, allocatable 2.0Ti (16Gi reserved for the system and kubelet)',
    );
    expect(memory.stdout).toContain('in use 1.2Ti (59% of capacity), working set from metrics.k8s.io');
    fake.cluster.metricsServer = false;
    expect((await k8s.diagnose('k8s-gpu-1', 'memory')).stderr).toContain(
      'memory in use: unknown (metrics.k8s.io is not served',
    );

    const up = await k8s.diagnose('k8s-gpu-3', 'uptime');
    expect(up.stdout).toContain('Ready=Unknown since 2026-03-14T09:12:10Z (14 minutes): NodeStatusUnknown');
    expect(up.stdout).toContain('last kubelet heartbeat 2026-03-14T09:11:02Z (15 minutes ago)');

    const nccl = await k8s.diagnose('k8s-gpu-1', 'nccl-port');
    expect(nccl).toMatchObject({ exitCode: 0 });
    expect(nccl.stdout).toContain('ml/llama3-70b-pretrain-0/trainer declares containerPort 29500/TCP');
    expect((await k8s.diagnose('k8s-cpu-1', 'nccl-port')).exitCode).toBe(1);
  });
});

describe('kubernetes adapter: drain', () => {
  it('plans: DaemonSet, mirror, bare and finished pods stay, with reasons; emptyDir is warned about', async () => {
    const { k8s } = await setup();
    const plan = await k8s.planDrain('k8s-gpu-1');
    expect(plan.evict.map((w) => w.id)).toEqual([
      'ml/llama3-70b-pretrain-0',
      'ml/vllm-llama3-8b-7d4b9c6f5d-x2x9z',
    ]);
    const reasons = Object.fromEntries(plan.skip.map((s) => [s.workload.id, s.reason]));
    expect(reasons['kube-system/nvidia-device-plugin-daemonset-g1q8w']).toMatch(/^DaemonSet pod/);
    expect(reasons['monitoring/dcgm-exporter-g1q8w']).toMatch(/^DaemonSet pod/);
    expect(reasons['kube-system/gpu-health-agent-k8s-gpu-1']).toMatch(/^static \(mirror\) pod/);
    expect(reasons['ml/debug-shell']).toMatch(/^no controller/);
    expect(reasons['ml/data-prep-29541120-kx8vd']).toMatch(/^finished \(Succeeded\)/);
    expect(plan.skip.filter((s) => s.workload.system).map((s) => s.workload.id)).toHaveLength(3);
    expect(plan.warnings).toEqual([expect.stringContaining('ml/llama3-70b-pretrain-0 uses emptyDir (dshm)')]);
  });

  it('cordons, evicts through the Eviction API, retries a PDB-blocked eviction until it passes, skips the rest', async () => {
    const { k8s, fake } = await setup();
    const result = await k8s.drain('k8s-gpu-1');

    expect(result.ok).toBe(true);
    expect(result.summary).toBe('Drained k8s-gpu-1: 2 evicted, 5 left in place');
    expect(result.output).toContain(
      'pod ml/vllm-llama3-8b-7d4b9c6f5d-x2x9z evicted (a PodDisruptionBudget refused it 2 times first)',
    );
    expect(result.output).toContain('warning: ml/llama3-70b-pretrain-0 uses emptyDir');
    const evictions = fake.requests({ method: 'POST', path: /\/eviction$/ });
    const vllm = evictions.filter((r) => r.path.includes('vllm'));
    expect(vllm.map((r) => r.status)).toEqual([429, 429, 201]);
    expect(vllm[0]?.body).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'vllm-llama3-8b-7d4b9c6f5d-x2x9z', namespace: 'ml' },
    });
    // Only the two evictable pods were ever asked for; DaemonSet and mirror pods never.
    expect(new Set(evictions.map((r) => r.path))).toEqual(
      new Set([
        '/api/v1/namespaces/ml/pods/vllm-llama3-8b-7d4b9c6f5d-x2x9z/eviction',
        '/api/v1/namespaces/ml/pods/llama3-70b-pretrain-0/eviction',
      ]),
    );
    expect(fake.requests({ method: 'DELETE' })).toEqual([]);
    // The cordon came first, so the replacements went elsewhere.
    expect(fake.requests({ method: 'PATCH' })[0]?.path).toBe('/api/v1/nodes/k8s-gpu-1');
    expect(fake.node('k8s-gpu-1')?.spec.unschedulable).toBe(true);
    const left = fake.podsOn('k8s-gpu-1').map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    expect(left.sort()).toEqual([
      'kube-system/gpu-health-agent-k8s-gpu-1',
      'kube-system/nvidia-device-plugin-daemonset-g1q8w',
      'ml/data-prep-29541120-kx8vd',
      'ml/debug-shell',
      'monitoring/dcgm-exporter-g1q8w',
    ]);
    expect(fake.pod('ml', 'llama3-70b-pretrain-0')?.spec.nodeName).not.toBe('k8s-gpu-1');
  });

  it('reports a pod a PodDisruptionBudget never lets go as blocked, after drainTimeoutSeconds', async () => {
    const { k8s, fake } = await setup({ drainTimeoutSeconds: 1, evictionRetrySeconds: 0.2 });
    fake.cluster.pdbs[0]!.blocksLeft = Number.POSITIVE_INFINITY;
    const started = Date.now();
    const result = await k8s.drain('k8s-gpu-1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      'Drain incomplete on k8s-gpu-1: 1 evicted, 1 blocked by a PodDisruptionBudget, 5 left in place',
    );
    expect(result.output).toContain(
      "pod ml/vllm-llama3-8b-7d4b9c6f5d-x2x9z NOT evicted: Cannot evict pod as it would violate the pod's disruption budget.",
    );
    expect(fake.pod('ml', 'vllm-llama3-8b-7d4b9c6f5d-x2x9z')?.spec.nodeName).toBe('k8s-gpu-1');
    expect(fake.requests({ path: /x2x9z\/eviction$/ }).length).toBeGreaterThanOrEqual(4);
  });

  it('waits for evicted pods to finish terminating', async () => {
    const { k8s, fake } = await setup({ evictionRetrySeconds: 0.05 }, { terminationDelayMs: 150 });
    fake.cluster.pdbs[0]!.blocksLeft = 0;
    const result = await k8s.drain('k8s-gpu-1');
    expect(result.ok).toBe(true);
    expect(result.output).not.toContain('still terminating');
    expect(fake.requests({ method: 'GET', path: '/api/v1/pods' }).length).toBeGreaterThanOrEqual(3);
    expect(fake.pod('ml', 'vllm-llama3-8b-7d4b9c6f5d-x2x9z')).toBeUndefined();
  });

  it('does not wait out the timeout for pods on a node whose kubelet is gone', async () => {
    const { k8s, fake } = await setup({ drainTimeoutSeconds: 30 }, { terminationDelayMs: 60_000 });
    const started = Date.now();
    const result = await k8s.drain('k8s-gpu-3');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ ok: true, summary: 'Drained k8s-gpu-3: 1 evicted, 2 left in place' });
    expect(result.output).toContain(
      'not waiting for evicted pods to terminate: the kubelet of k8s-gpu-3 is not Ready',
    );
    expect(fake.pod('ml', 'triton-embeddings-6c9f7b8d4-qq7lt')?.metadata.deletionTimestamp).toBe(DEFAULT_NOW);
  });

  it('a drain the API refuses for RBAC says which permission is missing, as a failed result', async () => {
    const { k8s, fake } = await setup();
    fake.forbid({ verb: 'create', resource: 'pods/eviction' });
    const result = await k8s.drain('k8s-gpu-1');
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('2 failed');
    expect(result.output).toContain('lacks the RBAC permission "create pods/eviction"');
    expect(result.output).toContain(
      'cannot create resource "pods/eviction" in API group "" in the namespace "ml"',
    );
  });
});

describe('kubernetes adapter: restart and stop', () => {
  it('restart of a Deployment pod is a rollout restart: the restartedAt annotation on the Deployment', async () => {
    const { k8s, fake } = await setup();
    const result = await k8s.restartWorkload('ml/vllm-llama3-8b-7d4b9c6f5d-p4m7q');
    expect(result).toEqual({
      ok: true,
      summary: 'Rollout restart of deployment ml/vllm-llama3-8b: its 2 pods are replaced one by one',
      output: 'deployment.apps/vllm-llama3-8b restarted',
    });
    expect(fake.requests().map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/namespaces/ml/pods/vllm-llama3-8b-7d4b9c6f5d-p4m7q',
      'GET /apis/apps/v1/namespaces/ml/replicasets/vllm-llama3-8b-7d4b9c6f5d',
      'GET /apis/apps/v1/namespaces/ml/deployments/vllm-llama3-8b',
      'PATCH /apis/apps/v1/namespaces/ml/deployments/vllm-llama3-8b',
    ]);
    expect(fake.requests({ method: 'PATCH' })[0]).toMatchObject({
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldManager: 'incident-bot' },
      body: {
        spec: {
          template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': DEFAULT_NOW } } },
        },
      },
    });
    const deployment = fake.workload('deployments', 'ml', 'vllm-llama3-8b');
    expect(deployment?.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBe(
      DEFAULT_NOW,
    );
    expect(deployment?.metadata.generation).toBe(2);
  });

  it('restarts a StatefulSet pod through its StatefulSet, refuses a paused Deployment, a bare and a static pod', async () => {
    const { k8s, fake } = await setup();
    expect((await k8s.restartWorkload('ml/llama3-70b-pretrain-0')).summary).toBe(
      'Rollout restart of statefulset ml/llama3-70b-pretrain: its 2 pods are replaced one by one',
    );
    expect(
      fake.workload('statefulsets', 'ml', 'llama3-70b-pretrain')?.spec.template.metadata.annotations[
        'kubectl.kubernetes.io/restartedAt'
      ],
    ).toBe(DEFAULT_NOW);

    fake.cluster.apps.deployments.get('ml/vllm-llama3-8b')!.spec.paused = true;
    expect(await k8s.restartWorkload('ml/vllm-llama3-8b-7d4b9c6f5d-x2x9z')).toMatchObject({
      ok: false,
      output:
        "error: deployment.apps/vllm-llama3-8b: can't restart paused deployment (run rollout resume first)",
    });
    expect(await k8s.restartWorkload('ml/debug-shell')).toMatchObject({
      ok: false,
      summary: expect.stringContaining('has no controller'),
    });
    expect(await k8s.restartWorkload('kube-system/gpu-health-agent-k8s-gpu-1')).toMatchObject({ ok: false });
    expect(fake.requests({ method: 'PATCH', path: 'deployments' })).toEqual([]);
    expect(fake.requests({ method: 'DELETE' })).toEqual([]);
  });

  it('restart of a DaemonSet pod deletes that pod; its DaemonSet recreates it on the node', async () => {
    const { k8s, fake } = await setup();
    const result = await k8s.restartWorkload('monitoring/dcgm-exporter-g2m4n');
    expect(result.ok).toBe(true);
    expect(result.summary).toContain('DaemonSet dcgm-exporter creates a fresh one on the same node');
    expect(fake.requests({ method: 'DELETE' }).map((r) => r.path)).toEqual([
      '/api/v1/namespaces/monitoring/pods/dcgm-exporter-g2m4n',
    ]);
    expect(fake.podsOn('k8s-gpu-2').filter((p) => p.metadata.name.startsWith('dcgm-exporter-'))).toHaveLength(
      1,
    );
  });

  it('stop deletes one pod and says its controller will replace it; DaemonSet and static pods are refused', async () => {
    const { k8s, fake } = await setup();
    const result = await k8s.stopWorkload('ml/vllm-llama3-8b-7d4b9c6f5d-p4m7q');
    expect(result.ok).toBe(true);
    expect(result.summary).toContain('its ReplicaSet vllm-llama3-8b-7d4b9c6f5d will start a replacement');
    expect(fake.pod('ml', 'vllm-llama3-8b-7d4b9c6f5d-p4m7q')).toBeUndefined();
    expect(await k8s.stopWorkload('ml/debug-shell')).toMatchObject({
      ok: true,
      summary: 'Stopped ml/debug-shell',
    });
    expect(await k8s.stopWorkload('kube-system/nvidia-device-plugin-daemonset-g1q8w')).toMatchObject({
      ok: false,
    });
    expect(await k8s.stopWorkload('kube-system/gpu-health-agent-k8s-gpu-1')).toMatchObject({ ok: false });
    expect(fake.requests({ method: 'DELETE' })).toHaveLength(2);
    // Scaling was never on the table.
    expect(fake.requests({ method: 'PATCH' })).toEqual([]);
  });

  it('workload ids are <namespace>/<pod>; anything else is an unknown workload', async () => {
    const { k8s, fake } = await setup();
    for (const id of ['k8s-gpu-1/vllm', 'ml', 'ml/a/b', 'ML/x', 'ml/no-such-pod']) {
      const err = await expectBotError(k8s.restartWorkload(id), 'bot.workload.unknown');
      expect(err.hint).toContain('<namespace>/<pod>');
    }
    // Only ids shaped like <namespace>/<pod> are looked up at all.
    expect(fake.requests().map((r) => r.path)).toEqual([
      '/api/v1/namespaces/k8s-gpu-1/pods/vllm',
      '/api/v1/namespaces/ml/pods/no-such-pod',
    ]);
  });
});

describe('kubernetes adapter: logs', () => {
  const RUNNING = 'ml/vllm-llama3-8b-7d4b9c6f5d-x2x9z';
  const CRASHING = 'ml/vllm-llama3-8b-7d4b9c6f5d-p4m7q';

  it('reads the last lines of the pod’s container with tailLines, as kubectl logs --tail does', async () => {
    const { k8s, fake } = await setup();
    expect(k8s.capabilities.has('logs')).toBe(true);
    const r = await k8s.workloadLogs(RUNNING, 2);
    expect(r).toMatchObject({
      command:
        'kubernetes: GET /api/v1/namespaces/ml/pods/vllm-llama3-8b-7d4b9c6f5d-x2x9z; GET /api/v1/namespaces/ml/pods/vllm-llama3-8b-7d4b9c6f5d-x2x9z/log?container=vllm&tailLines=2',
      exitCode: 0,
      stderr: '',
    });
    expect(r.stdout.split('\n')).toEqual([
      'INFO:     10.0.3.17:52114 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
      expect.stringContaining('metrics.py:295] Avg prompt throughput'),
      '',
    ]);
    expect(fake.requests({ path: /\/log$/ })).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/api/v1/namespaces/ml/pods/vllm-llama3-8b-7d4b9c6f5d-x2x9z/log',
        query: { container: 'vllm', tailLines: '2' },
        status: 200,
      }),
    ]);
    // A container that printed nothing: an empty log, not an error.
    expect(await k8s.workloadLogs('ml/debug-shell', 10)).toMatchObject({ exitCode: 0, stdout: '' });
  });

  it('reads the previous run of a container waiting in CrashLoopBackOff, and says so', async () => {
    const { k8s, fake } = await setup();
    const r = await k8s.workloadLogs(CRASHING, 50);
    expect(r.exitCode).toBe(0);
    expect(r.command).toMatch(/log\?container=vllm&tailLines=50&previous=true$/);
    expect(r.stdout).toMatch(/RuntimeError: CUDA error: unknown error\n/);
    expect(r.stderr).toBe(
      'container vllm is waiting to start again (CrashLoopBackOff); this is the log of its previous run, which exited 1 (Error) at 2026-03-14T09:26:48.000Z\n',
    );
    expect(fake.requests({ path: /\/log$/ })[0]?.query).toEqual({
      container: 'vllm',
      tailLines: '50',
      previous: 'true',
    });
  });

  it('reads the default container of a pod with several, and names the others', async () => {
    const { k8s, fake } = await setup(
      {},
      {
        nodes: [{ name: 'k8s-gpu-1', gpus: 8 }],
        pods: [
          {
            namespace: 'ml',
            name: 'triton-0',
            node: 'k8s-gpu-1',
            containers: [
              { name: 'istio-proxy', log: ['envoy ready'] },
              {
                name: 'triton',
                log: ['I0314 09:00:00.000000 1 grpc_server.cc:2495] Started GRPCInferenceService'],
              },
            ],
          },
        ],
      },
    );
    const first = await k8s.workloadLogs('ml/triton-0', 10);
    expect(first.stdout).toBe('envoy ready\n');
    expect(first.stderr).toBe("pod ml/triton-0 has 2 containers; this is istio-proxy's log, not triton's\n");
    fake.cluster.pods.get('ml/triton-0')!.metadata.annotations = {
      'kubectl.kubernetes.io/default-container': 'triton',
    };
    const annotated = await k8s.workloadLogs('ml/triton-0', 10);
    expect(annotated.stdout).toMatch(/Started GRPCInferenceService\n$/);
    expect(annotated.command).toContain('container=triton&');
  });

  it('a container that has not started is a result with exit 1 and the API’s words, as kubectl prints them', async () => {
    const { k8s } = await setup(
      {},
      {
        nodes: [{ name: 'k8s-gpu-1', gpus: 8 }],
        pods: [
          {
            namespace: 'ml',
            name: 'pulling',
            node: 'k8s-gpu-1',
            containers: [{ name: 'app', state: 'waiting', waitingReason: 'ContainerCreating' }],
          },
        ],
      },
    );
    expect(await k8s.workloadLogs('ml/pulling', 10)).toMatchObject({
      exitCode: 1,
      stdout: '',
      stderr:
        'Error from server (BadRequest): container "app" in pod "pulling" is waiting to start: ContainerCreating\n',
    });
  });

  it('unknown pods, other namespaces, a tail out of range and a missing RBAC rule are coded errors', async () => {
    const { k8s, fake } = await setup({ namespace: 'ml' });
    await expectBotError(k8s.workloadLogs('ml/no-such-pod', 10), 'bot.workload.unknown');
    await expectBotError(
      k8s.workloadLogs('kube-system/coredns-5d78c9869d-mb2sx', 10),
      'bot.workload.unknown',
    );
    await expectBotError(k8s.workloadLogs('no-slash', 10), 'bot.workload.unknown');
    fake.clearRequests();
    await expectBotError(k8s.workloadLogs(RUNNING, 0), 'bot.workload.invalid_tail');
    await expectBotError(k8s.workloadLogs(RUNNING, 1001), 'bot.workload.invalid_tail');
    expect(fake.requests()).toEqual([]);
    fake.forbid({ verb: 'get', resource: 'pods/log' });
    const err = await expectBotError(k8s.workloadLogs(RUNNING, 10), 'bot.node.forbidden');
    expect(err.message).toContain('"get pods/log"');
  });
});

describe('kubernetes adapter: errors and limits', () => {
  it('403 names the RBAC permission and quotes the API server', async () => {
    const { k8s, fake } = await setup();
    fake.forbid({ verb: 'patch', resource: 'nodes' });
    const err = await expectBotError(k8s.cordon('k8s-gpu-1'), 'bot.node.forbidden');
    expect(err.message).toBe(
      'Cordon of k8s-gpu-1 was refused: the bot\'s Kubernetes identity lacks the RBAC permission "patch nodes". Kubernetes said: nodes "k8s-gpu-1" is forbidden: User "system:serviceaccount:ops:incident-bot" cannot patch resource "nodes" in API group "" at the cluster scope',
    );
    expect(err.hint).toContain('verb "patch" on resource "nodes" (core API group)');

    fake.forbid({ verb: 'patch', resource: 'deployments' });
    const apps = await expectBotError(
      k8s.restartWorkload('ml/vllm-llama3-8b-7d4b9c6f5d-p4m7q'),
      'bot.node.forbidden',
    );
    expect(apps.message).toContain('"patch deployments.apps"');
    expect(apps.hint).toContain('(API group "apps")');
  });

  it('an API server that is not there is bot.node.unreachable', async () => {
    const { k8s, fake } = await setup();
    await fake.close();
    open.splice(open.indexOf(fake), 1);
    const err = await expectBotError(k8s.listNodes(), 'bot.node.unreachable');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain(fake.url);
    await expectBotError(k8s.cordon('k8s-gpu-1'), 'bot.node.unreachable');
  });

  it('a request that hangs is bot.node.timeout after requestTimeoutSeconds', async () => {
    const { k8s, fake } = await setup({ requestTimeoutSeconds: 0.2 });
    fake.failNext({ hang: true });
    const started = Date.now();
    const err = await expectBotError(k8s.health('k8s-gpu-1'), 'bot.node.timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.message).toContain('did not answer within 0.2 s');
  });

  it('an abort while a request is in flight is bot.node.aborted, at once', async () => {
    const { k8s, fake } = await setup();
    fake.failNext({ delayMs: 3000 });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 20);
    await expectBotError(k8s.listNodes({ signal: ac.signal }), 'bot.node.aborted');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('an abort during the PDB retries stops the drain', async () => {
    const { k8s, fake } = await setup({ evictionRetrySeconds: 5 });
    fake.cluster.pdbs[0]!.blocksLeft = Number.POSITIVE_INFINITY;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    await expectBotError(k8s.drain('k8s-gpu-1', { signal: ac.signal }), 'bot.node.aborted');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a wrong token is bot.node.unauthorized; other API errors carry the Status message', async () => {
    const { fake } = await setup();
    const clock = new ManualClock(DEFAULT_NOW);
    const bad = createKubernetesAdapter(
      { type: 'kubernetes', ...FAST },
      { clock, logger, kubeConfig: fake.kubeConfig({ token: 'stolen' }) },
    );
    await expectBotError(bad.listNodes(), 'bot.node.unauthorized');

    const { k8s } = await setup();
    const other = open.at(-1)!;
    other.failNext({ status: 503, message: 'etcdserver: request timed out' });
    const err = await expectBotError(k8s.listNodes(), 'bot.node.api_error');
    expect(err.message).toBe(
      'Listing nodes failed: the Kubernetes API answered 503: etcdserver: request timed out.',
    );
  });

  it('namespace limits workloads, drains and restarts to one namespace', async () => {
    const { k8s, fake } = await setup({ namespace: 'ml' });
    const ids = (await k8s.listWorkloads('k8s-gpu-1')).map((w) => w.id);
    expect(ids.every((id) => id.startsWith('ml/'))).toBe(true);
    expect(fake.requests({ path: '/pods' }).map((r) => [r.path, r.query.fieldSelector])).toEqual([
      ['/api/v1/namespaces/ml/pods', 'spec.nodeName=k8s-gpu-1'],
    ]);
    await expectBotError(k8s.stopWorkload('kube-system/coredns-5d78c9869d-mb2sx'), 'bot.workload.unknown');
    const result = await k8s.drain('k8s-gpu-1');
    expect(result.output).toContain('only namespace ml was drained');
    expect(fake.pod('monitoring', 'dcgm-exporter-g1q8w')).toBeDefined();
  });
});

describe('kubernetes adapter: options', () => {
  it('applies defaults and rejects unknown keys', () => {
    expect(kubernetesAdapterOptions.parse({ type: 'kubernetes' })).toEqual({
      type: 'kubernetes',
      name: 'kubernetes',
      drainTimeoutSeconds: 300,
      evictionRetrySeconds: 5,
      requestTimeoutSeconds: 20,
    });
    expect(kubernetesAdapterOptions.safeParse({ type: 'kubernetes', kubeConfig: 'x' }).success).toBe(false);
    expect(
      kubernetesAdapterOptions.safeParse({ type: 'kubernetes', namespace: 'Not_A_Namespace' }).success,
    ).toBe(false);
  });

  it('loads a kubeconfig file and the named context; an unknown context is a clear error', async () => {
    const { fake } = await setup();
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    try {
      const path = join(dir, 'config');
      writeFileSync(path, fake.kubeconfigYaml());
      const clock = new ManualClock(DEFAULT_NOW);
      const k8s = createKubernetesAdapter(
        { type: 'kubernetes', kubeconfig: path, context: 'fake', ...FAST },
        { clock, logger },
      );
      expect((await k8s.listNodes()).length).toBe(4);

      let thrown: unknown;
      try {
        createKubernetesAdapter({ type: 'kubernetes', kubeconfig: path, context: 'prod' }, { clock, logger });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: 'bot.node.kubeconfig', hint: 'Contexts in it: fake, other.' });
      expect(() =>
        createKubernetesAdapter({ type: 'kubernetes', kubeconfig: join(dir, 'missing') }, { clock, logger }),
      ).toThrow(/cannot load the kubeconfig/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
