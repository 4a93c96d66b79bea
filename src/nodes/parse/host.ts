/** Parsers for `uptime` and `free -h`, the two host-level triage commands. They never throw. */

export interface Uptime {
  readonly uptimeSeconds: number;
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
}

/**
 * ` 13:17:02 up 12 days,  3:04,  1 user,  load average: 0.52, 0.58, 0.59`. The "up" part takes
 * several shapes (`up 3:04`, `up 45 min`, `up 1 day, 45 min`, `up 12 days,  3:04`); it has minute
 * resolution, so `uptimeSeconds` is a whole number of minutes.
 */
export function parseUptime(text: string): Uptime | null {
  const m = /\bup\s+(.*?),\s+(?:\d+\s+users?,\s+)?load averages?:\s*([\d.]+),?\s+([\d.]+),?\s+([\d.]+)/.exec(
    text,
  );
  if (!m) return null;
  const up = m[1] ?? '';
  const days = Number(/(\d+)\s+days?/.exec(up)?.[1] ?? 0);
  const hm = /(\d+):(\d{2})/.exec(up);
  const mins = Number(/(\d+)\s+min/.exec(up)?.[1] ?? 0);
  const minutes = days * 1440 + (hm ? Number(hm[1]) * 60 + Number(hm[2]) : 0) + mins;
  return { uptimeSeconds: minutes * 60, load1: Number(m[2]), load5: Number(m[3]), load15: Number(m[4]) };
}

export interface FreeMemory {
  readonly totalMiB: number;
  readonly usedMiB: number;
  readonly freeMiB: number;
  readonly availableMiB: number;
  /** `total` and `used` as free printed them (`2.0Ti`, `1.9Ti`): no more precise than they were. */
  readonly totalText: string;
  readonly usedText: string;
}

const UNIT_MIB: Record<string, number> = {
  B: 1 / 1024 ** 2,
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 ** 2,
  Pi: 1024 ** 3,
};

/** `412Gi`, `1.9Ti`, `0B` → MiB. `free -h` keeps two or three significant digits, so this is approximate. */
export function parseHumanSize(size: string): number | null {
  const m = /^(\d+(?:[.,]\d+)?)(B|Ki|Mi|Gi|Ti|Pi)?$/.exec(size.trim());
  if (!m) return null;
  return Number((m[1] ?? '').replace(',', '.')) * (UNIT_MIB[m[2] ?? 'B'] ?? 1);
}

/** The `Mem:` row of `free -h` (procps-ng 3.3.10+ columns: total used free shared buff/cache available). */
export function parseFree(text: string): FreeMemory | null {
  const row = /^Mem:\s+(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/);
  if (!row || row.length < 6) return null;
  const [total, used, free, , , available] = row.map(parseHumanSize);
  if (total == null || used == null || free == null || available == null) return null;
  return {
    totalMiB: total,
    usedMiB: used,
    freeMiB: free,
    availableMiB: available,
    totalText: row[0]!,
    usedText: row[1]!,
  };
}
