import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatPlatform } from '../chat/port.ts';
import {
  type Actor,
  BotError,
  type Clock,
  describeError,
  formatBytes,
  formatElapsed,
  type Incident,
  plural,
  type Redactor,
} from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import { BUNDLE_LOOKBACK_MS, type CollectedBundle } from '../nodes/bundle.ts';
import { type BuiltArchive, buildArchive } from '../nodes/bundle-archive.ts';
import type { NodeAdapter } from '../nodes/port.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { BundleSlot, Store } from '../store/port.ts';
import { note, post, upload } from './drafts.ts';
import { formatTime, incidentRef } from './format.ts';

/**
 * The diagnostic bundle (`/node collect`, and the button an escalation offers): NVIDIA's bug report
 * of a node, or the fixed set where it has none (src/nodes/bundle.ts), redacted, compressed and
 * attached to the incident's channel through the outbox, once.
 *
 * It is read-only, so nobody approves it, but it runs for minutes on a node that is already unwell:
 * one per node at a time, and one per node every `cooldownMinutes`, kept in the store
 * (`node_bundles`) so every replica keeps to the same limit. The collection runs beside the
 * command (which answers at once); a process that stops in the middle leaves its claim
 * `collecting`, and the sweeper says in the incident's channel that it was cut off once its time
 * limit has passed.
 */

export interface BundleOptions {
  /** One collection per node in this many minutes (a failed one does not count). */
  readonly cooldownMinutes: number;
  /** How long a collection may run on the node. */
  readonly timeoutMinutes: number;
}

export const DEFAULT_BUNDLES: BundleOptions = { cooldownMinutes: 15, timeoutMinutes: 10 };

/** A collection still `collecting` this long after its time limit was cut off by a stop. */
const STALE_GRACE_MS = 2 * 60_000;

/** What the platforms are called in the archive's README. */
const PLATFORM_NAMES: Readonly<Record<string, string>> = {
  slack: 'Slack',
  discord: 'Discord',
  sandbox: 'the sandbox',
};

/**
 * The largest part the bot attaches, whatever the platform takes (Slack takes 1 GB): a part rides
 * in one outbox entry as base64 until it is delivered, so this bounds that row (about 34 MiB).
 */
export const MAX_BUNDLE_PART_BYTES = 25 * 1024 * 1024;

/** The size each part must fit, and whose limit it is (for "split to fit …'s upload limit"). */
export function bundlePartLimit(chat: Pick<ChatPlatform, 'id' | 'maxUploadBytes'>): {
  readonly bytes: number;
  readonly whose: string;
} {
  if (chat.maxUploadBytes <= MAX_BUNDLE_PART_BYTES)
    return { bytes: chat.maxUploadBytes, whose: PLATFORM_NAMES[chat.id] ?? chat.id };
  return { bytes: MAX_BUNDLE_PART_BYTES, whose: 'the bot' };
}

export interface BundleRequest {
  readonly chat: ChatPlatform;
  readonly incident: Incident;
  readonly node: string;
  readonly actor: Actor;
}

/** `03:00 UTC`: the times the bundle's messages name. */
const stamp = (d: Date) => formatTime(d, 'UTC', false);

export class BundleService {
  private readonly running = new Map<string, { promise: Promise<void>; abort: AbortController }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly deps: {
      readonly uow: UnitOfWork;
      readonly directory: ChatDirectory;
      readonly nodes: NodeRegistry;
      readonly redact: Redactor;
    },
    private readonly options: BundleOptions = DEFAULT_BUNDLES,
    /** Whose collections these are in the store. */
    readonly owner: string = randomUUID(),
    /** The same name after a restart: what it held before is its own. */
    private readonly ownerIsStable = false,
  ) {}

  /**
   * Claims the node and says in the channel that the bundle is coming; the collection itself runs
   * beside the caller. Refused with a coded BotError when the node cannot collect, or is being
   * collected, or was collected within the rate limit.
   */
  async request(input: BundleRequest): Promise<{ readonly claimId: string }> {
    const { incident, node, actor } = input;
    if (incident.status === 'closed') {
      throw new BotError(
        'bot.bundle.closed',
        `${incidentRef(incident)} is closed: a bundle would have nowhere to go.`,
        {
          hint: 'Run /node collect in the channel of an open incident.',
        },
      );
    }
    const adapter = this.deps.nodes.require(node, 'collect');
    if (!adapter.collectBundle)
      throw new Error(`adapter ${adapter.name} has the collect capability but no collectBundle`);
    const collectBundle = adapter.collectBundle.bind(adapter);
    const now = this.clock.now();
    const claimId = randomUUID();
    const claimed = await this.store.claimBundleSlot({
      node,
      claimId,
      incidentId: incident.id,
      requestedBy: actor.name,
      owner: this.owner,
      at: now,
      doneBefore: new Date(now.getTime() - this.options.cooldownMinutes * 60_000),
      staleBefore: new Date(now.getTime() - this.timeoutMs() - STALE_GRACE_MS),
    });
    if (!claimed.claimed) throw await this.refusal(node, claimed.holder);
    const text = `📦 Collecting the diagnostic bundle of ${node}, asked by ${actor.name}: NVIDIA's nvidia-bug-report.sh where the node has it, else nvidia-smi -q, dmesg, the kernel journal from an hour before ${incidentRef(incident)} was declared, and lspci. It takes up to ${plural(this.options.timeoutMinutes, 'minute')}; it will be attached here, redacted.`;
    try {
      await this.deps.uow.commit(async (tx, send) => {
        await tx.appendTimeline({
          incidentId: incident.id,
          kind: 'note',
          at: now,
          actorId: actor.id,
          actorName: actor.name,
          text: `Diagnostic bundle of ${node} asked for`,
          data: { bundle: claimId, node },
        });
        send(post(incident, note(text)));
      });
    } catch (err) {
      await this.store.finishBundleSlot(node, claimId, 'failed', this.clock.now());
      throw err;
    }
    const abort = new AbortController();
    const promise = this.collect(input, collectBundle, claimId, abort.signal).finally(() =>
      this.running.delete(claimId),
    );
    this.running.set(claimId, { promise, abort });
    return { claimId };
  }

  /**
   * Collections that a stopped process left `collecting` (past their time limit, or at once when
   * it was this process under its stable name): each is ended and its channel told, once
   * (finishing the claim is the once). Returns how many.
   */
  async reconcile(): Promise<number> {
    const now = this.clock.now();
    const before = new Date(now.getTime() - this.timeoutMs() - STALE_GRACE_MS);
    // Under a stable owner name (SQLite, a fixed REPLICA_ID) a claim of ours that this process is
    // not running was left by our own previous life: cut off now, not after the time limit.
    const stale = (slot: BundleSlot) =>
      slot.startedAt <= before ||
      (this.ownerIsStable && slot.owner === this.owner && !this.running.has(slot.claimId));
    let told = 0;
    for (const slot of (await this.store.listStaleBundleSlots(now)).filter(stale)) {
      const incident = slot.incidentId ? await this.store.getIncident(slot.incidentId) : undefined;
      const text = `⚠️ The diagnostic bundle of ${slot.node} (asked by ${slot.requestedBy} at ${stamp(slot.startedAt)}) was cut off: the bot stopped while collecting it. Run \`/node collect ${slot.node}\` to collect it again.`;
      const ended = await this.deps.uow.commit(async (tx, send) => {
        if (!(await tx.finishBundleSlot(slot.node, slot.claimId, 'failed', this.clock.now()))) return false;
        if (incident && incident.status !== 'closed') send(post(incident, note(text)));
        return true;
      });
      if (ended.value) told++;
    }
    return told;
  }

  /** Resolves once the collections started by this process have ended (tests, stop). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((r) => r.promise));
  }

  /**
   * Stops the collections in flight, each saying so in its channel (before the outbox stops). A
   * process that dies instead leaves its claims to `reconcile`.
   */
  async stop(): Promise<void> {
    for (const r of this.running.values()) r.abort.abort();
    await this.idle();
  }

  private timeoutMs(): number {
    return this.options.timeoutMinutes * 60_000;
  }

  private async refusal(node: string, holder: BundleSlot): Promise<BotError> {
    const where = holder.incidentId ? await this.store.getIncident(holder.incidentId) : undefined;
    const inIncident = where ? ` for ${incidentRef(where)}` : '';
    if (holder.status === 'collecting') {
      return new BotError(
        'bot.bundle.busy',
        `The diagnostic bundle of ${node} is being collected now (asked by ${holder.requestedBy} at ${stamp(holder.startedAt)}${inIncident}).`,
        {
          hint: `It is attached to that incident's channel when it is done, within ${plural(this.options.timeoutMinutes, 'minute')}.`,
        },
      );
    }
    const next = new Date(holder.startedAt.getTime() + this.options.cooldownMinutes * 60_000);
    return new BotError(
      'bot.bundle.rate_limited',
      `A diagnostic bundle of ${node} was collected at ${stamp(holder.startedAt)} (asked by ${holder.requestedBy}${inIncident}); the bot collects one per node every ${plural(this.options.cooldownMinutes, 'minute')}.`,
      {
        hint: `It is attached to that incident's channel. The next one can be collected from ${stamp(next)}.`,
      },
    );
  }

  /** The collection, beside the caller: never throws; what went wrong is said in the channel. */
  private async collect(
    input: BundleRequest,
    collectBundle: NonNullable<NodeAdapter['collectBundle']>,
    claimId: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { incident, node, actor } = input;
    const chat = this.deps.directory.chatFor(incident);
    const since = new Date(incident.createdAt.getTime() - BUNDLE_LOOKBACK_MS);
    const limit = bundlePartLimit(chat);
    let built: BuiltArchive;
    let bundle: CollectedBundle;
    try {
      bundle = await collectBundle(node, since, { signal, timeoutMs: this.timeoutMs() });
      const collectedAt = this.clock.now();
      built = await buildArchive({
        bundle,
        context: [
          `Incident: ${incidentRef(incident)} ${incident.title}`,
          `Asked by: ${actor.name}, collected ${formatTime(collectedAt)}`,
          `Kernel journal from: ${formatTime(since)} (an hour before the incident was declared)`,
        ],
        maxBytes: limit.bytes,
        platform: limit.whose,
        collectedAt,
        redact: this.deps.redact,
      });
    } catch (err) {
      const why = signal.aborted ? 'the bot was stopped while collecting it.' : describeError(err);
      if (!signal.aborted)
        this.logger.warn({ err, node, incident: incident.id }, 'collecting a diagnostic bundle failed');
      const text = `⚠️ Could not collect the diagnostic bundle of ${node}: ${why} Run \`/node collect ${node}\` to try again.`;
      await this.finish(incident, node, claimId, 'failed', text, [], { error: why });
      return;
    }
    const total = built.parts.reduce((n, p) => n + p.bytes.length, 0);
    const failed = bundle.files.filter((f) => f.exitCode !== 0).map((f) => `${f.name} (exit ${f.exitCode})`);
    const what =
      bundle.collector === 'nvidia-bug-report'
        ? 'nvidia-bug-report.sh'
        : bundle.files.map((f) => f.name).join(', ');
    const taker = limit.whose === 'the bot' ? 'the bot attaches' : `${limit.whose} takes`;
    const split =
      built.parts.length > 1
        ? ` in ${built.parts.length} parts (${taker} files of up to ${formatBytes(limit.bytes)})`
        : '';
    const lines = [
      `📦 Diagnostic bundle of ${node}: ${what}, ${formatBytes(built.rawBytes)} collected in ${formatElapsed(bundle.durationMs)}, ${formatBytes(total)} compressed${split}.`,
      built.redactions > 0
        ? `🔒 ${plural(built.redactions, 'secret')} redacted. Read it before sharing it outside the company.`
        : "🔒 Redacted with the bot's rules (nothing matched). Read it before sharing it outside the company.",
      ...(failed.length
        ? [`⚠️ Some commands failed on the node: ${failed.join(', ')}; their errors are in the archive.`]
        : []),
      ...built.cut.map(
        (c) =>
          `✂️ ${c.name} was cut to ${formatBytes(c.kept)} of ${formatBytes(c.of)} (its start and end) to fit the upload limit.`,
      ),
    ];
    const files = built.parts.map((p, i) => ({
      filename: p.filename,
      title:
        built.parts.length > 1
          ? `Diagnostic bundle of ${node} (part ${i + 1} of ${built.parts.length})`
          : `Diagnostic bundle of ${node}`,
      content: p.bytes.toString('base64'),
      encoding: 'base64' as const,
      contentType: 'application/gzip',
    }));
    await this.finish(incident, node, claimId, 'done', lines.join('\n'), files, {
      files: built.parts.map((p) => p.filename),
      bytes: total,
      redactions: built.redactions,
    });
  }

  /** Ends the claim, records it, and posts what came of it with its files, in one commit. */
  private async finish(
    incident: Incident,
    node: string,
    claimId: string,
    status: 'done' | 'failed',
    text: string,
    files: readonly Parameters<typeof upload>[1][],
    data: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.deps.uow.commit(async (tx, send) => {
        const current = (await tx.getIncident(incident.id)) ?? incident;
        await tx.finishBundleSlot(node, claimId, status, this.clock.now());
        const attach = current.status !== 'closed';
        await tx.appendTimeline({
          incidentId: incident.id,
          kind: 'note',
          at: this.clock.now(),
          actorId: null,
          actorName: 'incident-bot',
          text:
            status === 'failed'
              ? `Diagnostic bundle of ${node} not collected: ${String(data.error ?? 'failed')}`
              : attach
                ? `Diagnostic bundle of ${node} attached (${plural(files.length, 'file')})`
                : `Diagnostic bundle of ${node} collected after the incident was closed: not attached`,
          data: { bundle: claimId, node, ...data },
        });
        if (!attach) return;
        send(post(current, note(text)), ...files.map((f) => upload(current, f)));
      });
    } catch (err) {
      this.logger.error({ err, node, incident: incident.id }, 'recording a diagnostic bundle failed');
      await this.store.finishBundleSlot(node, claimId, 'failed', this.clock.now()).catch(() => undefined);
    }
  }
}
