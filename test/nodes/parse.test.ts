import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOomLines, splitDmesgLine } from '../../src/nodes/parse/dmesg.ts';
import { parseContainerRestarts, parseDockerPs } from '../../src/nodes/parse/docker.ts';
import { parseFree, parseHumanSize, parseUptime } from '../../src/nodes/parse/host.ts';
import { dmesgStamp, humanDuration, humanSize, uptimeLine } from '../../src/nodes/simulated/format.ts';

const anyText = fc.string({ unit: 'binary', maxLength: 400 });

describe('output parsers never throw', () => {
  it.each([
    ['parseOomLines', parseOomLines],
    ['parseUptime', parseUptime],
    ['parseFree', parseFree],
    ['parseDockerPs', parseDockerPs],
    ['parseContainerRestarts', parseContainerRestarts],
    ['splitDmesgLine', splitDmesgLine],
  ] as const)('%s', (_name, parse) => {
    fc.assert(
      fc.property(anyText, (text) => {
        parse(text);
      }),
    );
  });
});

describe('parseUptime', () => {
  it.each([
    [' 13:17:02 up 12 days,  3:04,  1 user,  load average: 0.52, 0.58, 0.59', (12 * 1440 + 184) * 60, 0.52],
    [' 10:35:01 up  1:02,  2 users,  load average: 0.00, 0.01, 0.05', 62 * 60, 0],
    [' 09:00:00 up 45 min,  0 users,  load average: 12.50, 10.00, 8.25', 45 * 60, 12.5],
    [' 09:00:00 up 1 day, 7 min,  1 user,  load average: 1.00, 1.00, 1.00', (1440 + 7) * 60, 1],
  ])('%s', (line, seconds, load1) => {
    expect(parseUptime(line)).toMatchObject({ uptimeSeconds: seconds, load1 });
  });

  it('reads back what the simulated uptime prints', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4000 * 86_400_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        (upMs, l) => {
          const load = l / 100;
          const parsed = parseUptime(uptimeLine(new Date(0), upMs, [load, load, load]));
          expect(parsed?.uptimeSeconds).toBe(Math.floor(upMs / 60_000) * 60);
          expect(parsed?.load1).toBe(load);
        },
      ),
    );
  });
});

describe('parseFree / humanSize', () => {
  it('reads the Mem row of free -h', () => {
    const text = [
      '               total        used        free      shared  buff/cache   available',
      'Mem:           2.0Ti       1.9Ti        48Gi       1.2Gi        48Gi        86Gi',
      'Swap:             0B          0B          0B',
    ].join('\n');
    expect(parseFree(text)).toEqual({
      totalMiB: 2 * 1024 * 1024,
      usedMiB: 1.9 * 1024 * 1024,
      freeMiB: 48 * 1024,
      availableMiB: 86 * 1024,
      totalText: '2.0Ti',
      usedText: '1.9Ti',
    });
  });

  it.each([
    [0, '0B'],
    [4.4 * 1024, '4.4Gi'],
    [31 * 1024, '31Gi'],
    [412 * 1024, '412Gi'],
    [1007 * 1024, '1.0Ti'],
    [2_063_720, '2.0Ti'],
    [0.5, '512Ki'],
  ])('humanSize(%d) is %s, as procps prints it', (mib, text) => {
    expect(humanSize(mib)).toBe(text);
  });

  it('parses back within the precision free -h keeps', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2 ** 30, noNaN: true }), (mib) => {
        const back = parseHumanSize(humanSize(mib));
        expect(back).not.toBeNull();
        expect(Math.abs(back! - mib) / mib).toBeLessThan(0.1);
      }),
    );
  });
});

describe('dmesg', () => {
  it('formats and splits the [ seconds.micro] prefix', () => {
    expect(dmesgStamp(5.2)).toBe('[    5.200000]');
    expect(dmesgStamp(5455980.118335)).toBe('[5455980.118335]');
    expect(splitDmesgLine('[    5.200000] NVRM: loading')).toEqual({ seconds: 5.2, text: 'NVRM: loading' });
    expect(splitDmesgLine('no prefix')).toEqual({ seconds: undefined, text: 'no prefix' });
  });

  it('finds OOM kills, whole-node and cgroup, on old and new kernels', () => {
    const text = [
      '[2551140.552103] python3 invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0',
      '[2551140.552289] Out of memory: Killed process 48213 (python3) total-vm:1946712484kB, anon-rss:1863217152kB, file-rss:48212kB, shmem-rss:8192kB, UID:1000 pgtables:3671248kB oom_score_adj:0',
      '[2551140.552382] oom_reaper: reaped process 48213 (python3), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB',
      '[   99.000000] Memory cgroup out of memory: Killed process 777 (tritonserver) total-vm:9000kB, anon-rss:8000kB, file-rss:0kB',
      '[   12.000000] Killed process 42 (java) total-vm:100kB, anon-rss:50kB, file-rss:0kB',
    ].join('\n');
    expect(parseOomLines(text)).toEqual([
      {
        pid: 48213,
        process: 'python3',
        totalVmKiB: 1946712484,
        anonRssKiB: 1863217152,
        cgroup: false,
        seconds: 2551140.552289,
      },
      { pid: 777, process: 'tritonserver', totalVmKiB: 9000, anonRssKiB: 8000, cgroup: true, seconds: 99 },
      { pid: 42, process: 'java', totalVmKiB: 100, anonRssKiB: 50, cgroup: false, seconds: 12 },
    ]);
  });
});

describe('docker', () => {
  it('reads docker ps statuses', () => {
    const text = [
      'vllm-llama3-8b Restarting (1) 5 seconds ago',
      'feature-etl Up 13 minutes',
      'batch Exited (137) 2 hours ago',
      'api Up 2 days (Paused)',
      'fresh Created',
    ].join('\n');
    expect(parseDockerPs(text).map((c) => [c.name, c.state, c.exitCode])).toEqual([
      ['vllm-llama3-8b', 'restarting', 1],
      ['feature-etl', 'running', undefined],
      ['batch', 'exited', 137],
      ['api', 'paused', undefined],
      ['fresh', 'created', undefined],
    ]);
  });

  it('reads restart counts, with or without the slash docker inspect puts before names', () => {
    expect(
      parseContainerRestarts('vllm 12 restarts, last exit: 137\n/etl 1 restarts, last exit: 0\njunk'),
    ).toEqual([
      { name: 'vllm', restartCount: 12, lastExitCode: 137 },
      { name: 'etl', restartCount: 1, lastExitCode: 0 },
    ]);
  });

  it.each([
    [0, 'Less than a second'],
    [1000, '1 second'],
    [5000, '5 seconds'],
    [60_000, 'About a minute'],
    [13 * 60_000, '13 minutes'],
    [3_600_000, 'About an hour'],
    [26 * 3_600_000, '26 hours'],
    [9 * 86_400_000, '9 days'],
    [29 * 86_400_000, '4 weeks'],
    [63 * 86_400_000, '2 months'],
  ])('humanDuration(%d) is %s, as docker prints it', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});
