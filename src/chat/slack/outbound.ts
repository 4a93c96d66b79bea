import type { WebClient } from '@slack/web-api';
import { chatCalls } from '../../metrics.ts';

/** Counts a Web API call by its outcome once it settles (after WebClient's own retries). */
function counted<T>(method: string, call: Promise<T>): Promise<T> {
  return call.then(
    (value) => {
      chatCalls.inc({ platform: 'slack', method, outcome: 'ok' });
      return value;
    },
    (err: unknown) => {
      chatCalls.inc({ platform: 'slack', method, outcome: 'error' });
      throw err;
    },
  );
}

/**
 * Every Web API call the bot makes goes through here, paced to Slack's published limits so the
 * bot rarely meets a 429 at all:
 * - each method at its tier's rate (Tier 1: 1/min, Tier 2: 20/min, Tier 3: 50/min, Tier 4: 100/min), as token
 *   buckets that allow a short burst, as Slack does;
 * - chat.postMessage and chat.update at about one per second per channel, in order;
 * - queued updates of one message, or of one channel's topic, coalesce: only the newest is sent.
 * A 429 that still happens is waited out by WebClient itself (it honours Retry-After), and 5xx
 * answers and timeouts are retried by its retry policy, so a call here resolves once Slack took it.
 */
export type Tier = 1 | 2 | 3 | 4;

const TIER_PER_MINUTE: Record<Tier, number> = { 1: 1, 2: 20, 3: 50, 4: 100 };

/** Slack's documented tier per method; unknown methods are treated as Tier 3. */
export const METHOD_TIER: Readonly<Record<string, Tier>> = {
  'auth.test': 4,
  'conversations.create': 2,
  'conversations.rename': 2,
  'conversations.archive': 2,
  'conversations.setTopic': 2,
  'conversations.invite': 3,
  'conversations.info': 3,
  'conversations.join': 3,
  'conversations.list': 2,
  'conversations.history': 3,
  'conversations.members': 4,
  'chat.postMessage': 4,
  'chat.update': 3,
  'chat.postEphemeral': 4,
  'chat.getPermalink': 4,
  'users.info': 4,
  'users.list': 2,
  'usergroups.list': 2,
  'usergroups.users.list': 2,
  'views.open': 4,
  'views.update': 4,
  'files.getUploadURLExternal': 4,
  'files.completeUploadExternal': 4,
};

/** Methods paced per channel (Slack: about one message per second per channel). */
const PER_CHANNEL = new Set(['chat.postMessage', 'chat.update']);
const CHANNEL_INTERVAL_MS = 1000;

class TokenBucket {
  private tokens: number;
  private last: number;
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Resolves when a token is available; callers are served in arrival order. */
  take(): Promise<void> {
    const turn = this.chain.then(async () => {
      for (;;) {
        const t = this.now();
        this.tokens = Math.min(this.capacity, this.tokens + (t - this.last) * this.perMs);
        this.last = t;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await sleep(Math.ceil((1 - this.tokens) / this.perMs));
      }
    });
    this.chain = turn;
    return turn;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Pending {
  params: Record<string, unknown>;
  readonly done: Promise<unknown>;
}

export interface OutboundStats {
  calls: number;
  waitedMs: number;
}

export class SlackOutbound {
  private readonly methods = new Map<string, TokenBucket>();
  private readonly channels = new Map<string, TokenBucket>();
  private readonly pending = new Map<string, Pending>();
  readonly stats: OutboundStats = { calls: 0, waitedMs: 0 };

  constructor(
    private readonly client: WebClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls a Web API method after its pacing allows; WebClient retries 429/5xx/timeouts. */
  async call<T = Record<string, unknown>>(method: string, params: Record<string, unknown>): Promise<T> {
    const channel = typeof params.channel === 'string' ? params.channel : undefined;
    if (method === 'chat.update' && channel && typeof params.ts === 'string') {
      return this.coalesced(method, `${channel}:${params.ts}`, params) as Promise<T>;
    }
    if (method === 'conversations.setTopic' && channel) {
      return this.coalesced(method, channel, params) as Promise<T>;
    }
    return this.paced(method, params, channel);
  }

  private async paced<T>(method: string, params: Record<string, unknown>, channel?: string): Promise<T> {
    const start = this.now();
    await this.bucketForMethod(method).take();
    if (channel && PER_CHANNEL.has(method)) await this.bucketForChannel(channel).take();
    this.stats.waitedMs += this.now() - start;
    this.stats.calls += 1;
    return (await counted(method, this.client.apiCall(method, params))) as T;
  }

  /**
   * A card or a topic can change several times a second during an incident; Slack needs only the
   * last version. A call waiting for its turn is replaced by a newer one for the same target, and
   * both callers resolve when the newest is sent.
   */
  private coalesced(method: string, target: string, params: Record<string, unknown>): Promise<unknown> {
    const key = `${method}:${target}`;
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.params = params;
      return waiting.done;
    }
    const entry: Pending = {
      params,
      done: Promise.resolve().then(async () => {
        await this.bucketForMethod(method).take();
        if (PER_CHANNEL.has(method)) await this.bucketForChannel(params.channel as string).take();
        // From here on a newer call queues behind this one instead of replacing it.
        this.pending.delete(key);
        this.stats.calls += 1;
        return counted(method, this.client.apiCall(method, entry.params));
      }),
    };
    this.pending.set(key, entry);
    entry.done.catch(() => this.pending.delete(key));
    return entry.done;
  }

  /** Slack limits each method on its own ("per API method per workspace per app"), at its tier's rate. */
  private bucketForMethod(method: string): TokenBucket {
    let b = this.methods.get(method);
    if (!b) {
      const perMinute = TIER_PER_MINUTE[METHOD_TIER[method] ?? 3];
      // Slack tolerates short bursts above the per-minute rate; allow a few calls at once.
      b = new TokenBucket(Math.max(1, Math.ceil(perMinute / 4)), perMinute / 60_000, this.now);
      this.methods.set(method, b);
    }
    return b;
  }

  private bucketForChannel(channel: string): TokenBucket {
    let b = this.channels.get(channel);
    if (!b) {
      b = new TokenBucket(3, 1 / CHANNEL_INTERVAL_MS, this.now);
      this.channels.set(channel, b);
    }
    return b;
  }
}
