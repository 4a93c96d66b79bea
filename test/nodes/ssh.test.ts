import { createServer } from 'node:net';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { BotError } from '../../src/core/errors.ts';
import { DIAGNOSTIC_COMMANDS } from '../../src/nodes/commands.ts';
import { DIAGNOSTICS, type DiagnosticId } from '../../src/nodes/port.ts';
import {
  createSshAdapter,
  type SshAdapterConfig,
  type SshNodeAdapter,
  sshAdapterOptions,
  WORKLOAD_NAME_PATTERN,
} from '../../src/nodes/ssh/index.ts';
import {
  FLEET_KEY_PATH,
  FLEET_KNOWN_HOSTS_PATH,
  generateTestKey,
  type SshFleet,
  splitWords,
  startSshFleet,
} from '../fakes/ssh/index.ts';
import { expectBotError, nodeAdapterContract } from './contract.ts';

const logger = pino({ level: 'silent' });
const IDS = Object.keys(DIAGNOSTICS) as DiagnosticId[];

let fleet: SshFleet;
const open: SshNodeAdapter[] = [];

beforeAll(async () => {
  fleet = await startSshFleet({ count: 8 });
});
afterAll(async () => {
  await fleet.close();
});

async function adapterFor(
  overrides: Partial<SshAdapterConfig> = {},
  deps: { readFile?: (path: string) => Promise<string | Buffer>; env?: Record<string, string> } = {},
): Promise<SshNodeAdapter> {
  const adapter = await createSshAdapter(sshAdapterOptions.parse(fleet.config(overrides)), {
    clock: new ManualClock(),
    logger,
    readFile: deps.readFile ?? fleet.readFile,
    env: deps.env ?? {},
  });
  open.push(adapter);
  return adapter;
}

/** Serves the fleet's files, with known_hosts replaced. */
function withKnownHosts(text: string): (path: string) => Promise<string> {
  return async (path) => (path === FLEET_KNOWN_HOSTS_PATH ? text : fleet.readFile(path));
}

function recordedSince(mark: number): string[] {
  return fleet.commands.slice(mark).map((c) => c.command);
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

nodeAdapterContract('ssh (ssh2 client against in-process ssh2 servers)', async () => {
  fleet.reset();
  return adapterFor();
});

describe('ssh adapter', () => {
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.close()));
    for (const n of fleet.nodes) {
      fleet.setHang(n.name, undefined);
      fleet.setWrongHostKey(n.name, false);
    }
    fleet.setDelay(0);
    fleet.reset();
  });

  it('reads the simulated faults through real SSH: Xid node not_ready, OOM node near full', async () => {
    const ssh = await adapterFor();
    const nodes = await ssh.listNodes();
    expect(nodes.map((n) => n.name)).toEqual(fleet.nodes.map((n) => n.name));
    expect(nodes.find((n) => n.name === 'gpu-node-5')).toMatchObject({
      state: 'not_ready',
      gpus: 8,
      adapter: 'ssh',
    });
    const h = await ssh.health('gpu-node-7');
    expect(h.memoryUsedMiB / h.memoryTotalMiB).toBeGreaterThan(0.9);
    expect(h.uptimeSeconds).toBeGreaterThan(86_400);
    const xid = await ssh.diagnose('gpu-node-5', 'xid');
    expect(xid.command).toBe(DIAGNOSTIC_COMMANDS.xid);
    expect(xid.stdout).toMatch(/Xid \(PCI:0000:9a:00\): 79/);
  });

  it('reuses one connection per node for many commands, and closes it when idle', async () => {
    const ssh = await adapterFor({ idleTimeoutMs: 200 });
    const before = fleet.connections('gpu-node-2').accepted;
    await Promise.all(IDS.map((id) => ssh.diagnose('gpu-node-2', id)));
    await ssh.health('gpu-node-2');
    expect(fleet.connections('gpu-node-2').accepted - before).toBe(1);
    expect(ssh.connectCounts()['gpu-node-2']).toBe(1);

    await until(() => fleet.connections('gpu-node-2').open === 0);
    await ssh.diagnose('gpu-node-2', 'uptime');
    expect(ssh.connectCounts()['gpu-node-2']).toBe(2);
  });

  it('runs several diagnostics in one exec with diagnoseMany, each with its own result', async () => {
    const ssh = await adapterFor();
    const mark = fleet.commands.length;
    const many = await ssh.diagnoseMany('gpu-node-1', IDS);
    expect(recordedSince(mark)).toHaveLength(1);
    for (const id of IDS) {
      const one = await ssh.diagnose('gpu-node-1', id);
      expect(many[id], id).toMatchObject({
        command: one.command,
        exitCode: one.exitCode,
        stdout: one.stdout,
        stderr: one.stderr,
      });
    }
    // nccl-port on a node where nothing listens: grep's exit 1 comes through per command.
    expect((await ssh.diagnoseMany('gpu-node-2', ['uptime', 'nccl-port']))['nccl-port'].exitCode).toBe(1);
  });

  it('a non-zero exit is a result, not a throw', async () => {
    const ssh = await adapterFor({ commands: { state: false } });
    const r = await ssh.diagnose('gpu-node-2', 'nccl-port');
    expect(r).toMatchObject({ exitCode: 1, stdout: '' });
    // Without a state check, uncordon runs and Slurm refuses a node that is not drained.
    const m = await ssh.uncordon('gpu-node-2');
    expect(m.ok).toBe(false);
    expect(m.summary).toContain('Invalid node state specified');
    expect(m.output).toContain("$ scontrol update nodename='gpu-node-2' state=resume");
  });

  it('refuses a node whose host key changed, naming the node and what to do', async () => {
    const ssh = await adapterFor();
    fleet.setWrongHostKey('gpu-node-2', true);
    const mark = fleet.commands.length;
    const err = await expectBotError(ssh.diagnose('gpu-node-2', 'uptime'), 'bot.node.host_key');
    expect(err.message).toContain('gpu-node-2');
    expect(err.message).toMatch(/does not match the pinned SHA256:/);
    expect(err.hint).toMatch(/man-in-the-middle/);
    expect(recordedSince(mark)).toEqual([]);
    const listed = await ssh.listNodes();
    expect(listed.find((n) => n.name === 'gpu-node-2')?.state).toBe('unreachable');
    expect(listed.filter((n) => n.state === 'unreachable')).toHaveLength(1);
  });

  it('refuses a node with no pinned key: no trust on first use', async () => {
    const without = fleet.knownHosts
      .split('\n')
      .filter((l) => !l.includes(`:${fleet.nodes[2]!.port} `))
      .join('\n');
    const ssh = await adapterFor({}, { readFile: withKnownHosts(without) });
    const err = await expectBotError(ssh.diagnose('gpu-node-3', 'uptime'), 'bot.node.host_key');
    expect(err.message).toContain('gpu-node-3');
    expect(err.message).toMatch(/not pinned.*does not trust on first use/);
    expect(err.hint).toMatch(/ssh-keyscan -p \d+ 127\.0\.0\.1/);
    await expect(ssh.diagnose('gpu-node-4', 'uptime')).resolves.toMatchObject({ exitCode: 0 });
  });

  it('accepts hashed known_hosts entries and pinned fingerprints', async () => {
    const hashed = await adapterFor({}, { readFile: withKnownHosts(fleet.knownHostsHashed()) });
    expect((await hashed.listNodes()).every((n) => n.state !== 'unreachable')).toBe(true);

    const { knownHostsPath: _, ...rest } = fleet.config();
    const pinned = await createSshAdapter(sshAdapterOptions.parse({ ...rest, hostKeys: fleet.hostKeys() }), {
      clock: new ManualClock(),
      logger,
      readFile: fleet.readFile,
    });
    open.push(pinned);
    expect((await pinned.diagnose('gpu-node-8', 'uptime')).exitCode).toBe(0);

    const other = generateTestKey().fingerprint;
    const wrong = await createSshAdapter(
      sshAdapterOptions.parse({ ...rest, hostKeys: { ...fleet.hostKeys(), 'gpu-node-8': other } }),
      { clock: new ManualClock(), logger, readFile: fleet.readFile },
    );
    open.push(wrong);
    const err = await expectBotError(wrong.diagnose('gpu-node-8', 'uptime'), 'bot.node.host_key');
    expect(err.message).toContain(other);
  });

  it('refuses a key marked @revoked even when it is also pinned', async () => {
    const node = fleet.nodes[0]!;
    const line = fleet.knownHosts.split('\n').find((l) => l.includes(`:${node.port} `))!;
    const revoked = `${fleet.knownHosts}@revoked * ${line.split(' ').slice(1).join(' ')}\n`;
    const ssh = await adapterFor({}, { readFile: withKnownHosts(revoked) });
    const err = await expectBotError(ssh.diagnose(node.name, 'uptime'), 'bot.node.host_key');
    expect(err.message).toMatch(/@revoked/);
  });

  it('a node that hangs times out with bot.node.timeout while the others answer', async () => {
    const ssh = await adapterFor({ commandTimeoutMs: 300 });
    fleet.setHang('gpu-node-4', 'exec');
    const started = Date.now();
    const results = await Promise.allSettled(fleet.nodes.map((n) => ssh.diagnose(n.name, 'uptime')));
    const elapsed = Date.now() - started;
    results.forEach((r, i) => {
      if (fleet.nodes[i]!.name === 'gpu-node-4') {
        expect(r.status).toBe('rejected');
        const err = (r as PromiseRejectedResult).reason as BotError;
        expect(err).toBeInstanceOf(BotError);
        expect(err.code).toBe('bot.node.timeout');
        expect(err.message).toMatch(/gpu-node-4 did not finish within 0\.3 s/);
      } else {
        expect(r.status, fleet.nodes[i]!.name).toBe('fulfilled');
      }
    });
    expect(elapsed).toBeLessThan(2000);
    // The adapter closed the channel: the fake saw it go away without an answer.
    await until(() => fleet.commands.some((c) => c.node === 'gpu-node-4' && c.status === 'closed'));
    // The node stays usable once it answers again.
    fleet.setHang('gpu-node-4', undefined);
    expect((await ssh.diagnose('gpu-node-4', 'uptime')).exitCode).toBe(0);
  });

  it('a node that dies mid-command answers bot.node.unreachable at once, and nothing is retried', async () => {
    const ssh = await adapterFor({ commandTimeoutMs: 10_000 });
    fleet.setHang('gpu-node-3', 'die');
    const started = Date.now();
    const err = await expectBotError(ssh.cordon('gpu-node-3'), 'bot.node.unreachable');
    // Not the command timeout: the reset is noticed as it happens.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.message).toMatch(/gpu-node-3/);
    // The cordon reached the node once and was not retried behind anyone's back.
    // The node died during the cordon's state check: the cordon itself was never sent, and
    // nothing was retried behind anyone's back.
    const sent = fleet.commands.filter((c) => c.node === 'gpu-node-3').map((c) => c.command);
    expect(sent).toEqual(["sinfo -h -N -n 'gpu-node-3' -o %T"]);
    // Back up: a new connection, and it works.
    fleet.setHang('gpu-node-3', undefined);
    expect((await ssh.diagnose('gpu-node-3', 'uptime')).exitCode).toBe(0);
  });

  it('a node that hangs in the handshake times out, and listNodes calls it unreachable', async () => {
    fleet.setHang('gpu-node-6', 'handshake');
    const ssh = await adapterFor({ connectTimeoutMs: 300 });
    const err = await expectBotError(ssh.health('gpu-node-6'), 'bot.node.timeout');
    expect(err.message).toMatch(
      /gpu-node-6 \(127\.0\.0\.1:\d+\) did not complete the SSH handshake within 0\.3 s/,
    );
    const listed = await ssh.listNodes();
    expect(listed.find((n) => n.name === 'gpu-node-6')).toMatchObject({ state: 'unreachable', gpus: 0 });
    expect(listed.filter((n) => n.state === 'unreachable')).toHaveLength(1);
  });

  it('commands queued behind a failed handshake fail with it instead of each waiting it out', async () => {
    fleet.setHang('gpu-node-6', 'handshake');
    const ssh = await adapterFor({ connectTimeoutMs: 300, perNodeConcurrency: 1 });
    const started = Date.now();
    const results = await Promise.allSettled(IDS.map((id) => ssh.diagnose('gpu-node-6', id)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(ssh.connectCounts()['gpu-node-6']).toBe(1);
  });

  it('answers bot.node.unreachable for a refused port and for a refused client key', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const nodes = [...fleet.config().nodes, { name: 'gone-node', host: '127.0.0.1', port }];
    const ssh = await adapterFor({ nodes, hostKeys: { 'gone-node': generateTestKey().fingerprint } });
    const err = await expectBotError(ssh.diagnose('gone-node', 'uptime'), 'bot.node.unreachable');
    expect(err.message).toMatch(/Cannot reach gone-node .*ECONNREFUSED/);

    const stranger = generateTestKey();
    const denied = await adapterFor(
      {},
      { readFile: async (p) => (p === FLEET_KEY_PATH ? stranger.privateKey : fleet.readFile(p)) },
    );
    const auth = await expectBotError(denied.diagnose('gpu-node-1', 'uptime'), 'bot.node.unreachable');
    expect(auth.message).toMatch(/refused the bot's SSH key for user gpuops/);
  });

  it('respects the global and per-node concurrency limits', async () => {
    fleet.setDelay(40);
    const narrow = await adapterFor({ concurrency: 4, perNodeConcurrency: 2 });
    await Promise.all(fleet.nodes.map((n) => narrow.diagnose(n.name, 'uptime'))); // connect first
    fleet.resetStats();
    await Promise.all(fleet.nodes.flatMap((n) => IDS.map((id) => narrow.diagnose(n.name, id))));
    expect(fleet.inFlight().max).toBe(4);

    const wide = await adapterFor({ concurrency: 32, perNodeConcurrency: 2 });
    fleet.resetStats();
    await Promise.all(fleet.nodes.flatMap((n) => IDS.map((id) => wide.diagnose(n.name, id))));
    const seen = fleet.inFlight();
    expect(seen.max).toBeLessThanOrEqual(fleet.nodes.length * 2);
    expect(seen.max).toBeGreaterThan(4);
    expect(Math.max(...Object.values(seen.perNodeMax))).toBe(2);
  });

  it('an abort closes the channel and answers bot.node.aborted, also while queued', async () => {
    fleet.setHang('gpu-node-3', 'exec');
    const ssh = await adapterFor({ perNodeConcurrency: 1 });
    const ac = new AbortController();
    const running = ssh.diagnose('gpu-node-3', 'uptime', { signal: ac.signal });
    const queued = ssh.diagnose('gpu-node-3', 'memory', { signal: ac.signal });
    await until(() => fleet.commands.some((c) => c.node === 'gpu-node-3' && c.status === 'running'));
    const started = Date.now();
    ac.abort();
    await expectBotError(running, 'bot.node.aborted');
    await expectBotError(queued, 'bot.node.aborted');
    expect(Date.now() - started).toBeLessThan(1000);
    await until(() =>
      fleet.commands.filter((c) => c.node === 'gpu-node-3').every((c) => c.status === 'closed'),
    );
    expect(fleet.commandsOn('gpu-node-3')).toEqual([DIAGNOSTIC_COMMANDS.uptime]);
  });

  it('caps output per stream, and batches still split correctly under a flood', async () => {
    fleet.setFlood('gpu-node-1', 1_000_000);
    const ssh = await adapterFor({ outputCapBytes: 4096 });
    const one = await ssh.diagnose('gpu-node-1', 'uptime');
    expect(one.stdout.length).toBeLessThan(4096 + 100);
    expect(one.stdout).toMatch(/^ \d\d:\d\d:\d\d up /);
    expect(one.stdout).toMatch(/\[output truncated: \d+ more bytes not kept\]\n$/);
    const many = await ssh.diagnoseMany('gpu-node-1', ['uptime', 'nccl-port', 'memory']);
    expect(many['nccl-port'].exitCode).toBe(0);
    expect(many.memory.stdout).toMatch(/^\s+total\s+used/);
    for (const r of Object.values(many)) expect(r.stdout.length).toBeLessThan(4096 + 100);
  });

  it('wraps every command in sudo -n sh -c when configured', async () => {
    const ssh = await adapterFor({ sudo: true });
    const mark = fleet.commands.length;
    const r = await ssh.diagnose('gpu-node-1', 'xid');
    expect(r.command).toBe(`sudo -n sh -c 'dmesg | grep -i '\\''xid\\|nvrm'\\'' | tail -20'`);
    expect((await ssh.health('gpu-node-5')).state).toBe('not_ready');
    expect((await ssh.cordon('gpu-node-2')).ok).toBe(true);
    const sent = recordedSince(mark);
    expect(sent.every((c) => c.startsWith("sudo -n sh -c '"))).toBe(true);
    expect(sent.some((c) => c.includes('scontrol update nodename='))).toBe(true);
  });

  it('drains by cordoning, then stopping what the plan evicts, and reports what ran', async () => {
    const ssh = await adapterFor();
    // The plan says what the built-in drain does to each container: stops it, moves nothing.
    const plan = await ssh.planDrain('gpu-node-4');
    expect(Object.values(plan.fates ?? {}).map((f) => f.kind)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(Object.keys(plan.fates ?? {}).sort()).toEqual(plan.evict.map((w) => w.id).sort());
    const mark = fleet.commands.length;
    const result = await ssh.drain('gpu-node-4');
    expect(result).toMatchObject({ ok: true, summary: 'Drained gpu-node-4: 3 stopped, 2 left in place' });
    expect(result.warning).toBeUndefined();
    expect(recordedSince(mark).filter((c) => !c.startsWith('sh -c') && !c.startsWith('sinfo'))).toEqual([
      "scontrol update nodename='gpu-node-4' state=drain reason='incident-bot'",
      "docker stop 'triton-resnet50'",
      "docker stop 'tgi-mistral-7b'",
      "docker stop 'vllm-mixtral-8x7b'",
    ]);
    expect(result.output).toContain('skipping gpu-node-4/dcgm-exporter: system workload');
    expect((await ssh.health('gpu-node-4')).state).toBe('cordoned');
  });

  it('on a Slurm node: lists its jobs in the plan, drains with the incident as reason, DRAINING until they end', async () => {
    const ssh = await adapterFor();
    fleet.setSlurmJobs('gpu-node-2', [
      { id: '4121', user: 'alice', state: 'RUNNING', elapsed: '2:03:11', name: 'train llama 70b', gpus: 8 },
      { id: '4122_3', user: 'bob', state: 'COMPLETING', elapsed: '0:00:42', name: 'eval' },
    ]);
    const plan = await ssh.planDrain('gpu-node-2');
    expect(plan.schedulerJobs).toEqual([
      { id: '4121', user: 'alice', state: 'RUNNING', elapsed: '2:03:11', name: 'train llama 70b', gpus: 8 },
      { id: '4122_3', user: 'bob', state: 'COMPLETING', elapsed: '0:00:42', name: 'eval' },
    ]);
    expect(recordedSince(0)).toContain("squeue -h -w 'gpu-node-2' -o '%i %u %T %M %b %j'");

    const result = await ssh.drain('gpu-node-2', { reason: "INC-12: Xid 79 on gpu-node-2 'now'" });
    expect(fleet.drainReason('gpu-node-2')).toBe('incident-bot INC-12: Xid 79 on gpu-node-2 now');
    expect(result.ok).toBe(true);
    expect(result.summary).toMatch(
      /^gpu-node-2 is draining: \d+ stopped, \d+ left in place; Slurm says DRAINING: 2 Slurm jobs still running \(4121, 4122_3\)$/,
    );
    expect(result.settling).toBe('Slurm says DRAINING: 2 Slurm jobs still running (4121, 4122_3)');
    expect(await ssh.drainProgress?.('gpu-node-2')).toEqual({
      state: 'draining',
      summary: 'Slurm says DRAINING: 2 Slurm jobs still running (4121, 4122_3)',
    });
    fleet.setSlurmJobs('gpu-node-2', []);
    expect(await ssh.drainProgress?.('gpu-node-2')).toEqual({
      state: 'drained',
      summary: 'Slurm says DRAINED: no jobs left on it',
    });
    expect((await ssh.uncordon('gpu-node-2')).ok).toBe(true);
    expect((await ssh.drainProgress?.('gpu-node-2'))?.state).toBe('other');

    // No jobs: drained at once, a plain success; with no state command nothing can tell, so no progress.
    const empty = await ssh.drain('gpu-node-1');
    expect(empty.settling).toBeUndefined();
    expect(empty.summary).toMatch(/^Drained gpu-node-1/);
    expect(
      (await adapterFor({ name: 'ssh:nostate', commands: { state: false } })).drainProgress,
    ).toBeUndefined();
  });

  it("reads Slurm's state, reason and jobs with their GPUs for triage, in one exec", async () => {
    const ssh = await adapterFor();
    fleet.setSlurmJobs('gpu-node-3', [
      { id: '4121', user: 'alice', state: 'RUNNING', elapsed: '2:03:11', name: 'train llama 70b', gpus: 8 },
    ]);
    const mark = fleet.commands.length;
    expect(await ssh.schedulerStatus?.('gpu-node-3')).toEqual({
      state: 'mixed',
      jobs: [
        { id: '4121', user: 'alice', state: 'RUNNING', elapsed: '2:03:11', name: 'train llama 70b', gpus: 8 },
      ],
    });
    expect(fleet.commands.length - mark).toBe(1);
    await ssh.cordon('gpu-node-3', { reason: 'INC-4: Xid 79' });
    expect(await ssh.schedulerStatus?.('gpu-node-3')).toMatchObject({
      state: 'draining',
      reason: 'incident-bot INC-4: Xid 79',
    });
    // No state command: no Slurm to ask.
    const plain = await adapterFor({ name: 'ssh:noslurm', commands: { state: false } });
    expect(await plain.schedulerStatus?.('gpu-node-3')).toBeUndefined();
  });

  it('restarts and stops containers by name; an unknown one is bot.workload.unknown', async () => {
    const ssh = await adapterFor();
    const r = await ssh.restartWorkload('gpu-node-3/vllm-llama3-8b');
    expect(r).toMatchObject({ ok: true, summary: 'Restarted gpu-node-3/vllm-llama3-8b' });
    expect((await ssh.listWorkloads('gpu-node-3')).find((w) => w.name === 'vllm-llama3-8b')?.state).toBe(
      'running',
    );
    // The simulated GPU that fell off the bus: docker fails, and that is a result.
    const failed = await ssh.restartWorkload('gpu-node-5/qwen2-72b-finetune-0');
    expect(failed.ok).toBe(false);
    expect(failed.summary).toMatch(/failed \(exit 1\).*nvml error/);
    await expectBotError(ssh.stopWorkload('gpu-node-3/not-there'), 'bot.workload.unknown');
    await expectBotError(ssh.restartWorkload('gpu-node-3/$(reboot)'), 'bot.workload.invalid_id');
    await expectBotError(ssh.restartWorkload('no-slash'), 'bot.workload.unknown');
  });

  it('reads a container log with docker logs --tail, stderr merged, through real SSH', async () => {
    const ssh = await adapterFor();
    expect(ssh.capabilities.has('logs')).toBe(true);
    const mark = fleet.commands.length;
    const r = await ssh.workloadLogs('gpu-node-3/vllm-llama3-8b', 20);
    expect(recordedSince(mark)).toEqual(["docker logs --tail 20 'vllm-llama3-8b' 2>&1"]);
    expect(r).toMatchObject({
      command: "docker logs --tail 20 'vllm-llama3-8b' 2>&1",
      exitCode: 0,
      stderr: '',
    });
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    expect(lines).toHaveLength(20);
    expect(lines.at(-1)).toMatch(
      /^OSError: Incorrect path_or_model_id: '\/models\/Meta-Llama-3-8B-Instruct'/,
    );

    const xid = await ssh.workloadLogs('gpu-node-5/qwen2-72b-finetune-0', 40);
    expect(xid.stdout).toContain('CUDA error: unspecified launch failure');

    await expectBotError(ssh.workloadLogs('gpu-node-3/not-there', 10), 'bot.workload.unknown');
    await expectBotError(ssh.workloadLogs('no-such-node/x', 10), 'bot.workload.unknown');
    const before = fleet.commands.length;
    await expectBotError(ssh.workloadLogs('gpu-node-3/$(reboot)', 10), 'bot.workload.invalid_id');
    for (const tail of [0, 1001, 1.5, Number.NaN, -3]) {
      await expectBotError(ssh.workloadLogs('gpu-node-3/vllm-llama3-8b', tail), 'bot.workload.invalid_tail');
    }
    expect(fleet.commands.length).toBe(before);
  });

  it('keeps the newest end of an over-long log, from a whole line on, and says how much was cut', async () => {
    fleet.setFlood('gpu-node-3', 1_000_000);
    const ssh = await adapterFor({ outputCapBytes: 4096 });
    const r = await ssh.workloadLogs('gpu-node-3/vllm-llama3-8b', 1000);
    expect(Buffer.byteLength(r.stdout)).toBeLessThanOrEqual(4096 + 100);
    expect(r.stdout).toMatch(/^\[output truncated: \d+ earlier bytes not kept\]\n/);
    expect(r.stdout).toMatch(/\nOSError: Incorrect path_or_model_id: .*\n$/);
    // Whole lines only: the second line is one the log really has.
    const second = r.stdout.split('\n')[1] ?? '';
    expect((await ssh.workloadLogs('gpu-node-3/vllm-llama3-8b', 1000)).stdout).toContain(`${second}\n`);
  });

  it('runs a configured logs template with {tail} as digits and {workload} quoted, or none when turned off', async () => {
    const custom = await adapterFor({ commands: { logs: 'echo {tail} {workload}' }, sudo: true });
    const r = await custom.workloadLogs('gpu-node-1/dcgm-exporter', 7);
    expect(r.command).toBe("sudo -n sh -c 'echo 7 '\\''dcgm-exporter'\\'''");
    expect(r.stdout).toBe('7 dcgm-exporter\n');

    const off = await adapterFor({ commands: { logs: false } });
    expect(off.capabilities.has('logs')).toBe(false);
    const err = await expectBotError(off.workloadLogs('gpu-node-1/dcgm-exporter', 5), 'bot.node.unsupported');
    expect(err.message).toContain('gpu-node-1 is managed by adapter ssh');

    const quoted = sshAdapterOptions.safeParse(
      fleet.config({ commands: { logs: "docker logs --tail '{tail}' {workload}" } }),
    );
    expect(quoted.success).toBe(false);
    const elsewhere = sshAdapterOptions.safeParse(
      fleet.config({ commands: { stop: 'docker stop -t {tail} {workload}' } }),
    );
    expect(elsewhere.success).toBe(false);
  });

  it('declares only the configured capabilities and names a missing one', async () => {
    const ssh = await adapterFor({ commands: { cordon: false, restart: false, logs: false } });
    expect([...ssh.capabilities].sort()).toEqual([
      'collect',
      'diagnose',
      'health',
      'list',
      'stop',
      'uncordon',
      'workloads',
    ]);
    const err = await expectBotError(ssh.cordon('gpu-node-1'), 'bot.node.unsupported');
    expect(err.message).toBe('Node gpu-node-1 is managed by adapter ssh, which cannot cordon nodes.');
    await expectBotError(ssh.workloadLogs('gpu-node-1/dcgm-exporter', 10), 'bot.node.unsupported');
    const custom = await adapterFor({ name: 'ssh:r2', commands: { drain: 'echo draining {node}' } });
    expect(custom.capabilities.has('drain')).toBe(true);
    expect(await custom.drain('gpu-node-1')).toMatchObject({
      ok: true,
      output: "$ echo draining 'gpu-node-1'\ndraining gpu-node-1",
    });
    expect((await custom.listNodes())[0]?.adapter).toBe('ssh:r2');
  });

  it('rejects bad node names and diagnostics before anything is sent', async () => {
    const ssh = await adapterFor();
    const mark = fleet.commands.length;
    await expectBotError(ssh.diagnose('gpu-node-1; reboot', 'uptime'), 'bot.node.invalid_name');
    await expectBotError(
      ssh.diagnose('gpu-node-1', 'rm -rf /' as DiagnosticId),
      'bot.node.unknown_diagnostic',
    );
    await expectBotError(
      ssh.diagnoseMany('gpu-node-1', ['uptime', 'bogus' as DiagnosticId]),
      'bot.node.unknown_diagnostic',
    );
    expect(recordedSince(mark)).toEqual([]);
  });

  it('refuses every call after close', async () => {
    const ssh = await adapterFor();
    await ssh.diagnose('gpu-node-1', 'uptime');
    await ssh.close();
    await expectBotError(ssh.diagnose('gpu-node-1', 'uptime'), 'bot.node.closed');
    await until(() => fleet.connections('gpu-node-1').open === 0);
  });

  it('decrypts a passphrase-protected key once, from the variable passphraseEnv names', async () => {
    const encrypted = (await import('ssh2')).default.utils.generateKeyPairSync('ecdsa', {
      bits: 256,
      passphrase: 'correct horse',
      cipher: 'aes256-cbc',
    });
    // The fake accepts only its own client key, so this checks the key loads and auth is attempted.
    const readFile = async (p: string) => (p === FLEET_KEY_PATH ? encrypted.private : fleet.readFile(p));
    const ssh = await adapterFor(
      { passphraseEnv: 'BOT_KEY_PASSPHRASE' },
      { readFile, env: { BOT_KEY_PASSPHRASE: 'correct horse' } },
    );
    await expectBotError(ssh.diagnose('gpu-node-1', 'uptime'), 'bot.node.unreachable');
    const wrong = createSshAdapter(
      sshAdapterOptions.parse(fleet.config({ passphraseEnv: 'BOT_KEY_PASSPHRASE' })),
      {
        clock: new ManualClock(),
        logger,
        readFile,
        env: { BOT_KEY_PASSPHRASE: 'wrong' },
      },
    );
    const err = await expectBotError(wrong, 'bot.config.ssh');
    expect(err.message).toMatch(/is not a usable private key/);
    const unset = createSshAdapter(
      sshAdapterOptions.parse(fleet.config({ passphraseEnv: 'BOT_KEY_PASSPHRASE' })),
      {
        clock: new ManualClock(),
        logger,
        readFile,
        env: {},
      },
    );
    expect((await expectBotError(unset, 'bot.config.ssh')).message).toMatch(
      /BOT_KEY_PASSPHRASE, which is not set/,
    );
    const missing = createSshAdapter(
      sshAdapterOptions.parse(fleet.config({ privateKeyPath: '~/.ssh/nope' })),
      {
        clock: new ManualClock(),
        logger,
        readFile: fleet.readFile,
        homeDir: '/home/bot',
      },
    );
    expect((await expectBotError(missing, 'bot.config.ssh')).message).toContain('/home/bot/.ssh/nope');
  });
});

describe('ssh adapter: untrusted text never reaches a shell', () => {
  let ssh: SshNodeAdapter;
  beforeAll(async () => {
    fleet.reset();
    ssh = await adapterFor();
  });
  afterAll(async () => {
    await ssh.close();
  });

  const hostile = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/),
    fc
      .tuple(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,10}$/),
        fc.constantFrom(
          "'",
          '"',
          '$(id)',
          '`id`',
          ';',
          '|',
          '&',
          '\n',
          ' ',
          '\\',
          '*',
          '$HOME',
          "'\\''",
          '\0',
        ),
        fc.string(),
      )
      .map(([a, b, c]) => a + b + c),
  );

  it('a workload name either fails validation (nothing sent) or arrives as exactly one quoted argument', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom('restart', 'stop'), async (name, verb) => {
        const mark = fleet.commands.length;
        const id = `gpu-node-2/${name}`;
        const outcome = await (verb === 'restart' ? ssh.restartWorkload(id) : ssh.stopWorkload(id)).then(
          (r) => r,
          (e: unknown) => e,
        );
        const sent = recordedSince(mark);
        if (!WORKLOAD_NAME_PATTERN.test(name)) {
          expect(outcome).toBeInstanceOf(BotError);
          expect((outcome as BotError).code).toBe('bot.workload.invalid_id');
          expect(sent).toEqual([]);
          return;
        }
        expect(sent).toEqual([`docker ${verb} '${name}'`]);
        const { words, unquoted } = splitWords(sent[0]!);
        expect(words).toEqual(['docker', verb, name]);
        expect(unquoted).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('a workload name for logs either fails validation (nothing sent) or arrives as one quoted argument', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, fc.integer({ min: 1, max: 1000 }), async (name, tail) => {
        const mark = fleet.commands.length;
        const outcome = await ssh.workloadLogs(`gpu-node-2/${name}`, tail).then(
          (r) => r,
          (e: unknown) => e,
        );
        const sent = recordedSince(mark);
        if (!WORKLOAD_NAME_PATTERN.test(name)) {
          expect((outcome as BotError).code).toBe('bot.workload.invalid_id');
          expect(sent).toEqual([]);
          return;
        }
        expect(sent).toEqual([`docker logs --tail ${tail} '${name}' 2>&1`]);
        const { words, unquoted } = splitWords(sent[0]!.replace(/ 2>&1$/, ''));
        expect(words).toEqual(['docker', 'logs', '--tail', String(tail), name]);
        expect(unquoted).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('a node name either fails validation (nothing sent) or is one the inventory holds', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (node) => {
        const mark = fleet.commands.length;
        const outcome = await ssh.cordon(node).then(
          (r) => r,
          (e: unknown) => e,
        );
        expect(outcome).toBeInstanceOf(BotError);
        expect(['bot.node.invalid_name', 'bot.node.unknown']).toContain((outcome as BotError).code);
        expect(recordedSince(mark)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
