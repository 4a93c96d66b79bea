/**
 * Output limits: a node that prints megabytes (a dmesg flood, a crash-looping container's logs)
 * must not grow the bot's memory, so each stream keeps its first `cap` bytes and counts the rest.
 */
export const DEFAULT_OUTPUT_CAP_BYTES = 64 * 1024;

export class CappedBuffer {
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
