/**
 * The deeper GPU readings triage takes beside the basic `gpu` query, each from its own allow-listed
 * nvidia-smi call so that a driver lacking one field (nvidia-smi refuses the whole query then) costs
 * that reading alone. A value nvidia-smi cannot give prints as `[N/A]`, `[Not Supported]` or
 * `[Unknown Error]`: it parses as null, "not available on this node", never as a 0 that would
 * read as healthy or a 1 that would read as a fault.
 */

/** Fields of the `gpu-health` query, in the order `parseGpuHealthCsv` expects them. */
export const GPU_HEALTH_FIELDS = [
  'index',
  'pci.bus_id',
  'serial',
  'uuid',
  'power.draw',
  'power.limit',
  'pcie.link.gen.current',
  'pcie.link.gen.max',
  'pcie.link.width.current',
  'pcie.link.width.max',
  'clocks_throttle_reasons.hw_slowdown',
  'clocks_throttle_reasons.hw_thermal_slowdown',
  'clocks_throttle_reasons.hw_power_brake_slowdown',
  'clocks_throttle_reasons.sw_thermal_slowdown',
  'clocks_throttle_reasons.sw_power_cap',
  'retired_pages.single_bit_ecc.count',
  'retired_pages.double_bit.count',
  'retired_pages.pending',
] as const;

/** Fields of the `gpu-remap` query (`--query-remapped-rows`). */
export const REMAPPED_ROWS_FIELDS = [
  'gpu_bus_id',
  'remapped_rows.correctable',
  'remapped_rows.uncorrectable',
  'remapped_rows.pending',
  'remapped_rows.failure',
] as const;

/** Why the clocks are held down, as nvidia-smi names the reasons. */
export type ThrottleReason = 'hw_slowdown' | 'hw_thermal' | 'hw_power_brake' | 'sw_thermal' | 'sw_power_cap';

export interface GpuHealthRow {
  readonly index: number;
  /** As the driver prints it in Xid lines (`0000:9a:00`), so the two can be matched. */
  readonly pciBus: string | null;
  readonly serial: string | null;
  readonly uuid: string | null;
  readonly powerDrawW: number | null;
  readonly powerLimitW: number | null;
  readonly pcieGen: number | null;
  readonly pcieGenMax: number | null;
  readonly pcieWidth: number | null;
  readonly pcieWidthMax: number | null;
  /** The active reasons; null when the driver reports none of them (an older driver, a vGPU). */
  readonly throttle: readonly ThrottleReason[] | null;
  readonly retiredSingleBit: number | null;
  readonly retiredDoubleBit: number | null;
  readonly retiredPending: boolean | null;
}

export interface RemappedRows {
  readonly pciBus: string;
  readonly correctable: number | null;
  readonly uncorrectable: number | null;
  readonly pending: boolean | null;
  readonly failure: boolean | null;
}

export interface NvlinkStatus {
  readonly gpu: number;
  readonly links: number;
  /** Link numbers that are `<inactive>` or print no speed. */
  readonly down: readonly number[];
}

/** `00000000:9A:00.0` (nvidia-smi) or `0000:9a:00` (the driver) → `0000:9a:00`. */
export function normalizePciBus(text: string): string | null {
  const m = /^(?:[0-9a-fA-F]{0,4})?([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})(?:\.[0-7])?$/.exec(
    text.trim(),
  );
  return m ? `${m[1]}:${m[2]}:${m[3]}`.toLowerCase() : null;
}

function num(field: string): number | null {
  const m = /^(-?\d+(?:\.\d+)?)\s*(?:W|%|MiB)?$/.exec(field.trim());
  return m ? Number(m[1]) : null;
}

function text(field: string): string | null {
  const t = field.trim();
  return t === '' || t.startsWith('[') || /^n\/a$/i.test(t) ? null : t;
}

/** `Active` / `Not Active`, `Yes` / `No`, `1` / `0`; anything else (`[N/A]`) is not known. */
function flag(field: string): boolean | null {
  const t = field.trim().toLowerCase();
  if (t === 'active' || t === 'yes' || t === '1' || t === 'true') return true;
  if (t === 'not active' || t === 'no' || t === '0' || t === 'false') return false;
  return null;
}

function csvRows(textOut: string, count: number): string[][] {
  const rows: string[][] = [];
  for (const line of textOut.split(/\r?\n/)) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length === count) rows.push(fields);
  }
  return rows;
}

const THROTTLE_ORDER: readonly ThrottleReason[] = [
  'hw_slowdown',
  'hw_thermal',
  'hw_power_brake',
  'sw_thermal',
  'sw_power_cap',
];

export function parseGpuHealthCsv(out: string): GpuHealthRow[] {
  const rows: GpuHealthRow[] = [];
  for (const f of csvRows(out, GPU_HEALTH_FIELDS.length)) {
    const [index = '', bus = '', serial = '', uuid = '', draw = '', limit = '', gen = '', genMax = ''] = f;
    if (!/^\d{1,3}$/.test(index)) continue;
    const [width = '', widthMax = '', ...rest] = f.slice(8);
    const throttleFlags = rest.slice(0, 5).map(flag);
    const [sbe = '', dbe = '', pending = ''] = rest.slice(5);
    rows.push({
      index: Number(index),
      pciBus: normalizePciBus(bus),
      serial: text(serial),
      uuid: text(uuid),
      powerDrawW: num(draw),
      powerLimitW: num(limit),
      pcieGen: num(gen),
      pcieGenMax: num(genMax),
      pcieWidth: num(width),
      pcieWidthMax: num(widthMax),
      throttle: throttleFlags.every((t) => t === null)
        ? null
        : THROTTLE_ORDER.filter((_, i) => throttleFlags[i] === true),
      retiredSingleBit: num(sbe),
      retiredDoubleBit: num(dbe),
      retiredPending: flag(pending),
    });
  }
  return rows;
}

export function parseRemappedRowsCsv(out: string): RemappedRows[] {
  const rows: RemappedRows[] = [];
  for (const [bus = '', corr = '', uncorr = '', pending = '', failure = ''] of csvRows(
    out,
    REMAPPED_ROWS_FIELDS.length,
  )) {
    const pciBus = normalizePciBus(bus);
    if (!pciBus) continue;
    rows.push({
      pciBus,
      correctable: num(corr),
      uncorrectable: num(uncorr),
      pending: flag(pending),
      failure: flag(failure),
    });
  }
  return rows;
}

/**
 * `nvidia-smi nvlink --status`: a `GPU n: <name> (UUID: …)` line, then one `Link k: <speed>` line
 * per link; a link that is not up prints `<inactive>` instead of a speed. GPUs without NVLink print
 * no link lines and are left out.
 */
export function parseNvlinkStatus(out: string): NvlinkStatus[] {
  const gpus: { gpu: number; links: number; down: number[] }[] = [];
  let current: { gpu: number; links: number; down: number[] } | undefined;
  for (const raw of out.split(/\r?\n/)) {
    const line = raw.trim();
    const g = /^GPU (\d{1,3}):/.exec(line);
    if (g) {
      current = { gpu: Number(g[1]), links: 0, down: [] };
      gpus.push(current);
      continue;
    }
    const l = /^Link (\d{1,3}): (.*)$/.exec(line);
    if (!l || !current) continue;
    current.links += 1;
    if (!/^\d+(?:\.\d+)?\s*GB\/s$/i.test((l[2] ?? '').trim())) current.down.push(Number(l[1]));
  }
  return gpus.filter((g) => g.links > 0);
}
