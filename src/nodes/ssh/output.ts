/**
 * Output limits: a node that prints megabytes (a dmesg flood, a crash-looping container's logs)
 * must not grow the bot's memory, so each stream keeps `cap` bytes and counts the rest: the first
 * `cap` bytes (CappedBuffer), or for a log, whose newest lines matter most, the last (TailBuffer).
 */
export const DEFAULT_OUTPUT_CAP_BYTES = 64 * 1024;

export interface OutputBuffer {
  push(chunk: Buffer): void;
  readonly droppedBytes: number;
  text(): string;
}

export class CappedBuffer implements OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    // A copy, so a kept slice does not pin ssh2's whole receive buffer.
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
    this.dropped += chunk.length - part.length;
  }

  get droppedBytes(): number {
    return this.dropped;
  }

  /** The text, with a last line saying how much was cut when the cap was hit. */
  text(): string {
    const body = Buffer.concat(this.chunks, this.kept).toString('utf8');
    if (this.dropped === 0) return body;
    return `${body}${body.endsWith('\n') ? '' : '\n'}[output truncated: ${this.dropped} more bytes not kept]\n`;
  }
}

/**
 * Keeps the last `cap` bytes. When it had to drop some, the text starts at the first whole line
 * kept (so no line, and no UTF-8 character, is cut in half), after a line saying how much was cut.
 */
export class TailBuffer implements OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    // A copy, so a kept slice does not pin ssh2's whole receive buffer.
    const part = chunk.length <= this.cap ? Buffer.from(chunk) : Buffer.from(chunk.subarray(-this.cap));
    this.dropped += chunk.length - part.length;
    this.chunks.push(part);
    this.kept += part.length;
    // Drop whole chunks from the front while the rest still holds `cap` bytes.
    while (this.kept - (this.chunks[0]?.length ?? 0) >= this.cap) {
      const first = this.chunks.shift();
      if (!first) break;
      this.kept -= first.length;
      this.dropped += first.length;
    }
  }

  get droppedBytes(): number {
    return this.dropped;
  }

  text(): string {
    let body = Buffer.concat(this.chunks, this.kept);
    let cut = this.dropped;
    if (body.length > this.cap) {
      cut += body.length - this.cap;
      body = body.subarray(body.length - this.cap);
    }
    if (cut === 0) return body.toString('utf8');
    // Start at a line boundary: the partial first line goes with the rest that was cut.
    const newline = body.indexOf(0x0a);
    const rest = newline < 0 ? Buffer.alloc(0) : body.subarray(newline + 1);
    cut += body.length - rest.length;
    return `[output truncated: ${cut} earlier bytes not kept]\n${rest.toString('utf8')}`;
  }
}
