/**
 * Triage of 100 SSH nodes, printed, never asserted (the goal: at most 1.3× the
 * ideal of ceil(100/32) × 100 ms, and at most 60 MB of extra RSS while it runs).
 *
 * Each fake node is a real ssh2 server on 127.0.0.1 answering every exec after 100 ms; the adapter
 * runs at concurrency 32 (per node 2). Three runs per fleet:
 *  - batched, cold: one `diagnoseMany(node, all 11 triage diagnostics)` per node, handshakes included;
 *  - batched, warm: the same again over the connections the first run opened;
 *  - per diagnostic, warm: one `diagnose` per diagnostic per node (1,100 execs), all issued at once.
 *
 * Ideals: a batch is one exec per node, so ceil(100/32) × 100 ms = 400 ms (the figure). One
 * exec per diagnostic is 1,100 execs through 32 slots: ceil(1100/32) × 100 ms = 3.5 s if the slots
 * never idle, ceil(100/32) × 11 × 100 ms = 4.4 s if nodes were taken 32 at a time with their 11 in
 * sequence. (Before the GPU-health readings there were 8 diagnostics: 800 execs, 2.5 s and 3.2 s.)
 *
 * Cold runs also pay one handshake per node, ~2 ms of the bot's CPU each (and as much again on the
 * server side when the fleet shares the process); `handshakeConcurrency` (default 8,
 * SSH_BENCH_HANDSHAKES here) keeps them from all finishing together at the end of a long first wave.
 *
 * Fleets: in-process (adapter and servers share one event loop and one RSS), then the same fleet in
 * a child process, so the RSS figure is the adapter's alone. Extra RSS is the peak (sampled every
 * 5 ms) above the reading just before the run.
 *
 *   npx tsx bench/ssh-triage.ts
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { pino } from 'pino';
import { systemClock } from '../src/core/clock.ts';
import type { DiagnosticId } from '../src/nodes/port.ts';
import {
  createSshAdapter,
  type SshAdapterConfig,
  type SshNodeAdapter,
  sshAdapterOptions,
} from '../src/nodes/ssh/index.ts';
import { TRIAGE_DIAGNOSTICS } from '../src/nodes/triage.ts';
import { startSshFleet } from '../test/fakes/ssh/index.ts';

const NODES = 100;
const DELAY_MS = 100;
const CONCURRENCY = 32;
const HANDSHAKES = Number(process.env.SSH_BENCH_HANDSHAKES ?? 8);
// The same diagnostics, in the same order, as /node triage runs.
const TRIAGE: readonly DiagnosticId[] = TRIAGE_DIAGNOSTICS;
const IDEAL_BATCH = Math.ceil(NODES / CONCURRENCY) * DELAY_MS;
const IDEAL_EXEC_SLOTS = Math.ceil((NODES * TRIAGE.length) / CONCURRENCY) * DELAY_MS;
const IDEAL_NODE_WAVES = Math.ceil(NODES / CONCURRENCY) * DELAY_MS * TRIAGE.length;

const MiB = 1024 * 1024;
const logger = pino({ level: 'warn' });

interface Fleet {
  readonly label: string;
  readonly config: SshAdapterConfig;
  readonly readFile: (path: string) => Promise<string>;
  stats(): Promise<{ execs: number; max: number }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Peak RSS above the baseline while `work` runs, sampled every 5 ms. */
async function measure<T>(work: () => Promise<T>): Promise<{ ms: number; extraRssMiB: number; result: T }> {
  gc();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t0 = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - t0;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { ms, extraRssMiB: (peak - base) / MiB, result };
  } finally {
    clearInterval(sampler);
  }
}

async function inProcessFleet(): Promise<Fleet> {
  const fleet = await startSshFleet({ count: NODES, delayMs: DELAY_MS });
  return {
    label: 'in-process fleet',
    config: fleet.config(),
    readFile: fleet.readFile,
    stats: async () => ({ execs: fleet.commands.length, max: fleet.inFlight().max }),
    reset: async () => {
      fleet.commands.length = 0;
      fleet.resetStats();
    },
    close: () => fleet.close(),
  };
}

async function childFleet(): Promise<Fleet> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fakes/ssh/serve.ts', String(NODES), String(DELAY_MS)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: Interface = createInterface({ input: child.stdout! });
  const queue: ((line: string) => void)[] = [];
  lines.on('line', (line) => queue.shift()?.(line));
  const next = () => new Promise<string>((resolve) => queue.push(resolve));
  const ask = async (cmd: string) => {
    const answer = next();
    child.stdin!.write(`${cmd}\n`);
    return JSON.parse(await answer);
  };
  const hello = JSON.parse(await next()) as {
    nodes: { name: string; host: string; port: number }[];
    user: string;
    clientPrivateKey: string;
    knownHosts: string;
  };
  return {
    label: 'fleet in a child process',
    config: {
      type: 'ssh',
      user: hello.user,
      privateKeyPath: 'bench/id_ed25519',
      knownHostsPath: 'bench/known_hosts',
      nodes: hello.nodes.map((n) => ({ name: n.name, host: n.host, port: n.port })),
    },
    readFile: async (path) => (path === 'bench/id_ed25519' ? hello.clientPrivateKey : hello.knownHosts),
    stats: () => ask('stats'),
    reset: async () => {
      await ask('reset');
    },
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      await exited;
    },
  };
}

function row(name: string, ms: number, ideal: number, extra: number, stats: { execs: number; max: number }) {
  const ratio = ms / ideal;
  console.log(
    `  ${name.padEnd(26)} ${ms.toFixed(0).padStart(6)} ms  ideal ${String(ideal).padStart(5)} ms  ×${ratio.toFixed(2)}  ` +
      `execs ${String(stats.execs).padStart(4)}  max in flight ${String(stats.max).padStart(3)}  extra RSS ${extra.toFixed(1)} MiB`,
  );
}

async function run(fleet: Fleet): Promise<void> {
  const options = sshAdapterOptions.parse({
    ...fleet.config,
    concurrency: CONCURRENCY,
    perNodeConcurrency: 2,
  });
  const adapter: SshNodeAdapter = await createSshAdapter(options, {
    clock: systemClock,
    logger,
    readFile: fleet.readFile,
  });
  const names = options.nodes.map((n) => n.name);
  console.log(
    `\n${fleet.label}: ${NODES} nodes, ${DELAY_MS} ms per exec, concurrency ${CONCURRENCY} (per node 2, handshakes ${HANDSHAKES})`,
  );

  const batched = () =>
    Promise.all(
      names.map(async (n) => {
        const r = await adapter.diagnoseMany(n, TRIAGE);
        return Object.values(r).filter((c) => c.exitCode !== 0).length;
      }),
    );
  const perDiagnostic = () =>
    Promise.all(names.map((n) => Promise.all(TRIAGE.map((id) => adapter.diagnose(n, id)))));

  await fleet.reset();
  const cold = await measure(batched);
  row('batched, cold (connect)', cold.ms, IDEAL_BATCH, cold.extraRssMiB, await fleet.stats());
  await fleet.reset();
  const warm = await measure(batched);
  row('batched, warm', warm.ms, IDEAL_BATCH, warm.extraRssMiB, await fleet.stats());
  await fleet.reset();
  const each = await measure(perDiagnostic);
  const stats = await fleet.stats();
  row('per diagnostic, warm', each.ms, IDEAL_EXEC_SLOTS, each.extraRssMiB, stats);
  console.log(
    `  ${''.padEnd(26)} (per diagnostic against the node-wave ideal of ${IDEAL_NODE_WAVES} ms: ×${(each.ms / IDEAL_NODE_WAVES).toFixed(2)})`,
  );
  const handshakes = Object.values(adapter.connectCounts()).reduce((a, b) => a + b, 0);
  console.log(`  handshakes over the three runs: ${handshakes} (one per node: connections reused)`);
  console.log(
    `  commands with a non-zero exit per batch (nccl-port where nothing listens): ${cold.result.reduce((a, b) => a + b, 0)}`,
  );
  await adapter.close();
  await fleet.close();
}

console.log(`ssh triage benchmark (node ${process.version}; goal ≤ 1.3× ideal and ≤ 60 MB extra RSS)`);
await run(await inProcessFleet());
await run(await childFleet());
