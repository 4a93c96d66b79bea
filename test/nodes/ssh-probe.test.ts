import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import type { BotError } from '../../src/core/errors.ts';
import {
  compileTemplate,
  createSshAdapter,
  DEFAULT_SSH_COMMANDS,
  isPeerHost,
  renderTemplate,
  type SshAdapterConfig,
  type SshNodeAdapter,
  sshAdapterOptions,
} from '../../src/nodes/ssh/index.ts';
import { type SshFleet, splitWords, startSshFleet } from '../fakes/ssh/index.ts';
import { expectBotError } from './contract.ts';

const logger = pino({ level: 'silent' });
const run = promisify(execFile);

/** Peers with addresses of their own: only the probing node needs to answer SSH. */
const PEERS = [
  { name: 'gpu-node-9', host: '10.0.2.19' },
  { name: 'gpu-node-10', host: 'gpu-node-10.fabric.example' },
  { name: 'gpu-node-11', host: 'fd00:10::11' },
  // The inventory schema lets this through; it is no hostname and no IP address.
  { name: 'gpu-node-12', host: 'a:b:c' },
];

let fleet: SshFleet;
const open: SshNodeAdapter[] = [];

beforeAll(async () => {
  fleet = await startSshFleet({ count: 3 });
});
afterAll(async () => {
  await fleet.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
  fleet.setHang('gpu-node-1', undefined);
  fleet.reset();
});

async function adapterFor(overrides: Partial<SshAdapterConfig> = {}): Promise<SshNodeAdapter> {
  const base = fleet.config();
  const adapter = await createSshAdapter(
    sshAdapterOptions.parse({ ...base, nodes: [...base.nodes, ...PEERS], ...overrides }),
    { clock: new ManualClock(), logger, readFile: fleet.readFile, env: {} },
  );
  open.push(adapter);
  return adapter;
}

function sentSince(mark: number): string[] {
  return fleet.commands.slice(mark).map((c) => c.command);
}

describe('ssh peer probe', () => {
  it('runs the default template with the peer’s inventory host quoted and the port as digits', async () => {
    const ssh = await adapterFor();
    const mark = fleet.commands.length;
    expect(await ssh.probePeer!('gpu-node-1', 'gpu-node-2', 29500)).toEqual({
      reachable: true,
      listening: true,
      detail: 'connected to gpu-node-2 (127.0.0.1) port 29500',
    });
    expect(await ssh.probePeer!('gpu-node-1', 'gpu-node-9', 29500)).toMatchObject({ reachable: true });
    const sent = sentSince(mark);
    expect(sent).toEqual([
      `timeout 3 bash -c ': </dev/tcp/"$1"/"$2"' nccl-probe '127.0.0.1' 29500`,
      `timeout 3 bash -c ': </dev/tcp/"$1"/"$2"' nccl-probe '10.0.2.19' 29500`,
    ]);
    expect(fleet.commands.slice(mark).every((c) => c.node === 'gpu-node-1')).toBe(true);
    const { words, unquoted } = splitWords(sent[1]!);
    expect(words).toEqual([
      'timeout',
      '3',
      'bash',
      '-c',
      ': </dev/tcp/"$1"/"$2"',
      'nccl-probe',
      '10.0.2.19',
      '29500',
    ]);
    expect(unquoted).toEqual([]);
    // Hostnames and IPv6 literals too, each one quoted argument.
    await ssh.probePeer!('gpu-node-1', 'gpu-node-10', 29500);
    await ssh.probePeer!('gpu-node-1', 'gpu-node-11', 29500);
    expect(sentSince(mark).slice(2)).toEqual([
      `timeout 3 bash -c ': </dev/tcp/"$1"/"$2"' nccl-probe 'gpu-node-10.fabric.example' 29500`,
      `timeout 3 bash -c ': </dev/tcp/"$1"/"$2"' nccl-probe 'fd00:10::11' 29500`,
    ]);
  });

  it('reports a blocked pair unreachable, and only that pair', async () => {
    const ssh = await adapterFor();
    fleet.setPeerBlocked('gpu-node-1', '10.0.2.19');
    expect(await ssh.probePeer!('gpu-node-1', 'gpu-node-9', 29500)).toEqual({
      reachable: false,
      detail:
        'no answer from gpu-node-9 (10.0.2.19) port 29500 within 3 s (dropped: a firewall, or a link down)',
    });
    expect((await ssh.probePeer!('gpu-node-1', 'gpu-node-10', 29500)).reachable).toBe(true);
    expect((await ssh.probePeer!('gpu-node-2', 'gpu-node-9', 29500)).reachable).toBe(true);

    fleet.setPeerBlocked('gpu-node-1', '10.0.2.19', 'no-route');
    expect(await ssh.probePeer!('gpu-node-1', 'gpu-node-9', 29500)).toEqual({
      reachable: false,
      detail: 'cannot connect to gpu-node-9 (10.0.2.19) port 29500: nccl-probe: connect: No route to host',
    });
    // A refusal comes from the peer itself: the path is open, nothing listens there.
    fleet.setPeerBlocked('gpu-node-1', '10.0.2.19', 'refuse');
    expect(await ssh.probePeer!('gpu-node-1', 'gpu-node-9', 29500)).toEqual({
      reachable: true,
      listening: false,
      detail:
        'gpu-node-9 (10.0.2.19) port 29500 refused the connection: the path is open, nothing listens there now',
    });
    fleet.setPeerBlocked('gpu-node-1', '10.0.2.19', false);
    expect((await ssh.probePeer!('gpu-node-1', 'gpu-node-9', 29500)).reachable).toBe(true);
  });

  it('refuses an unknown peer, a bad name, a bad port or a bad inventory host before anything is sent', async () => {
    const ssh = await adapterFor();
    const mark = fleet.commands.length;
    const err = await expectBotError(ssh.probePeer!('gpu-node-1', 'gpu-node-99', 29500), 'bot.node.unknown');
    expect(err.message).toBe('No node named gpu-node-99.');
    await expectBotError(ssh.probePeer!('gpu-node-1', '10.0.2.19', 29500), 'bot.node.unknown');
    await expectBotError(ssh.probePeer!('gpu-node-1', 'gpu-node-2; reboot', 29500), 'bot.node.invalid_name');
    await expectBotError(ssh.probePeer!('gpu-node-99', 'gpu-node-2', 29500), 'bot.node.unknown');
    for (const port of [0, -1, 65_536, 29500.5, Number.NaN])
      await expectBotError(ssh.probePeer!('gpu-node-1', 'gpu-node-2', port), 'bot.node.invalid_port');
    const bad = await expectBotError(
      ssh.probePeer!('gpu-node-1', 'gpu-node-12', 29500),
      'bot.node.invalid_host',
    );
    expect(bad.message).toBe('"a:b:c" is not a hostname or an IP address.');
    await expectBotError(
      ssh.probePeer!('gpu-node-1', 'gpu-node-2', 29500, { signal: AbortSignal.abort() }),
      'bot.node.aborted',
    );
    expect(sentSince(mark)).toEqual([]);
  });

  it('runs a configured nc template (under sudo), reading its words the same way', async () => {
    const ssh = await adapterFor({ commands: { probe: 'nc -zv -w 3 {peerHost} {port}' }, sudo: true });
    const mark = fleet.commands.length;
    expect(await ssh.probePeer!('gpu-node-1', 'gpu-node-9', 8000)).toEqual({
      reachable: true,
      listening: true,
      detail: 'connected to gpu-node-9 (10.0.2.19) port 8000',
    });
    expect(sentSince(mark)).toEqual([`sudo -n sh -c 'nc -zv -w 3 '\\''10.0.2.19'\\'' 8000'`]);
    fleet.setPeerBlocked('gpu-node-1', '10.0.2.19', 'drop');
    expect(await ssh.probePeer!('gpu-node-1', 'gpu-node-9', 8000)).toEqual({
      reachable: false,
      detail:
        'no answer from gpu-node-9 (10.0.2.19) port 8000 before the probe gave up (dropped: a firewall, or a link down)',
    });
    fleet.setPeerBlocked('gpu-node-1', '10.0.2.19', 'refuse');
    expect((await ssh.probePeer!('gpu-node-1', 'gpu-node-9', 8000)).reachable).toBe(true);
  });

  it('has no probe when turned off, and says so when the node cannot run it', async () => {
    const off = await adapterFor({ commands: { probe: false } });
    expect(off.probePeer).toBeUndefined();

    const missing = await adapterFor({ commands: { probe: 'no-such-probe {peerHost} {port}' } });
    const err = await expectBotError(
      missing.probePeer!('gpu-node-1', 'gpu-node-9', 29500),
      'bot.node.probe_unavailable',
    );
    expect(err.message).toBe(
      'gpu-node-1 cannot run the peer probe (exit 127): sh: 1: no-such-probe: not found',
    );
    expect(err.hint).toContain('commands.probe');
  });

  it('throws for a transport failure of the probing node, like diagnose', async () => {
    const ssh = await adapterFor({ commandTimeoutMs: 300 });
    fleet.setHang('gpu-node-1', 'exec');
    await expectBotError(ssh.probePeer!('gpu-node-1', 'gpu-node-2', 29500), 'bot.node.timeout');
  });

  it('checks probe templates when the config is read', () => {
    const problems = (commands: object) =>
      sshAdapterOptions
        .safeParse(fleet.config({ commands }))
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems({ probe: "nc -z -w 3 '{peerHost}' {port}" })).toEqual([
      'commands.probe: command template puts {peerHost} inside quotes; write it bare, the bot quotes the value itself',
    ]);
    expect(problems({ probe: 'nc -z {peer} {port}' })).toEqual([
      'commands.probe: command template uses {peer}, which is not one of {node}, {peerHost}, {port}',
    ]);
    expect(problems({ stop: 'docker stop -t {port} {workload}' })).toEqual([
      'commands.stop: command template uses {port}, which is not one of {node}, {workload}',
    ]);
    expect(problems({ probe: DEFAULT_SSH_COMMANDS.probe })).toBeUndefined();
  });
});

describe('probe template rendering', () => {
  const t = compileTemplate(DEFAULT_SSH_COMMANDS.probe, ['node', 'peerHost', 'port']);

  it('puts any host either as exactly one quoted argument or nowhere', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.domain(),
          fc.ipV4(),
          fc.ipV6(),
          fc.constantFrom('-oProxyCommand=id', '$(id)', 'a b', "x'y", '10.0.0.1;reboot', ''),
        ),
        fc.integer({ min: 1, max: 65_535 }),
        (host, port) => {
          let rendered: string;
          try {
            rendered = renderTemplate(t, { node: 'gpu-node-1', peerHost: host, port });
          } catch (err) {
            expect((err as BotError).code).toBe('bot.node.invalid_host');
            expect(isPeerHost(host)).toBe(false);
            return;
          }
          expect(isPeerHost(host)).toBe(true);
          expect(host).toMatch(/^[A-Za-z0-9:]/);
          const { words, unquoted } = splitWords(rendered);
          expect(words.slice(-2)).toEqual([host, String(port)]);
          expect(words).toHaveLength(8);
          expect(unquoted).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('renders {port} only as a checked whole number', () => {
    for (const port of [0, 65_536, 1.5, Number.NaN, undefined]) {
      const err = (() => {
        try {
          renderTemplate(t, {
            node: 'gpu-node-1',
            peerHost: '10.0.0.1',
            ...(port === undefined ? {} : { port }),
          });
        } catch (e) {
          return e;
        }
      })();
      expect((err as BotError).code, String(port)).toBe('bot.node.invalid_port');
    }
  });
});

describe('the default probe template in a real shell', () => {
  const haveTools = async () =>
    run('sh', ['-c', 'command -v bash && command -v timeout']).then(
      () => true,
      () => false,
    );

  it('exits 0 when the port answers, and says "Connection refused" when nothing listens', async (ctx) => {
    if (!(await haveTools()))
      return ctx.skip('this machine has no bash or no timeout(1) to run the template with');
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const t = compileTemplate(DEFAULT_SSH_COMMANDS.probe, ['node', 'peerHost', 'port']);
    try {
      const open = await run('sh', ['-c', renderTemplate(t, { node: 'n', peerHost: '127.0.0.1', port })]);
      expect(open.stderr).toBe('');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    // The port just closed: nothing listens there now.
    const closed = await run('sh', [
      '-c',
      renderTemplate(t, { node: 'n', peerHost: '127.0.0.1', port }),
    ]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(closed?.code).toBe(1);
    expect(closed?.stderr).toMatch(/^nccl-probe: connect: Connection refused$/m);
  });
});
