import type { GpuHealth } from '../port.ts';

/**
 * Rows of `nvidia-smi --query-gpu=<NVIDIA_SMI_FIELDS> --format=csv,noheader`, e.g.
 * `0, NVIDIA H100 80GB HBM3, 34, 0 %, 0 MiB, 81559 MiB, 0`. A value nvidia-smi could not read is
 * printed in brackets: `[N/A]` / `[Not Supported]` mean the field does not apply, while
 * `[GPU requires reset]` / `[Unknown Error]` / `[GPU is lost]` mean the GPU did not answer.
 */
export interface NvidiaSmiRow {
  readonly index: number;
  readonly name: string;
  readonly temperatureC: number | null;
  readonly utilizationPct: number | null;
  readonly memoryUsedMiB: number | null;
  readonly memoryTotalMiB: number | null;
  readonly eccUncorrected: number | null;
  readonly responding: boolean;
}

const FAILED = /requires reset|unknown error|gpu is lost|fallen off/i;
const FIELD_COUNT = 7;

/** A number with an optional unit (`81559 MiB`, `37 %`); null for `[N/A]` and anything else. */
function numberField(field: string): number | null {
  const m = /^(-?\d+(?:\.\d+)?)\s*(?:%|MiB|W|C)?$/.exec(field);
  return m ? Number(m[1]) : null;
}

/** Lines that are not rows (warnings, "No devices were found", blank lines) are skipped. */
export function parseNvidiaSmiCsv(text: string): NvidiaSmiRow[] {
  const rows: NvidiaSmiRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== FIELD_COUNT) continue;
    const [index = '', name = '', temp = '', util = '', used = '', total = '', ecc = ''] = fields;
    if (!/^\d{1,3}$/.test(index)) continue;
    rows.push({
      index: Number(index),
      name,
      temperatureC: numberField(temp),
      utilizationPct: numberField(util),
      memoryUsedMiB: numberField(used),
      memoryTotalMiB: numberField(total),
      eccUncorrected: numberField(ecc),
      responding: !fields.some((f) => FAILED.test(f)),
    });
  }
  return rows;
}

/** Unreadable values become 0: `responding` (false) is what tells a reader not to trust them. */
export function toGpuHealth(row: NvidiaSmiRow): GpuHealth {
  return {
    index: row.index,
    name: row.name,
    temperatureC: row.temperatureC ?? 0,
    utilizationPct: row.utilizationPct ?? 0,
    memoryUsedMiB: row.memoryUsedMiB ?? 0,
    memoryTotalMiB: row.memoryTotalMiB ?? 0,
    eccUncorrected: row.eccUncorrected ?? 0,
    responding: row.responding,
  };
}
