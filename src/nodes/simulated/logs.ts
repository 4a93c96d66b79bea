import { NCCL_PORT } from '../commands.ts';
import { MAX_LOG_TAIL } from '../logs.ts';
import type { Fleet } from './fleet.ts';
import { stablePick } from './format.ts';
import type { SimNode, SimWorkload } from './model.ts';

/**
 * What `docker logs` prints for a simulated container: each program in its own log format (vLLM,
 * torchrun, Triton, TGI, dcgm-exporter, node_exporter, a Python ETL job), timed against the
 * clock, so the lines agree with the rest of the fleet:
 *
 * - a crash-looping container shows each failed start-up and its traceback, once a minute;
 * - a job holding a GPU that fell off the bus (the node's Xid in dmesg) shows the CUDA error at
 *   the Xid's time and, ten minutes later, the NCCL watchdog timing out on the other ranks;
 * - an OOM-killed, restarted job shows its previous run stopping mid-line, then the new start-up;
 * - a container stopped with SIGTERM shows its shutdown; everything else, start-up and progress.
 *
 * Periodic lines are generated only as far back as the longest tail anyone may ask for.
 */

interface Line {
  readonly at: number;
  readonly text: string;
}

interface Run {
  readonly w: SimWorkload;
  readonly node: SimNode;
  /** When this process started (a crash-loop cycle, or a previous run, has its own). */
  readonly start: number;
}

interface Program {
  /** Start-up lines, each with its time; periodic lines follow the last one. */
  startup(r: Run): Line[];
  /** One tick every periodMs once started; 0: quiet after start-up. */
  readonly periodMs: number;
  /** The lines of tick k (k ≥ 1). */
  tick(r: Run, k: number, at: number): string[];
  /** Printed on SIGTERM (docker stop), at `at`. */
  stop?(r: Run, at: number): Line[];
  /** A GPU this process uses fell off the bus at `at`. */
  gpuLost?(r: Run, at: number, lost: readonly number[], end: number): Line[];
  /** A start-up that fails, the last line printed at `exitAt`. */
  crash?(r: Run, exitAt: number): Line[];
  /** Set when a restart of this program keeps its previous run's log (it was killed, not stopped). */
  readonly previousRunMs?: number;
}

const SEC = 1000;
const MIN = 60 * SEC;
/** The NCCL watchdog's default collective timeout (torch: 10 minutes). */
const NCCL_TIMEOUT_MS = 10 * MIN;
/** Crash-loop cycles shown: enough to fill the longest tail. */
const MAX_CYCLES = 40;
/** docker stop's signal: a process that does not handle it exits 128 + 15. */
const SIGTERM_EXIT = 143;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function parts(at: number) {
  const d = new Date(at);
  return {
    y: d.getUTCFullYear(),
    mo: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    h: pad(d.getUTCHours()),
    mi: pad(d.getUTCMinutes()),
    s: pad(d.getUTCSeconds()),
    ms: pad(d.getUTCMilliseconds(), 3),
  };
}

/** Microseconds for a timestamp: the clock's milliseconds plus a stable three digits. */
function micros(at: number, key: string): string {
  return `${parts(at).ms}${pad(stablePick(key, 0, 999), 3)}`;
}

/** `2026-03-14T09:26:53Z` (logrus, RFC 3339). */
function rfc3339(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19)}Z`;
}

/** `2026-03-14 09:26:53,123` (Python logging). */
function pyTime(at: number): string {
  const p = parts(at);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s},${p.ms}`;
}

/** `03-14 09:26:53` (vLLM's logger). */
function vllmTime(at: number): string {
  const p = parts(at);
  return `${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
}

/** `I0314 09:26:53.123456` (glog / c10 logging); `level` is I, W or E. */
function glog(level: 'I' | 'W' | 'E', at: number, key: string): string {
  const p = parts(at);
  return `${level}${p.mo}${p.d} ${p.h}:${p.mi}:${p.s}.${micros(at, key)}`;
}

/** `2026-03-14T09:26:53.123456Z` (tracing, as TGI prints it). */
function tracingTime(at: number, key: string): string {
  return `${new Date(at).toISOString().slice(0, 19)}.${micros(at, key)}Z`;
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
/** Python's `{:.2e}`: two exponent digits (`1.63e-05`). */
const sci = (value: number) => value.toExponential(2).replace(/e([+-])(\d)$/, 'e$10$2');
/** Python's `{:,}`: thousands separated by commas. */
const grouped = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

// ---------------------------------------------------------------------------------------------
// Node agents

const dcgmExporter: Program = {
  periodMs: 0,
  startup: ({ start }) =>
    [
      'msg="Starting dcgm-exporter"',
      'msg="DCGM successfully initialized!"',
      'msg="Collecting DCP Metrics"',
      'msg="Falling back to metric file \'/etc/dcgm-exporter/dcp-metrics-included.csv\'"',
      'msg="Initializing system entities of type: GPU"',
      'msg="Pipeline starting"',
      'msg="Starting webserver"',
      'msg="Listening on" address="[::]:9400"',
      'msg="TLS is disabled." address="[::]:9400" http2=false',
    ].map((m, i) => {
      const at = start + (i < 2 ? i * 400 : 1900 + i * 30);
      return { at, text: `time="${rfc3339(at)}" level=info ${m}` };
    }),
  tick: () => [],
  stop: (_r, at) => [{ at, text: `time="${rfc3339(at)}" level=info msg="Received signal, shutting down"` }],
};

const NODE_EXPORTER_COLLECTORS = [
  'arp',
  'bcache',
  'btrfs',
  'conntrack',
  'cpu',
  'diskstats',
  'filesystem',
  'hwmon',
  'infiniband',
  'loadavg',
  'meminfo',
  'netdev',
  'nvme',
  'pressure',
  'stat',
  'thermal_zone',
  'time',
  'uname',
  'vmstat',
];

const nodeExporter: Program = {
  periodMs: 0,
  startup: ({ start }) => {
    const ts = (at: number, caller: string, rest: string) =>
      `ts=${new Date(at).toISOString()} caller=${caller} level=info ${rest}`;
    return [
      ts(
        start,
        'node_exporter.go:192',
        'msg="Starting node_exporter" version="(version=1.7.0, branch=HEAD, revision=7333465abf9efba81876303bb57e6fadb946041b)"',
      ),
      ts(
        start,
        'node_exporter.go:193',
        'msg="Build context" build_context="(go=go1.21.4, platform=linux/amd64, user=root@35918982f6d8, date=20231112-23:53:35, tags=netgo osusergo static_build)"',
      ),
      ts(start, 'node_exporter.go:110', 'msg="Enabled collectors"'),
      ...NODE_EXPORTER_COLLECTORS.map((c) => ts(start, 'node_exporter.go:117', `collector=${c}`)),
      ts(start, 'tls_config.go:274', 'msg="Listening on" address=[::]:9100'),
      ts(start, 'tls_config.go:277', 'msg="TLS is disabled." http2=false address=[::]:9100'),
    ].map((text, i) => ({ at: start + i, text }));
  },
  tick: () => [],
};

// ---------------------------------------------------------------------------------------------
// vLLM

const VLLM_VERSION = '0.5.3.post1';
const VLLM_MODELS: Readonly<Record<string, string>> = {
  'vllm-llama3-8b': '/models/Meta-Llama-3-8B-Instruct',
  'vllm-llama3-70b': '/models/Meta-Llama-3-70B-Instruct',
  'vllm-mixtral-8x7b': '/models/Mixtral-8x7B-Instruct-v0.1',
};
const SITE = '/usr/local/lib/python3.10/dist-packages';

function vllmModel(w: SimWorkload): string {
  return VLLM_MODELS[w.name] ?? `/models/${w.name.replace(/^vllm-/, '')}`;
}

function vllmArgs(w: SimWorkload): string[] {
  const model = vllmModel(w);
  const tp = Math.max(1, w.profile.gpus);
  return [
    `vLLM API server version ${VLLM_VERSION}`,
    `args: Namespace(host=None, port=8000, uvicorn_log_level='info', model='${model}', tokenizer=None, trust_remote_code=False, dtype='auto', max_model_len=8192, tensor_parallel_size=${tp}, gpu_memory_utilization=0.9, enforce_eager=False, disable_log_requests=True)`,
  ];
}

const vllmInfo = (at: number, where: string, text: string) => `INFO ${vllmTime(at)} ${where}] ${text}`;

/** What vLLM 0.5 prints when the model path does not exist (transformers reads it as a Hub repo id). */
function vllmBadModelTraceback(model: string): string[] {
  return [
    'Traceback (most recent call last):',
    '  File "/usr/lib/python3.10/runpy.py", line 196, in _run_module_as_main',
    '    return _run_code(code, main_globals, None,',
    '  File "/usr/lib/python3.10/runpy.py", line 86, in _run_code',
    '    exec(code, run_globals)',
    `  File "${SITE}/vllm/entrypoints/openai/api_server.py", line 317, in <module>`,
    '    asyncio.run(run_server(args))',
    '  File "/usr/lib/python3.10/asyncio/runners.py", line 44, in run',
    '    return loop.run_until_complete(main)',
    '  File "/usr/lib/python3.10/asyncio/base_events.py", line 649, in run_until_complete',
    '    return future.result()',
    `  File "${SITE}/vllm/entrypoints/openai/api_server.py", line 231, in run_server`,
    '    async with build_async_engine_client(args) as async_engine_client:',
    `  File "${SITE}/vllm/engine/async_llm_engine.py", line 457, in from_engine_args`,
    '    engine_config = engine_args.create_engine_config()',
    `  File "${SITE}/vllm/engine/arg_utils.py", line 699, in create_engine_config`,
    '    model_config = ModelConfig(',
    `  File "${SITE}/vllm/config.py", line 152, in __init__`,
    '    self.hf_config = get_config(self.model, trust_remote_code, revision,',
    `  File "${SITE}/vllm/transformers_utils/config.py", line 59, in get_config`,
    '    config = AutoConfig.from_pretrained(',
    `  File "${SITE}/transformers/models/auto/configuration_auto.py", line 965, in from_pretrained`,
    '    config_dict, unused_kwargs = PretrainedConfig.get_config_dict(pretrained_model_name_or_path, **kwargs)',
    `  File "${SITE}/transformers/configuration_utils.py", line 632, in get_config_dict`,
    '    config_dict, kwargs = cls._get_config_dict(pretrained_model_name_or_path, **kwargs)',
    `  File "${SITE}/transformers/configuration_utils.py", line 689, in _get_config_dict`,
    '    resolved_config_file = cached_file(',
    `  File "${SITE}/transformers/utils/hub.py", line 462, in cached_file`,
    '    raise EnvironmentError(',
    `OSError: Incorrect path_or_model_id: '${model}'. Please provide either the path to a local folder or the repo_id of a model on the Hub.`,
  ];
}

const vllm: Program = {
  periodMs: 10 * SEC,
  startup: ({ w, start }) => {
    const tp = Math.max(1, w.profile.gpus);
    const model = vllmModel(w);
    const blocks = 24_000 + stablePick(`${w.name}:blocks`, 0, 6000);
    const loaded = 44 * SEC + stablePick(`${w.name}:load`, 0, 20) * SEC;
    const info: [number, string, string][] = [
      [0, 'api_server.py:219', vllmArgs(w)[0]!],
      [0, 'api_server.py:220', vllmArgs(w)[1]!],
      ...(tp > 1
        ? ([[200, 'config.py:715', 'Defaulting to use mp for distributed inference']] as [
            number,
            string,
            string,
          ][])
        : []),
      [
        400,
        'llm_engine.py:176',
        `Initializing an LLM engine (v${VLLM_VERSION}) with config: model='${model}', speculative_config=None, tokenizer='${model}', dtype=torch.bfloat16, max_seq_len=8192, tensor_parallel_size=${tp}, enforce_eager=False, seed=0`,
      ],
      [9 * SEC, 'model_runner.py:680', `Starting to load model ${model}...`],
      [
        loaded - 6 * SEC,
        'model_runner.py:692',
        `Loading model weights took ${fixed((w.profile.gpuMemMiB / 1024) * 0.21, 4)} GB`,
      ],
      [loaded - 3 * SEC, 'distributed_gpu_executor.py:56', `# GPU blocks: ${blocks}, # CPU blocks: 4096`],
      [
        loaded - 2 * SEC,
        'model_runner.py:980',
        "Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static. To run the model in eager mode, set 'enforce_eager=True' or use '--enforce-eager' in the CLI.",
      ],
      [loaded, 'model_runner.py:1177', 'Graph capturing finished in 12 secs.'],
    ];
    const up = loaded + 300;
    return [
      ...info.map(([dt, where, text]) => ({ at: start + dt, text: vllmInfo(start + dt, where, text) })),
      { at: start + up, text: 'INFO:     Started server process [1]' },
      { at: start + up, text: 'INFO:     Waiting for application startup.' },
      { at: start + up, text: 'INFO:     Application startup complete.' },
      { at: start + up, text: 'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)' },
    ];
  },
  tick: ({ w }, k, at) => {
    const key = `${w.id}:${k}`;
    const running = 4 + stablePick(`${key}:run`, 0, 14);
    const prompt = 300 + stablePick(`${key}:p`, 0, 900) + stablePick(`${key}:pf`, 0, 9) / 10;
    const gen = 800 + stablePick(`${key}:g`, 0, 1100) + stablePick(`${key}:gf`, 0, 9) / 10;
    const kv = Math.min(99, w.profile.gpuUtilPct * 0.7 + stablePick(`${key}:kv`, 0, 150) / 10);
    const client = `10.0.${stablePick(`${key}:net`, 2, 9)}.${stablePick(`${key}:host`, 10, 250)}`;
    const port = stablePick(`${key}:port`, 32_768, 60_999);
    return [
      `INFO:     ${client}:${port} - "POST /v1/chat/completions HTTP/1.1" 200 OK`,
      vllmInfo(
        at,
        'metrics.py:295',
        `Avg prompt throughput: ${fixed(prompt, 1)} tokens/s, Avg generation throughput: ${fixed(gen, 1)} tokens/s, Running: ${running} reqs, Swapped: 0 reqs, Pending: 0 reqs, GPU KV cache usage: ${fixed(kv, 1)}%, CPU KV cache usage: 0.0%.`,
      ),
    ];
  },
  stop: (_r, at) =>
    [
      'INFO:     Shutting down',
      'INFO:     Waiting for application shutdown.',
      'INFO:     Application shutdown complete.',
      'INFO:     Finished server process [1]',
    ].map((text) => ({ at, text })),
  gpuLost: (_r, at) => [
    {
      at,
      text: `ERROR ${vllmTime(at)} async_llm_engine.py:56] Engine background task failed`,
    },
    { at, text: 'RuntimeError: CUDA error: unspecified launch failure' },
    {
      at,
      text: `ERROR ${vllmTime(at)} async_llm_engine.py:65] Engine loop has died`,
    },
  ],
  crash: ({ w }, exitAt) => {
    const start = exitAt - 4200;
    return [
      ...vllmArgs(w).map((text, i) => ({
        at: start,
        text: vllmInfo(start, `api_server.py:${219 + i}`, text),
      })),
      ...vllmBadModelTraceback(vllmModel(w)).map((text) => ({ at: exitAt, text })),
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// torchrun training jobs

const TRAINING_MODELS: Readonly<Record<string, { config: string; steps: number; resume: number }>> = {
  'llama3-70b-pretrain': { config: 'configs/llama3-70b-pretrain.yaml', steps: 250_000, resume: 118_000 },
  'qwen2-72b-finetune': { config: 'configs/qwen2-72b-sft.yaml', steps: 12_000, resume: 2_400 },
};
const STEP_MS = 45 * SEC;
const CHECKPOINT_EVERY = 250;
/** pid of local rank 0; rank r is BASE_PID + r (the Xid in dmesg names rank 4's, 48211). */
const BASE_PID = 48_207;

function training(w: SimWorkload) {
  const m = /^(.*)-(\d+)$/.exec(w.name);
  const job = m?.[1] ?? w.name;
  const nodeRank = Number(m?.[2] ?? 0);
  const spec = TRAINING_MODELS[job] ?? { config: `configs/${job}.yaml`, steps: 100_000, resume: 0 };
  const perNode = Math.max(1, w.profile.gpus);
  return { job, nodeRank, spec, perNode, world: perNode * 2 };
}

/** `[2026-03-14 09:26:53,123][train][INFO] …` */
const trainLine = (at: number, text: string) => `[${pyTime(at)}][train][INFO] ${text}`;

const torchrun: Program = {
  periodMs: STEP_MS,
  startup: ({ w, node, start }) => {
    const { job, nodeRank, spec, perNode, world } = training(w);
    const rdzv = w.profile.ports.includes(NCCL_PORT) ? node.name : `${job}-0`;
    const banner = '*****************************************';
    const warn = (text: string) =>
      `${glog('W', start, `${w.id}:w`)} 140213 torch/distributed/run.py:779] ${text}`;
    const nccl = (rank: number, text: string) =>
      `${node.name}:${BASE_PID + rank}:${BASE_PID + rank} [${rank}] ${text}`;
    const lines: string[] = [
      warn(''),
      warn(banner),
      warn(
        'Setting OMP_NUM_THREADS environment variable for each process to be 1 in default, to avoid your system being overloaded, please further tune the variable for optimal performance in your application as needed.',
      ),
      warn(banner),
      trainLine(
        start,
        `torchrun --nnodes=2 --nproc-per-node=${perNode} --node-rank=${nodeRank} --rdzv-backend=c10d --rdzv-endpoint=${rdzv}:${NCCL_PORT} train.py --config ${spec.config}`,
      ),
      nccl(0, 'NCCL INFO Bootstrap : Using eth0:10.0.2.15<0>'),
      nccl(0, 'NCCL INFO NCCL version 2.20.5+cuda12.4'),
      nccl(
        0,
        `NCCL INFO comm 0x5581c2a0 rank ${nodeRank * perNode} nRanks ${world} nNodes 2 localRanks ${perNode} localRank 0 MNNVL 0`,
      ),
      nccl(0, 'NCCL INFO Using network IB'),
      trainLine(
        start,
        `world_size=${world} global_batch=512 micro_batch=2 grad_accum=16 bf16=True zero_stage=3`,
      ),
      trainLine(
        start,
        `resumed from /ckpt/${job}/step-${spec.resume} (optimizer and data loader state restored)`,
      ),
    ];
    return lines.map((text, i) => ({ at: start + i * 350, text }));
  },
  tick: ({ w }, k, at) => {
    const { job, spec } = training(w);
    const step = spec.resume + k;
    const key = `${w.name}:${k}`;
    const loss = 0.9 + 1.1 * Math.exp(-step / (spec.steps / 3)) + stablePick(`${key}:loss`, 0, 400) / 10_000;
    const lr = 2e-5 * (1 - step / spec.steps / 2);
    const grad = 0.3 + stablePick(`${key}:grad`, 0, 250) / 1000;
    const tps = 48_000 + stablePick(`${key}:tps`, 0, 5000);
    const mem = w.profile.gpuMemMiB / 1024 - stablePick(`${key}:mem`, 0, 20) / 10;
    const lines = [
      trainLine(
        at,
        `step ${step}/${spec.steps} | loss ${fixed(loss, 4)} | lr ${sci(lr)} | grad_norm ${fixed(grad, 3)} | ${fixed(tps / 1000, 1)}k tok/s | mem ${fixed(mem, 1)} GiB`,
      ),
    ];
    if (step % CHECKPOINT_EVERY === 0)
      lines.push(trainLine(at, `saved checkpoint /ckpt/${job}/step-${step}`));
    return lines;
  },
  stop: ({ w }, at) => {
    const { perNode } = training(w);
    const agent = (text: string) =>
      `${glog('W', at, `${w.id}:stop`)} 140213 torch/distributed/elastic/agent/server/api.py:741] ${text}`;
    return [
      agent('Received Signals.SIGTERM death signal, shutting down workers'),
      ...Array.from({ length: perNode }, (_, r) =>
        agent(`Sending process ${BASE_PID + r} closing signal SIGTERM`),
      ),
    ].map((text) => ({ at, text }));
  },
  gpuLost: ({ w, node }, at, lost, end) => {
    const { nodeRank, perNode } = training(w);
    const out: Line[] = [];
    for (const local of lost) {
      const rank = nodeRank * perNode + local;
      const tag = `[rank${rank}]`;
      out.push(
        {
          at,
          text: `${tag}:[${glog('E', at, `${w.id}:${rank}`)} ProcessGroupNCCL.cpp:1515] [PG 0 (default_pg) Rank ${rank}] Process group watchdog thread terminated with exception: CUDA error: unspecified launch failure`,
        },
        {
          at,
          text: `${tag}: CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.`,
        },
        { at, text: `${tag}: For debugging consider passing CUDA_LAUNCH_BLOCKING=1` },
        { at, text: `${tag}: Compile with \`TORCH_USE_CUDA_DSA\` to enable device-side assertions.` },
        {
          at,
          text: `${node.name}:${BASE_PID + local}:${BASE_PID + local + 191} [${local}] NCCL WARN Cuda failure 'unspecified launch failure'`,
        },
        {
          at,
          text: `${node.name}:${BASE_PID + local}:${BASE_PID + local + 191} [${local}] NCCL INFO include/alloc.h:246 -> 1`,
        },
      );
    }
    // The other ranks wait in their all-reduce until the watchdog gives up on it.
    const timeoutAt = at + NCCL_TIMEOUT_MS + 51;
    if (timeoutAt <= end) {
      const seq = 80_000 + stablePick(`${w.name}:seq`, 0, 9000);
      for (let local = 0; local < perNode; local++) {
        if (lost.includes(local)) continue;
        const rank = nodeRank * perNode + local;
        out.push({
          at: timeoutAt,
          text: `[rank${rank}]:[${glog('E', timeoutAt, `${w.id}:${rank}:t`)} ProcessGroupNCCL.cpp:607] [Rank ${rank}] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=${seq}, OpType=ALLREDUCE, NumelIn=262144000, NumelOut=262144000, Timeout(ms)=${NCCL_TIMEOUT_MS}) ran for ${NCCL_TIMEOUT_MS + 51} milliseconds before timing out.`,
        });
      }
      const rank0 = nodeRank * perNode;
      out.push({
        at: timeoutAt,
        text: `[rank${rank0}]:[${glog('E', timeoutAt, `${w.id}:${rank0}:s`)} ProcessGroupNCCL.cpp:621] [Rank ${rank0}] Some NCCL operations have failed or timed out. Due to the asynchronous nature of CUDA kernels, subsequent GPU operations might run on corrupted/incomplete data.`,
      });
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// Triton and TGI

const TRITON_MODELS: Readonly<Record<string, { model: string; backend: string }>> = {
  'triton-embeddings': { model: 'bge-large-en', backend: 'onnxruntime' },
  'triton-resnet50': { model: 'resnet50', backend: 'tensorrt' },
};

const triton: Program = {
  periodMs: 0,
  startup: ({ w, start }) => {
    const { model, backend } = TRITON_MODELS[w.name] ?? { model: w.name, backend: 'python' };
    const i = (dt: number, where: string, text: string) => ({
      at: start + dt,
      text: `${glog('I', start + dt, `${w.id}:${where}`)} 1 ${where}] ${text}`,
    });
    return [
      i(
        0,
        'pinned_memory_manager.cc:275',
        "Pinned memory pool is created at '0x7f3c6a000000' with size 268435456",
      ),
      i(1, 'cuda_memory_manager.cc:107', 'CUDA memory pool is created on device 0 with size 67108864'),
      i(900, 'model_lifecycle.cc:469', `loading: ${model}:1`),
      i(2400, `${backend}.cc:2608`, `TRITONBACKEND_ModelInstanceInitialize: ${model}_0 (GPU device 0)`),
      i(6100, 'model_lifecycle.cc:835', `successfully loaded '${model}'`),
      i(6200, 'grpc_server.cc:2495', 'Started GRPCInferenceService at 0.0.0.0:8001'),
      i(6201, 'http_server.cc:4619', 'Started HTTPService at 0.0.0.0:8000'),
      i(6250, 'http_server.cc:282', 'Started Metrics Service at 0.0.0.0:8002'),
    ];
  },
  tick: () => [],
  stop: ({ w }, at) => [
    { at, text: 'Signal (15) received.' },
    {
      at,
      text: `${glog('I', at, `${w.id}:stop`)} 1 server.cc:307] Waiting for in-flight requests to complete.`,
    },
    {
      at,
      text: `${glog('I', at, `${w.id}:stop2`)} 1 server.cc:323] Timeout 30: Found 0 live models and 0 in-flight non-inference requests`,
    },
  ],
};

const tgi: Program = {
  periodMs: 20 * SEC,
  startup: ({ w, start }) => {
    const model = `/data/${w.name === 'tgi-mistral-7b' ? 'Mistral-7B-Instruct-v0.2' : w.name.replace(/^tgi-/, '')}`;
    const l = (dt: number, target: string, text: string) => ({
      at: start + dt,
      text: `${tracingTime(start + dt, `${w.id}:${dt}`)}  INFO ${target}: ${text}`,
    });
    return [
      l(
        0,
        'text_generation_launcher',
        `Args { model_id: "${model}", revision: None, sharded: None, num_shard: Some(${Math.max(1, w.profile.gpus)}), quantize: None, max_input_tokens: Some(4095), max_total_tokens: Some(4096), port: 80, json_output: false }`,
      ),
      l(120, 'download: text_generation_launcher', 'Starting download process.'),
      l(3100, 'download: text_generation_launcher', 'Successfully downloaded weights.'),
      l(3200, 'shard-manager: text_generation_launcher', 'Starting shard rank=0'),
      l(17_400, 'shard-manager: text_generation_launcher', 'Shard ready in 14.2s rank=0'),
      l(17_500, 'text_generation_launcher', 'Starting Webserver'),
      l(19_800, 'text_generation_router', 'router/src/main.rs:350: Connected'),
    ];
  },
  tick: ({ w }, k, at) => {
    const key = `${w.id}:${k}`;
    const tokens = 40 + stablePick(`${key}:tok`, 0, 400);
    const perToken = 14 + stablePick(`${key}:tpt`, 0, 80) / 10;
    const inference = (tokens * perToken) / 1000;
    return [
      `${tracingTime(at, key)}  INFO chat_completions{total_time="${fixed(inference + 0.002, 3)}s" validation_time="${stablePick(`${key}:v`, 200, 900)}µs" queue_time="${stablePick(`${key}:q`, 30, 400)}µs" inference_time="${fixed(inference, 3)}s" time_per_token="${fixed(perToken, 1)}ms" seed="None"}: text_generation_router::server: router/src/server.rs:322: Success`,
    ];
  },
  stop: ({ w }, at) => [
    {
      at,
      text: `${tracingTime(at, `${w.id}:stop`)}  INFO text_generation_router::server: router/src/server.rs:1790: signal received, starting graceful shutdown`,
    },
    {
      at,
      text: `${tracingTime(at, `${w.id}:stop2`)}  INFO text_generation_launcher: Terminating shards`,
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// The CPU ETL job that leaks memory (gpu-node-7's OOM kill)

const ETL_PARTITIONS = 512;
const ETL_PERIOD_MS = 30 * SEC;
/** It grows by ~42 GiB a minute: what took the previous run to the OOM killer in 40 minutes. */
const ETL_GIB_PER_MIN = 42;
const etlLine = (at: number, level: 'INFO' | 'WARNING', logger: string, text: string) =>
  `${pyTime(at)} ${level} feature_etl.${logger}: ${text}`;

/** The partition a run started at `start` resumes after (its last checkpoint). */
function etlResume(start: number): number {
  return 100 + (Math.floor(start / MIN) % 150);
}

const etl: Program = {
  periodMs: ETL_PERIOD_MS,
  previousRunMs: 40 * MIN,
  startup: ({ start }) => {
    const resume = etlResume(start);
    return [
      {
        at: start + 13,
        text: etlLine(
          start + 13,
          'INFO',
          'main',
          `starting feature-etl (partitions=${ETL_PARTITIONS}, workers=48, source=s3://features/raw/2026-03-13)`,
        ),
      },
      {
        at: start + 870,
        text: etlLine(
          start + 870,
          'INFO',
          'main',
          `resuming after partition ${resume} (checkpoint s3://features/ckpt/feature-etl)`,
        ),
      },
    ];
  },
  tick: ({ w, start }, k, at) => {
    const part = (etlResume(start) + k) % ETL_PARTITIONS;
    const rows = 1_600_000 + stablePick(`${w.name}:${start}:${k}`, 0, 400_000);
    const secs = 27 + stablePick(`${w.name}:${start}:${k}:s`, 0, 40) / 10;
    const rss = 40 + ((at - start) / MIN) * ETL_GIB_PER_MIN;
    const lines = [
      etlLine(
        at,
        'INFO',
        'join',
        `partition ${part}/${ETL_PARTITIONS} done: ${grouped(rows)} rows in ${fixed(secs, 1)}s, rss ${fixed(rss, 1)} GiB`,
      ),
    ];
    if (rss > 512 && k % 10 === 0) {
      lines.push(
        etlLine(
          at,
          'WARNING',
          'join',
          `partition cache holds ${k} partitions (${fixed(rss - 40, 0)} GiB) and has no limit; set FEATURE_ETL_CACHE_MAX_GB to bound it`,
        ),
      );
    }
    return lines;
  },
  stop: ({ start }, at) => [
    {
      at,
      text: etlLine(
        at,
        'WARNING',
        'main',
        `SIGTERM received; exiting after partition ${etlResume(start)} (progress is checkpointed)`,
      ),
    },
  ],
};

const generic: Program = {
  periodMs: MIN,
  startup: ({ w, start }) => [{ at: start, text: `${pyTime(start)} INFO ${w.name}: started` }],
  tick: ({ w }, k, at) => [`${pyTime(at)} INFO ${w.name}: alive (${k} min)`],
};

function programFor(w: SimWorkload): Program {
  if (w.name.startsWith('dcgm-exporter')) return dcgmExporter;
  if (w.name.startsWith('node-exporter')) return nodeExporter;
  if (w.name.startsWith('vllm-')) return vllm;
  if (w.name.startsWith('triton-')) return triton;
  if (w.name.startsWith('tgi-')) return tgi;
  if (/(pretrain|finetune)-\d+$/.test(w.name)) return torchrun;
  if (w.name.startsWith('feature-etl')) return etl;
  return generic;
}

/** When the node's GPU fell off the bus: the first Xid line in its kernel log. */
function xidTime(node: SimNode): number | undefined {
  const line = node.kernelLog.find((l) => /NVRM: Xid /.test(l.text));
  return line ? node.bootedAt + line.seconds * 1000 : undefined;
}

/** One process's lines from `start` to `end`; `stopped`: it ended on docker stop's SIGTERM. */
function runLines(p: Program, r: Run, end: number, stopped: boolean): Line[] {
  const out = p.startup(r).filter((l) => l.at <= end);
  const lost = r.w.gpuIndices.filter((i) => r.node.gpus.find((g) => g.index === i)?.responding === false);
  const xid = lost.length > 0 ? xidTime(r.node) : undefined;
  const failedAt = xid !== undefined && xid > r.start && xid <= end ? xid : undefined;
  const quietFrom = failedAt ?? end;
  const ticksFrom = out.at(-1)?.at ?? r.start;
  if (p.periodMs > 0 && quietFrom > ticksFrom) {
    const last = Math.floor((quietFrom - ticksFrom) / p.periodMs);
    for (let k = Math.max(1, last - MAX_LOG_TAIL); k <= last; k++) {
      const at = ticksFrom + k * p.periodMs;
      for (const text of p.tick(r, k, at)) out.push({ at, text });
    }
  }
  if (failedAt !== undefined && p.gpuLost) out.push(...p.gpuLost(r, failedAt + 50, lost, end));
  if (stopped && p.stop) out.push(...p.stop(r, end));
  return out;
}

/** Each failed start-up of a crash loop, oldest first, the last one `lastExitAt`. */
function crashLines(p: Program, r: Run, lastExitAt: number, restarts: number): Line[] {
  const out: Line[] = [];
  const cycles = Math.min(restarts + 1, MAX_CYCLES);
  for (let i = cycles - 1; i >= 0; i--) {
    const exitAt = lastExitAt - i * MIN;
    if (p.crash) out.push(...p.crash(r, exitAt));
    else out.push(...p.startup({ ...r, start: exitAt - 4200 }), { at: exitAt, text: 'fatal: exiting' });
  }
  return out;
}

/**
 * The whole log `docker logs <container>` would print now (stdout and stderr, as `2>&1` merges
 * them), oldest first, every line ending in a newline.
 */
export function renderWorkloadLog(fleet: Fleet, w: SimWorkload, now: number): string {
  const node = fleet.node(w.node);
  const p = programFor(w);
  const r: Run = { w, node, start: w.startedAt };
  const lines: Line[] = [];
  const crash = fleet.crashState(w, now);
  if (crash) {
    lines.push(...crashLines(p, r, crash.lastExitAt, crash.restarts));
  } else {
    // Killed (not stopped) before this start: docker keeps the previous run's lines in the same log.
    if (p.previousRunMs !== undefined && w.restartCount > 0) {
      const killedAt = w.startedAt - 2 * SEC;
      lines.push(...runLines(p, { w, node, start: killedAt - p.previousRunMs }, killedAt, false));
    }
    const active = w.state === 'running' || w.state === 'restarting';
    const end = active ? now : (w.finishedAt ?? now);
    lines.push(...runLines(p, r, end, w.state === 'stopped' && w.lastExitCode === SIGTERM_EXIT));
  }
  return lines.map((l) => `${l.text}\n`).join('');
}
