import type { Logger } from 'pino';
import type { ChatMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/port.ts';
import {
  type Actor,
  BOT_LIMITS,
  BotError,
  type Clock,
  graphemeHead,
  type Incident,
  isBotError,
  plural,
} from '../core/index.ts';
import { NCCL_PORT } from '../nodes/commands.ts';
import type { CommandResult, DiagnosticId, NodeAdapter, SchedulerStatus } from '../nodes/port.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import { analyze, type PeerCheck, TRIAGE_DIAGNOSTICS, type TriageReport } from '../nodes/triage.ts';
import { recommend } from '../runbooks/apply.ts';
import type { Runbook } from '../runbooks/schema.ts';
import type { Store } from '../store/port.ts';
import type { ActionService } from './actions.ts';
import { collectButton } from './buttons.ts';
import { incidentRef } from './format.ts';
import { DEFAULT_HARDWARE, HardwareMemory, type HardwareMemoryOptions } from './hardware-memory.ts';
import { offersBundle, renderNodeTriage } from './triage-report.ts';
import { DIAGNOSTIC_TIMEOUT_MS, type RecommendedAction, TriageRequests } from './triage-requests.ts';

export type { RecommendedAction } from './triage-requests.ts';

/** Nodes triaged at once; each adapter also keeps its own limits (SSH: per node and global). */
const NODE_CONCURRENCY = 16;

export interface NodeTriage {
  readonly node: string;
  readonly report?: TriageReport;
  /** Set when the node could not be reached at all. */
  readonly unreachable?: string;
  /** Labels of the actions requested now (`drain of gpu-node-5`). */
  readonly requested: string[];
  /** With a runbook: what its hints recommended, each with its why. */
  readonly recommended?: readonly RecommendedAction[];
  /** What the bot remembers of these GPUs: `GPU 4 (…) has had Xid 79 3 times in 7 days`. */
  readonly history?: readonly string[];
}

export interface TriageInput {
  readonly chat: ChatPlatform;
  readonly channelId: string;
  readonly incident: Incident | undefined;
  readonly nodes: readonly string[];
  readonly actor: Actor;
  /**
   * Triage as this runbook says: only its diagnostics (the NCCL peer probe only when it lists
   * `nccl-port`), and the mitigations its hints recommend instead of the built-in ones.
   */
  readonly runbook?: Runbook;
}

/**
 * Each node → the next node of the same adapter in the list, wrapping around (a ring: N probes for
 * N nodes, every node probing and probed once), where the adapter can probe peers and the list
 * holds two or more of its nodes.
 */
function peerRing(targets: readonly { node: string; adapter: NodeAdapter }[]): Map<string, string> {
  const byAdapter = new Map<NodeAdapter, string[]>();
  for (const { node, adapter } of targets) {
    if (!adapter.probePeer) continue;
    const nodes = byAdapter.get(adapter) ?? [];
    if (!nodes.includes(node)) nodes.push(node);
    byAdapter.set(adapter, nodes);
  }
  const ring = new Map<string, string>();
  for (const nodes of byAdapter.values()) {
    if (nodes.length < 2) continue;
    for (let i = 0; i < nodes.length; i++) ring.set(nodes[i]!, nodes[(i + 1) % nodes.length]!);
  }
  return ring;
}

/**
 * Runs the first-60-seconds diagnostics on many nodes at once: one progress message updated as
 * nodes finish ("12/40 nodes"), each node's report posted as it arrives, an unreachable node
 * reported without holding up the rest, and each recommended mitigation requested right away
 * (still behind its approve button). With two or more nodes of one adapter that can probe peers,
 * each node also checks it can reach the next one's NCCL port (see peerRing), alongside its own
 * diagnostics; a partition is a critical finding with no mitigation to request. With a runbook,
 * the runbook decides what runs and what is requested (src/runbooks/apply.ts), and each report
 * names it and gives each hint's why.
 */
export class TriageService {
  private readonly requests: TriageRequests;
  /** What the bot remembers of nodes and GPUs (also read by /node status and /node history). */
  readonly memory: HardwareMemory;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly nodes: NodeRegistry,
    private readonly actions: ActionService,
    hardware: HardwareMemoryOptions = DEFAULT_HARDWARE,
  ) {
    this.memory = new HardwareMemory(store, clock, logger, hardware);
    this.requests = new TriageRequests(store, logger, actions);
  }

  /**
   * Throws BotError before anything runs when a node is unknown or cannot run diagnostics, or when
   * the runbook lists no diagnostics (its steps are all manual).
   */
  async run(input: TriageInput): Promise<NodeTriage[]> {
    const { chat, channelId, incident, actor, runbook } = input;
    if (runbook && runbook.diagnostics.length === 0) {
      throw new BotError(
        'bot.runbook.no_diagnostics',
        `The runbook ${runbook.name} runs no diagnostics on nodes: its steps are manual.`,
        { hint: `Read them with /runbook show ${runbook.name}.` },
      );
    }
    const diagnostics = runbook ? runbook.diagnostics : TRIAGE_DIAGNOSTICS;
    // Validate every name before anything runs, so a typo stops the whole request with one answer.
    const targets: { node: string; adapter: NodeAdapter }[] = [];
    for (const node of input.nodes)
      targets.push({ node, adapter: await this.nodes.resolve(node, 'diagnose') });

    const peers = diagnostics.includes('nccl-port') ? peerRing(targets) : new Map<string, string>();
    const total = targets.length;
    let done = 0;
    const using = runbook ? ` with runbook ${runbook.name}` : '';
    const progress = (finished: number): ChatMessage => {
      const text = `🔎 Triage of ${plural(total, 'node')}${using}: ${finished}/${total} done${finished === total ? ' ✅' : ''}`;
      return { text, sections: [text] };
    };
    const posted = await chat.postMessage(channelId, progress(0));
    const results: NodeTriage[] = [];
    const queue = [...targets];
    const worker = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const result = await this.triageNode(
          t.node,
          t.adapter,
          peers.get(t.node),
          incident,
          actor,
          diagnostics,
          runbook,
        );
        results.push(result);
        done++;
        const bundle =
          incident && t.adapter.capabilities.has('collect') && offersBundle(result)
            ? collectButton(t.node, incident.id)
            : undefined;
        await chat
          .postMessage(channelId, renderNodeTriage(result, incident, runbook, this.actions.redactor, bundle))
          .catch((err) => this.logger.warn({ err }, 'posting a triage report failed'));
        await chat
          .updateMessage(channelId, posted.messageId, progress(done))
          .catch((err) => this.logger.warn({ err }, 'updating triage progress failed'));
      }
    };
    await Promise.all(Array.from({ length: Math.min(NODE_CONCURRENCY, total) }, worker));
    if (incident) await this.record(incident, results, actor, runbook);
    return results;
  }

  private async triageNode(
    node: string,
    adapter: NodeAdapter,
    peer: string | undefined,
    incident: Incident | undefined,
    actor: Actor,
    diagnostics: readonly DiagnosticId[],
    runbook: Runbook | undefined,
  ): Promise<NodeTriage> {
    const signal = AbortSignal.timeout(DIAGNOSTIC_TIMEOUT_MS);
    // The probe runs on the node being triaged, in the same slot as its diagnostics.
    const [settled, peerCheck, scheduler, previousGpus] = await Promise.all([
      this.diagnoseAll(adapter, node, diagnostics, signal),
      peer === undefined ? undefined : this.probePeer(adapter, node, peer, signal),
      this.schedulerOf(adapter, node, signal),
      this.memory.previousGpus(node),
    ]);
    const results: Partial<Record<DiagnosticId, CommandResult>> = {};
    const transport: string[] = [];
    settled.forEach((r, i) => {
      const id = diagnostics[i]!;
      // 127 with no output is the shell's "command not found": that node cannot answer this one.
      if (r.status === 'fulfilled') {
        if (!(r.value.exitCode === 127 && !r.value.stdout.trim())) results[id] = r.value;
      } else if (isBotError(r.reason) && /unreachable|timeout|host_key|aborted/.test(r.reason.code)) {
        transport.push(r.reason.message);
      } else if (!isBotError(r.reason)) {
        this.logger.warn({ err: r.reason, node, diagnostic: id }, 'a diagnostic failed');
      }
    });
    if (Object.keys(results).length === 0 && transport.length > 0) {
      return { node, unreachable: transport[0]!, requested: [] };
    }
    const report = analyze(node, results, peerCheck ? [peerCheck] : [], diagnostics, {
      expectedGpus: adapter.expectedGpus?.(node),
      ...(scheduler ? { scheduler } : {}),
      ...(previousGpus ? { previousGpus } : {}),
    });
    const history = await this.memory.remember(report, incident);
    if (runbook) {
      const recommended = await this.requests.fromRunbook(
        recommend(runbook, report),
        adapter,
        incident,
        actor,
      );
      const requested = recommended.filter((r) => r.outcome === 'requested').map((r) => r.label);
      return { node, report, requested, recommended, ...(history.length ? { history } : {}) };
    }
    const requested = incident ? await this.requests.builtIn(report.findings, adapter, incident, actor) : [];
    return { node, report, requested, ...(history.length ? { history } : {}) };
  }

  /**
   * The node's Slurm state, reason and jobs, where its adapter can say; a node that cannot answer
   * is missing from the report, not a failed triage (its diagnostics say why).
   */
  private async schedulerOf(
    adapter: NodeAdapter,
    node: string,
    signal: AbortSignal,
  ): Promise<SchedulerStatus | undefined> {
    if (!adapter.schedulerStatus) return undefined;
    try {
      return await adapter.schedulerStatus(node, { signal });
    } catch (err) {
      this.logger.info({ err, node }, 'the scheduler status of a node could not be read');
      return undefined;
    }
  }

  /** One round trip where the adapter can (diagnoseMany), one call per diagnostic otherwise. */
  private async diagnoseAll(
    adapter: NodeAdapter,
    node: string,
    diagnostics: readonly DiagnosticId[],
    signal: AbortSignal,
  ): Promise<PromiseSettledResult<CommandResult>[]> {
    if (adapter.diagnoseMany) {
      try {
        const all = await adapter.diagnoseMany(node, diagnostics, { signal });
        return diagnostics.map((d) => ({ status: 'fulfilled', value: all[d] }));
      } catch (err) {
        return diagnostics.map(() => ({ status: 'rejected', reason: err }));
      }
    }
    return Promise.allSettled(diagnostics.map((d) => adapter.diagnose(node, d, { signal })));
  }

  /** Can `node` reach `peer`'s NCCL port; a probe that could not run comes back without a result. */
  private async probePeer(
    adapter: NodeAdapter,
    node: string,
    peer: string,
    signal: AbortSignal,
  ): Promise<PeerCheck> {
    try {
      const result = await adapter.probePeer!(node, peer, NCCL_PORT, { signal });
      return { peer, port: NCCL_PORT, result };
    } catch (err) {
      if (isBotError(err)) this.logger.info({ err, node, peer }, 'a peer probe did not run');
      else this.logger.warn({ err, node, peer }, 'a peer probe failed');
      return { peer, port: NCCL_PORT };
    }
  }

  private async record(
    incident: Incident,
    results: readonly NodeTriage[],
    actor: Actor,
    runbook: Runbook | undefined,
  ): Promise<void> {
    const lines = results.map((t) =>
      t.unreachable
        ? `${t.node} unreachable`
        : `${t.node}: ${
            t
              .report!.findings.filter((f) => f.level !== 'info')
              // Findings are sentences; joined, each gives up its full stop for the separator.
              .map((f) => f.text.replace(/\.$/, ''))
              .join('; ') || 'healthy'
          }`,
    );
    await this.store.appendTimeline({
      incidentId: incident.id,
      kind: 'command',
      at: this.clock.now(),
      actorId: actor.id,
      actorName: actor.name,
      text: graphemeHead(
        this.actions.redactor(
          `Triage of ${plural(results.length, 'node')} in ${incidentRef(incident)}${runbook ? ` (runbook ${runbook.name})` : ''}: ${lines.join(' | ')}`,
        ),
        BOT_LIMITS.timelineSummary,
      ),
      data: { nodes: results.map((t) => t.node), ...(runbook ? { runbook: runbook.name } : {}) },
      key: results.some((t) => t.unreachable || t.report?.findings.some((f) => f.level === 'critical')),
    });
  }
}
