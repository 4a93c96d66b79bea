import type { EventSpec, NodeSpec, PdbSpec, PodSpec, WorkloadSpec } from './builders.ts';

/**
 * The default cluster, timed against `DEFAULT_NOW`:
 *
 * - k8s-cpu-1: Ready, no GPUs; coredns (Deployment → ReplicaSet → Pod) and the DaemonSet agents.
 * - k8s-gpu-1: Ready, 8 × H100; vllm-llama3-8b replica (Deployment → ReplicaSet → Pod, behind a
 *   PodDisruptionBudget that refuses the first 2 evictions), llama3-70b-pretrain-0 (StatefulSet,
 *   4 GPUs, /dev/shm emptyDir, NCCL port 29500), a bare debug pod, a finished Job pod, a static
 *   (mirror) pod, and DaemonSet agents (nvidia-device-plugin, dcgm-exporter).
 * - k8s-gpu-2: Ready, 8 GPUs but 7 allocatable (the device plugin withholds one after an Xid 79
 *   that node-problem-detector reported as a node event); the second vllm replica crash-loops
 *   (12 restarts, last exit 1); pretrain-1 was OOM-killed once; the kubelet saw a system OOM.
 * - k8s-gpu-3: Ready=Unknown (the kubelet stopped posting status): unreachable.
 *
 * Logs: coredns, the running vllm replica, both trainers (pretrain-1 also its OOM-killed previous
 * run), the finished Job; the crash-looping replica only has a previous run's log (a CUDA error);
 * the other containers printed nothing.
 */
export const DEFAULT_NOW = '2026-03-14T09:26:53Z';

export interface ClusterSeed {
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly PodSpec[];
  readonly deployments: readonly WorkloadSpec[];
  readonly replicaSets: readonly WorkloadSpec[];
  readonly statefulSets: readonly WorkloadSpec[];
  readonly daemonSets: readonly WorkloadSpec[];
  readonly pdbs: readonly PdbSpec[];
  readonly events: readonly EventSpec[];
  /** metrics.k8s.io NodeMetrics usage per node; a node without an entry has no metrics (404). */
  readonly nodeMetrics: Readonly<Record<string, { cpu: string; memory: string }>>;
}

/** vLLM serving normally, as the running replica's log ends. */
const VLLM_UP = [
  'INFO 03-13 09:00:31 api_server.py:219] vLLM API server version 0.5.3.post1',
  'INFO 03-13 09:01:21 model_runner.py:1177] Graph capturing finished in 12 secs.',
  'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)',
  'INFO:     10.0.3.17:52114 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
  'INFO 03-14 09:26:43 metrics.py:295] Avg prompt throughput: 812.4 tokens/s, Avg generation throughput: 1534.2 tokens/s, Running: 14 reqs, Swapped: 0 reqs, Pending: 0 reqs, GPU KV cache usage: 38.2%, CPU KV cache usage: 0.0%.',
];

/** The crash-looping replica's last run: the GPU it was given is the one that fell off the bus. */
const VLLM_CRASH = [
  'INFO 03-14 09:26:44 api_server.py:219] vLLM API server version 0.5.3.post1',
  'Traceback (most recent call last):',
  '  File "/usr/local/lib/python3.10/dist-packages/vllm/worker/worker.py", line 154, in init_device',
  '    torch.cuda.set_device(self.device)',
  'RuntimeError: CUDA error: unknown error',
  'CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.',
];

/** Ten training steps of llama3-70b-pretrain rank `node`, minute `prefix`0…9. */
function trainerSteps(prefix: string, node: number): string[] {
  return Array.from(
    { length: 10 },
    (_, i) =>
      `[${prefix}${i}:0${node},500][train][INFO] step ${124_070 + i}/250000 | loss ${(1.17 + ((i * 7) % 5) / 100).toFixed(4)} | lr 1.50e-05`,
  );
}

const H100 = { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.count': '8' };
const VLLM = { app: 'vllm-llama3-8b', 'pod-template-hash': '7d4b9c6f5d' };
const PRETRAIN = { app: 'llama3-70b-pretrain' };

function agents(node: string, suffix: string): PodSpec[] {
  return [
    {
      namespace: 'kube-system',
      name: `nvidia-device-plugin-daemonset-${suffix}`,
      node,
      owner: { kind: 'DaemonSet', name: 'nvidia-device-plugin-daemonset' },
      labels: { name: 'nvidia-device-plugin-ds' },
      containers: [{ name: 'nvidia-device-plugin-ctr' }],
    },
    {
      namespace: 'monitoring',
      name: `dcgm-exporter-${suffix}`,
      node,
      owner: { kind: 'DaemonSet', name: 'dcgm-exporter' },
      labels: { app: 'dcgm-exporter' },
      containers: [{ name: 'dcgm-exporter', ports: [{ containerPort: 9400, name: 'metrics' }] }],
    },
  ];
}

export const DEFAULT_SEED: ClusterSeed = {
  nodes: [
    { name: 'k8s-cpu-1', memoryGi: 256, labels: { 'node-role.kubernetes.io/control-plane': '' } },
    {
      name: 'k8s-gpu-1',
      gpus: 8,
      memoryGi: 2048,
      readySince: '2026-03-10T06:00:00Z',
      labels: { ...H100, pool: 'training', rack: 'r1' },
    },
    {
      name: 'k8s-gpu-2',
      gpus: 8,
      allocatableGpus: 7,
      memoryGi: 2048,
      readySince: '2026-03-12T22:14:00Z',
      labels: { ...H100, pool: 'inference', rack: 'r1' },
    },
    {
      name: 'k8s-gpu-3',
      gpus: 8,
      ready: 'Unknown',
      heartbeat: '2026-03-14T09:11:02Z',
      readySince: '2026-03-14T09:12:10Z',
      labels: { ...H100, pool: 'inference', rack: 'r2' },
    },
  ],
  pods: [
    ...agents('k8s-cpu-1', 'c1x7k'),
    {
      namespace: 'kube-system',
      name: 'coredns-5d78c9869d-mb2sx',
      node: 'k8s-cpu-1',
      owner: { kind: 'ReplicaSet', name: 'coredns-5d78c9869d' },
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '5d78c9869d' },
      containers: [
        {
          name: 'coredns',
          memoryRequest: '70Mi',
          memoryLimit: '170Mi',
          log: [
            '.:53',
            '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908',
            'CoreDNS-1.11.1',
            'linux/amd64, go1.20.7, ae2bbc2',
          ],
        },
      ],
    },

    ...agents('k8s-gpu-1', 'g1q8w'),
    {
      namespace: 'kube-system',
      name: 'gpu-health-agent-k8s-gpu-1',
      node: 'k8s-gpu-1',
      mirror: true,
      containers: [{ name: 'gpu-health-agent' }],
    },
    {
      namespace: 'ml',
      name: 'vllm-llama3-8b-7d4b9c6f5d-x2x9z',
      node: 'k8s-gpu-1',
      owner: { kind: 'ReplicaSet', name: 'vllm-llama3-8b-7d4b9c6f5d' },
      labels: VLLM,
      containers: [
        {
          name: 'vllm',
          gpus: 2,
          memoryRequest: '64Gi',
          memoryLimit: '96Gi',
          startedAt: '2026-03-13T09:00:30Z',
          log: VLLM_UP,
        },
      ],
    },
    {
      namespace: 'ml',
      name: 'llama3-70b-pretrain-0',
      node: 'k8s-gpu-1',
      owner: { kind: 'StatefulSet', name: 'llama3-70b-pretrain' },
      labels: { ...PRETRAIN, 'apps.kubernetes.io/pod-index': '0' },
      emptyDir: ['dshm'],
      containers: [
        {
          name: 'trainer',
          gpus: 4,
          memoryRequest: '512Gi',
          memoryLimit: '768Gi',
          ports: [{ containerPort: 29500, name: 'nccl' }],
          startedAt: '2026-03-13T09:01:00Z',
          log: trainerSteps('2026-03-14 09:2', 0),
        },
      ],
    },
    { namespace: 'ml', name: 'debug-shell', node: 'k8s-gpu-1', containers: [{ name: 'shell' }] },
    {
      namespace: 'ml',
      name: 'data-prep-29541120-kx8vd',
      node: 'k8s-gpu-1',
      owner: { kind: 'Job', name: 'data-prep-29541120' },
      phase: 'Succeeded',
      containers: [
        {
          name: 'prep',
          state: 'terminated',
          exitCode: 0,
          log: [
            '2026-03-14 00:00:04,112 INFO data_prep: reading s3://corpus/raw/2026-03-13 (512 files)',
            '2026-03-14 00:41:57,903 INFO data_prep: wrote 4096 shards to /data/shards/2026-03-13',
            '2026-03-14 00:41:58,010 INFO data_prep: done in 2514.0s',
          ],
        },
      ],
    },

    ...agents('k8s-gpu-2', 'g2m4n'),
    {
      namespace: 'ml',
      name: 'vllm-llama3-8b-7d4b9c6f5d-p4m7q',
      node: 'k8s-gpu-2',
      owner: { kind: 'ReplicaSet', name: 'vllm-llama3-8b-7d4b9c6f5d' },
      labels: VLLM,
      containers: [
        {
          name: 'vllm',
          gpus: 2,
          memoryRequest: '64Gi',
          memoryLimit: '96Gi',
          state: 'crashloop',
          restartCount: 12,
          lastExit: { code: 1, finishedAt: '2026-03-14T09:26:48Z' },
          previousLog: VLLM_CRASH,
        },
      ],
    },
    {
      namespace: 'ml',
      name: 'llama3-70b-pretrain-1',
      node: 'k8s-gpu-2',
      owner: { kind: 'StatefulSet', name: 'llama3-70b-pretrain' },
      labels: { ...PRETRAIN, 'apps.kubernetes.io/pod-index': '1' },
      emptyDir: ['dshm'],
      containers: [
        {
          name: 'trainer',
          gpus: 4,
          memoryRequest: '512Gi',
          memoryLimit: '768Gi',
          restartCount: 3,
          startedAt: '2026-03-14T08:40:12Z',
          lastExit: { code: 137, reason: 'OOMKilled', finishedAt: '2026-03-14T08:40:02Z' },
          ports: [{ containerPort: 29500, name: 'nccl' }],
          log: [
            '[2026-03-14 08:40:14,001][train][INFO] resumed from /ckpt/llama3-70b-pretrain/step-124000',
            ...trainerSteps('2026-03-14 09:2', 1),
          ],
          // Killed by the kernel mid-step: no last words.
          previousLog: trainerSteps('2026-03-14 08:3', 1),
        },
      ],
    },

    ...agents('k8s-gpu-3', 'g3z2r'),
    {
      namespace: 'ml',
      name: 'triton-embeddings-6c9f7b8d4-qq7lt',
      node: 'k8s-gpu-3',
      owner: { kind: 'ReplicaSet', name: 'triton-embeddings-6c9f7b8d4' },
      labels: { app: 'triton-embeddings', 'pod-template-hash': '6c9f7b8d4' },
      containers: [{ name: 'triton', gpus: 1 }],
    },
  ],
  deployments: [
    { namespace: 'kube-system', name: 'coredns', replicas: 1, labels: { 'k8s-app': 'kube-dns' } },
    { namespace: 'ml', name: 'vllm-llama3-8b', replicas: 2, labels: { app: 'vllm-llama3-8b' } },
    { namespace: 'ml', name: 'triton-embeddings', replicas: 1, labels: { app: 'triton-embeddings' } },
  ],
  replicaSets: [
    {
      namespace: 'kube-system',
      name: 'coredns-5d78c9869d',
      replicas: 1,
      deployment: 'coredns',
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '5d78c9869d' },
    },
    {
      namespace: 'ml',
      name: 'vllm-llama3-8b-7d4b9c6f5d',
      replicas: 2,
      deployment: 'vllm-llama3-8b',
      labels: VLLM,
    },
    {
      namespace: 'ml',
      name: 'triton-embeddings-6c9f7b8d4',
      replicas: 1,
      deployment: 'triton-embeddings',
      labels: { app: 'triton-embeddings', 'pod-template-hash': '6c9f7b8d4' },
    },
  ],
  statefulSets: [{ namespace: 'ml', name: 'llama3-70b-pretrain', replicas: 2, labels: PRETRAIN }],
  daemonSets: [
    {
      namespace: 'kube-system',
      name: 'nvidia-device-plugin-daemonset',
      labels: { name: 'nvidia-device-plugin-ds' },
    },
    { namespace: 'monitoring', name: 'dcgm-exporter', labels: { app: 'dcgm-exporter' } },
  ],
  pdbs: [{ namespace: 'ml', name: 'vllm-llama3-8b', matchLabels: { app: 'vllm-llama3-8b' }, blockFirst: 2 }],
  events: [
    {
      node: 'k8s-gpu-2',
      reason: 'NodeReady',
      type: 'Normal',
      message: 'Node k8s-gpu-2 status is now: NodeReady',
      at: '2026-03-12T22:14:00Z',
    },
    {
      node: 'k8s-gpu-2',
      reason: 'SystemOOM',
      message: 'System OOM encountered, victim process: python3, pid: 48213',
      at: '2026-03-14T08:40:02Z',
    },
    {
      node: 'k8s-gpu-2',
      reason: 'GPUXidError',
      source: 'kernel-monitor',
      message: 'NVRM: Xid (PCI:0000:9a:00): 79, pid=48211, name=python3, GPU has fallen off the bus.',
      at: '2026-03-14T09:05:41Z',
    },
  ],
  nodeMetrics: {
    'k8s-cpu-1': { cpu: '1250m', memory: `${18 * 1024 * 1024}Ki` },
    'k8s-gpu-1': { cpu: '96300m', memory: `${1210 * 1024 * 1024}Ki` },
    'k8s-gpu-2': { cpu: '41000m', memory: `${1890 * 1024 * 1024}Ki` },
  },
};
