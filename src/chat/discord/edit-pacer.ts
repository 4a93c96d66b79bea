import type { Logger } from 'pino';

export interface ChannelEdit {
  name?: string;
  topic?: string;
}

/**
 * Discord lets a bot change a channel's name or topic only twice per ten minutes per channel; a
 * third PATCH gets a 429 that would hold every later edit of that channel behind it. So edits are
 * paced here instead: within the allowance they are sent at once, beyond it the newest wanted
 * name and topic are kept and sent together when the window opens again. The card (a message) is
 * not limited this way and always shows the current state.
 */
export class ChannelEditPacer {
  private readonly sent = new Map<string, number[]>();
  private readonly pending = new Map<string, { edit: ChannelEdit; timer: NodeJS.Timeout }>();

  constructor(
    private readonly send: (channelId: string, edit: ChannelEdit) => Promise<void>,
    private readonly logger: Logger,
    private readonly options: { windowMs: number; max: number; now?: () => number } = {
      windowMs: 10 * 60_000,
      max: 2,
    },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private recent(channelId: string): number[] {
    const cutoff = this.now() - this.options.windowMs;
    const list = (this.sent.get(channelId) ?? []).filter((t) => t > cutoff);
    this.sent.set(channelId, list);
    return list;
  }

  /** Sends now when the allowance has room; otherwise resolves at once and sends later. */
  async edit(channelId: string, edit: ChannelEdit): Promise<{ deferredUntil?: Date }> {
    const waiting = this.pending.get(channelId);
    if (waiting) {
      Object.assign(waiting.edit, edit);
      return { deferredUntil: new Date(this.opensAt(channelId)) };
    }
    const recent = this.recent(channelId);
    if (recent.length < this.options.max) {
      recent.push(this.now());
      await this.send(channelId, edit);
      return {};
    }
    const at = this.opensAt(channelId);
    const timer = setTimeout(() => void this.flush(channelId), Math.max(0, at - this.now()) + 50);
    timer.unref();
    this.pending.set(channelId, { edit: { ...edit }, timer });
    this.logger.info(
      { channelId, at: new Date(at) },
      'channel edit deferred: Discord allows 2 per 10 minutes',
    );
    return { deferredUntil: new Date(at) };
  }

  private opensAt(channelId: string): number {
    const recent = this.recent(channelId);
    return (recent[0] ?? this.now()) + this.options.windowMs;
  }

  private async flush(channelId: string): Promise<void> {
    const waiting = this.pending.get(channelId);
    if (!waiting) return;
    this.pending.delete(channelId);
    try {
      await this.edit(channelId, waiting.edit);
    } catch (err) {
      this.logger.warn({ err, channelId }, 'a deferred channel edit failed');
    }
  }

  stop(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
