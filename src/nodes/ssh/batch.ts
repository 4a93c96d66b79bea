import { randomBytes } from 'node:crypto';
import { CappedBuffer } from './output.ts';
import { shellQuote } from './shell-quote.ts';

/**
 * Several allow-listed commands in one exec: a POSIX `sh` script that runs each command in its own
 * `sh -c` and, after it, prints an end marker on both streams (with the exit status on stdout). The
 * marker carries a random nonce per batch, so nothing a node prints can pass for one. One round trip
 * instead of eight is what makes a triage of a large fleet fit in a few command latencies.
 *
 * Each command line of the script:
 *
 *   sh -c '<command>' </dev/null; s=$?; printf '\n%s:%s\n' '<nonce>:<i>' "$s"; printf '\n%s\n' '<nonce>:<i>' >&2
 */

export interface Batch {
  /** The script; run it with `sh -c <quoted script>`. */
  readonly script: string;
  readonly nonce: string;
  readonly count: number;
}

export function newNonce(): string {
  return `ib-${randomBytes(12).toString('hex')}`;
}

export function batchLine(command: string, nonce: string, i: number): string {
  const mark = shellQuote(`${nonce}:${i}`);
  return `sh -c ${shellQuote(command)} </dev/null; s=$?; printf '\\n%s:%s\\n' ${mark} "$s"; printf '\\n%s\\n' ${mark} >&2`;
}

export function buildBatch(commands: readonly string[], nonce: string = newNonce()): Batch {
  return { script: commands.map((c, i) => batchLine(c, nonce, i)).join('\n'), nonce, count: commands.length };
}

/** Enough to hold any marker plus an exit status, so a marker split across two packets is still seen. */
const HOLD_BACK = 128;

/**
 * Splits one output stream of a batch at its markers as the bytes arrive, keeping at most `cap`
 * bytes per command: memory stays bounded however much a node prints.
 */
export class BatchDemux {
  private pending: Buffer = Buffer.alloc(0);
  private index = 0;
  private readonly segments: CappedBuffer[];
  private readonly statuses: (number | undefined)[];
  private readonly trailer: CappedBuffer;

  constructor(
    private readonly batch: Pick<Batch, 'nonce' | 'count'>,
    private readonly withStatus: boolean,
    cap: number,
  ) {
    this.segments = Array.from({ length: batch.count }, () => new CappedBuffer(cap));
    this.statuses = Array.from({ length: batch.count }, () => undefined);
    this.trailer = new CappedBuffer(1024);
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.scan(false);
  }

  end(): void {
    this.scan(true);
  }

  /** How many commands reached their end marker. */
  get completed(): number {
    return this.index;
  }

  text(i: number): string {
    return this.segments[i]?.text() ?? '';
  }

  status(i: number): number | undefined {
    return this.statuses[i];
  }

  private marker(i: number): Buffer {
    return Buffer.from(`\n${this.batch.nonce}:${i}${this.withStatus ? ':' : '\n'}`, 'latin1');
  }

  private scan(final: boolean): void {
    while (this.index < this.batch.count) {
      const marker = this.marker(this.index);
      const at = this.pending.indexOf(marker);
      if (at < 0) break;
      let rest: Buffer;
      if (this.withStatus) {
        const nl = this.pending.indexOf(0x0a, at + marker.length);
        if (nl < 0) {
          // The status has not arrived yet: keep the marker for the next packet.
          this.segments[this.index]?.push(this.pending.subarray(0, at));
          this.pending = Buffer.from(this.pending.subarray(at));
          if (!final) return;
          break;
        }
        const status = this.pending.subarray(at + marker.length, nl).toString('latin1');
        this.statuses[this.index] = /^\d{1,3}$/.test(status) ? Number(status) : undefined;
        rest = this.pending.subarray(nl + 1);
      } else {
        rest = this.pending.subarray(at + marker.length);
      }
      this.segments[this.index]?.push(this.pending.subarray(0, at));
      this.index++;
      this.pending = rest;
    }
    const target = this.segments[this.index] ?? this.trailer;
    const keep = final ? 0 : Math.min(this.pending.length, HOLD_BACK);
    target.push(this.pending.subarray(0, this.pending.length - keep));
    this.pending = Buffer.from(this.pending.subarray(this.pending.length - keep));
  }
}
