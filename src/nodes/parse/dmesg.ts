/**
 * Kernel log lines as `dmesg` prints them: `[ 1234.567890] text` (seconds since boot) or, with
 * `dmesg -T`, `[Tue Mar  5 22:23:56 2024] text`. Parsers here take whatever a node returned and
 * never throw: output from a sick node is exactly the output most likely to be odd.
 */

export interface DmesgLine {
  /** Seconds since boot, when the line has the plain `[ s.us]` prefix. */
  readonly seconds: number | undefined;
  readonly text: string;
}

export function splitDmesgLine(line: string): DmesgLine {
  const m = /^\[\s*([^\]]*)\]\s?(.*)$/.exec(line);
  if (!m) return { seconds: undefined, text: line };
  const stamp = m[1] ?? '';
  const seconds = /^\d+\.\d+$/.test(stamp) ? Number(stamp) : undefined;
  return { seconds, text: m[2] ?? '' };
}

export function dmesgLines(dmesg: string): DmesgLine[] {
  return dmesg
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map(splitDmesgLine);
}

export interface OomKill {
  readonly pid: number;
  readonly process: string;
  readonly totalVmKiB: number | undefined;
  readonly anonRssKiB: number | undefined;
  /** A container's memory limit was hit (`Memory cgroup out of memory`), not the whole node. */
  readonly cgroup: boolean;
  readonly seconds: number | undefined;
}

// Kernels since 4.19 print one line; older ones print "Out of memory: Kill process …" then "Killed
// process …". Matching the "Killed process" part counts each kill once on both.
const KILLED = /Killed process (\d{1,10}) \(([^)]*)\)(?:.*?total-vm:(\d+)kB)?(?:.*?anon-rss:(\d+)kB)?/;

export function parseOomLines(dmesg: string): OomKill[] {
  const kills: OomKill[] = [];
  for (const { seconds, text } of dmesgLines(dmesg)) {
    const m = KILLED.exec(text);
    if (!m) continue;
    kills.push({
      pid: Number(m[1]),
      process: m[2] ?? '',
      totalVmKiB: m[3] === undefined ? undefined : Number(m[3]),
      anonRssKiB: m[4] === undefined ? undefined : Number(m[4]),
      cgroup: /memory cgroup out of memory/i.test(text),
      seconds,
    });
  }
  return kills;
}
