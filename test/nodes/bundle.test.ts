import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { BUG_REPORT_SCRIPT, journalCommand, standardBundleCommands } from '../../src/nodes/bundle.ts';
import { createSimulatedAdapter } from '../../src/nodes/simulated/index.ts';
import type { SshNodeAdapter } from '../../src/nodes/ssh/index.ts';
import { parseXidLines } from '../../src/nodes/xid.ts';
import { connectSsh, type SshFleet, startSshFleet } from '../fakes/ssh/index.ts';

const SINCE = new Date('2026-12-07T23:00:00Z');

describe('the diagnostic bundle on the simulated fleet', () => {
  const clock = new ManualClock(new Date('2026-12-08T00:30:00Z'));
  const sim = createSimulatedAdapter({ clock });

  it("prints the fixed set in the real tools' shapes, agreeing with what triage reads", async () => {
    const b = await sim.collectBundle!('gpu-node-5', SINCE);
    expect(b.collector).toBe('standard');
    expect(b.files.map((f) => [f.name, f.command])).toEqual(
      standardBundleCommands(SINCE).map((c) => [c.name, c.command]),
    );
    const [smi, dmesg, journal, lspci] = b.files;
    // Every value in one column, as nvidia-smi aligns them.
    for (const line of smi!.stdout.split('\n').filter((l) => l.includes(' : ')))
      expect(line.indexOf(' : ')).toBe(41);
    // GPU 4 fell off the bus: no section for it, nvidia-smi says so on stderr and exits non-zero.
    expect(smi!.stdout).toContain('==============NVSMI LOG==============');
    expect(smi!.stdout).toMatch(/^Driver Version +: 570\.133\.20$/m);
    expect(smi!.stdout.match(/^GPU 00000000:/gm)).toHaveLength(7);
    expect(smi!.stderr).toBe(
      'Unable to determine the device handle for GPU00000000:9A:00.0: Unknown Error\n',
    );
    expect(smi!.exitCode).toBe(15);
    // The Xid 79 is in the ring buffer with a wall-clock stamp, and dmesg's parser still reads it.
    expect(dmesg!.stdout).toMatch(
      /^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] NVRM: Xid \(PCI:0000:9a:00\): 79/m,
    );
    expect(parseXidLines(dmesg!.stdout).map((x) => x.xid)).toContain(79);
    expect(journal!.stdout).toMatch(/^\w{3} \d\d \d\d:\d\d:\d\d gpu-node-5 kernel: NVRM: Xid/m);
    expect(lspci!.stdout).toContain(
      '9a:00.0 3D controller: NVIDIA Corporation GH100 [H100 SXM5 80GB] (rev ff)',
    );
    expect(lspci!.stdout).toContain('!!! Unknown header type 7f');
  });

  it("shows the research nodes' faults in nvidia-smi -q", async () => {
    const remap = (await sim.collectBundle!('gpu-node-10', SINCE)).files[0]!.stdout;
    expect(remap).toMatch(/^ {8}Remapping Failure Occurred +: Yes$/m);
    const hot = (await sim.collectBundle!('gpu-node-11', SINCE)).files[0]!.stdout;
    expect(hot).toMatch(/^ {12}HW Thermal Slowdown +: Active$/m);
    const missing = (await sim.collectBundle!('gpu-node-13', SINCE)).files[0]!.stdout;
    expect(missing).toMatch(/^Attached GPUs +: 7$/m);
  });

  it('a journal window after every kernel line says it has no entries, as journalctl does', async () => {
    const b = await sim.collectBundle!('gpu-node-1', new Date('2027-01-01T00:00:00Z'));
    expect(b.files[2]!.stdout).toBe('-- No entries --\n');
  });

  it('the journal window is an epoch, never text from anywhere else', () => {
    expect(journalCommand(SINCE)).toBe(`journalctl -k --no-pager --since @${SINCE.getTime() / 1000}`);
    expect(() => journalCommand(new Date(Number.NaN))).toThrow(/not a time/);
  });
});

describe('the diagnostic bundle over SSH', () => {
  let fleet: SshFleet;
  let ssh: SshNodeAdapter;
  beforeAll(async () => {
    fleet = await startSshFleet({ count: 5 });
    ssh = await connectSsh(fleet);
  });
  afterAll(async () => {
    await ssh?.close();
    await fleet?.close();
  });

  it('without nvidia-bug-report.sh: asks for it, then collects the fixed set in one more round trip', async () => {
    const mark = fleet.commandsOn('gpu-node-5').length;
    const b = await ssh.collectBundle!('gpu-node-5', SINCE);
    const ran = fleet.commandsOn('gpu-node-5').slice(mark);
    expect(ran).toHaveLength(2);
    expect(ran[0]).toBe(BUG_REPORT_SCRIPT);
    expect(b.collector).toBe('standard');
    expect(b.files.map((f) => f.name)).toEqual([
      'nvidia-smi-q.txt',
      'dmesg.txt',
      'journalctl-k.txt',
      'lspci-vv.txt',
    ]);
    expect(b.files[0]!.exitCode).toBe(15);
    expect(b.files[1]!.stdout).toContain('NVRM: Xid (PCI:0000:9a:00): 79');
    expect(ssh.capabilities.has('collect')).toBe(true);
  });

  it('with it: one round trip, the report as the script printed it', async () => {
    fleet.setBundle('gpu-node-3', { bugReport: true });
    const mark = fleet.commandsOn('gpu-node-3').length;
    const b = await ssh.collectBundle!('gpu-node-3', SINCE);
    expect(fleet.commandsOn('gpu-node-3').slice(mark)).toEqual([BUG_REPORT_SCRIPT]);
    expect(b.collector).toBe('nvidia-bug-report');
    expect(b.files).toHaveLength(1);
    expect(b.files[0]).toMatchObject({ name: 'nvidia-bug-report.log', exitCode: 0 });
    expect(b.files[0]!.stdout).toContain('nvidia-smi -q');
    expect(b.files[0]!.stdout).toContain('==============NVSMI LOG==============');
  });

  it('a node that does not answer in time is a timeout, not a bundle', async () => {
    fleet.setBundle('gpu-node-2', { delayMs: 2_000 });
    await expect(ssh.collectBundle!('gpu-node-2', SINCE, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'bot.node.timeout',
    });
    fleet.setBundle('gpu-node-2', { delayMs: 0 });
  });

  it('refuses a node it does not know before anything runs', async () => {
    await expect(ssh.collectBundle!('gpu-node-99', SINCE)).rejects.toMatchObject({
      code: 'bot.node.unknown',
    });
  });
});

describe('the bug report script, through a real /bin/sh', () => {
  const run = (path: string) =>
    spawnSync('sh', ['-c', BUG_REPORT_SCRIPT], { env: { PATH: path }, encoding: 'utf8' });
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nvbug-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in for NVIDIA's script with its output-file contract: `X` becomes `X.gz` when gzip is there. */
  function fakeCollector(body: string): void {
    const file = join(dir, 'nvidia-bug-report.sh');
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }

  it('exits 127 where the node has no nvidia-bug-report.sh', () => {
    const empty = mkdtempSync(join(tmpdir(), 'nobug-'));
    try {
      const r = spawnSync('/bin/sh', ['-c', BUG_REPORT_SCRIPT], {
        env: { PATH: `${empty}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      expect(r.status).toBe(127);
      expect(r.stdout).toBe('');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('prints the compressed report uncompressed, leaves nothing behind, and keeps its exit status', () => {
    // --safe-mode --output-file <X>: writes X.gz, as the real one does with gzip present.
    fakeCollector(
      `[ "$1" = --safe-mode ] && [ "$2" = --output-file ] || exit 2\necho "driver 570.133.20" | gzip > "$3.gz"\necho made "$3" > ${join(dir, 'last')}\nexit 0`,
    );
    const r = run(`${dir}:/usr/bin:/bin`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('driver 570.133.20\n');
    const made = readFileSync(join(dir, 'last'), 'utf8')
      .trim()
      .replace(/^made /, '');
    expect(existsSync(dirname(made))).toBe(false);
  });

  it('a report that failed half-way still gives what it wrote, and says it failed', () => {
    fakeCollector('echo partial > "$3"\necho "nvidia-smi hung" >&2\nexit 1');
    const r = run(`${dir}:/usr/bin:/bin`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('partial\n');
  });

  it('a report that wrote nothing gives its own words on stderr', () => {
    fakeCollector('echo "ERROR: Please run as root" >&2\nexit 1');
    const r = run(`${dir}:/usr/bin:/bin`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Please run as root');
  });
});
