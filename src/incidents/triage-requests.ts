import type { Logger } from 'pino';
import { type Action, type Actor, describeError, type Incident } from '../core/index.ts';
import type { NodeAdapter } from '../nodes/port.ts';
import type { Finding } from '../nodes/triage.ts';
import type { RunbookRecommendation } from '../runbooks/apply.ts';
import type { RecommendationKind } from '../runbooks/schema.ts';
import type { Store } from '../store/port.ts';
import type { ActionService } from './actions.ts';

/** How long listing a node's workloads (to find the one a finding names) may take. */
export const DIAGNOSTIC_TIMEOUT_MS = 30_000;

/** What a runbook hint recommended for a node, and what became of it. */
export interface RecommendedAction {
  readonly action: RecommendationKind;
  /** `drain of gpu-node-5`, `restart of gpu-node-3/vllm-llama3-8b`; `escalate` for an escalation. */
  readonly label: string;
  /** The hint's why. */
  readonly why: string;
  /**
   * requested: an action request was made now; pending: one was already open; escalate: nothing
   * to request, a human takes over; recommended: not requested (see `detail`).
   */
  readonly outcome: 'requested' | 'pending' | 'escalate' | 'recommended';
  /** Why a recommendation was not requested. */
  readonly detail?: string;
}

/**
 * What triage's findings ask for, made into action requests (each still behind its approve
 * button), at most once per incident and target: a request already open for the same kind and
 * target is not made again.
 */
export class TriageRequests {
  constructor(
    private readonly store: Pick<Store, 'listActions'>,
    private readonly logger: Logger,
    private readonly actions: Pick<ActionService, 'request'>,
  ) {}

  /** Each recommendation becomes a stored action request, once per incident and target. */
  async builtIn(
    findings: readonly Finding[],
    adapter: NodeAdapter,
    incident: Incident,
    actor: Actor,
  ): Promise<string[]> {
    const pending = await this.open(incident);
    const requested: string[] = [];
    for (const f of findings) {
      const rec = f.recommendation;
      if (!rec) continue;
      try {
        let target = rec.node;
        if (rec.kind === 'restart') {
          const workloads = await adapter.listWorkloads(rec.node, {
            signal: AbortSignal.timeout(DIAGNOSTIC_TIMEOUT_MS),
          });
          const w = workloads.find((x) => x.name === rec.container);
          if (!w) continue;
          target = w.id;
        }
        const label = `${rec.kind} of ${target}`;
        if (requested.includes(label) || pending.some((a) => a.kind === rec.kind && a.target === target))
          continue;
        await this.actions.request(incident, rec.kind, target, actor);
        requested.push(label);
      } catch (err) {
        // A capability the adapter lacks, or a policy refusal: the finding still shows.
        this.logger.info({ err, recommendation: rec }, 'a recommended mitigation was not requested');
      }
    }
    return requested;
  }

  /**
   * A runbook's recommendations: node actions on the node, workload actions on the workload the
   * finding names (looked up by name on the node), escalations shown and never requested. Deduped
   * against the incident's open actions like the built-in ones.
   */
  async fromRunbook(
    recs: readonly RunbookRecommendation[],
    adapter: NodeAdapter,
    incident: Incident | undefined,
    actor: Actor,
  ): Promise<RecommendedAction[]> {
    const pending = incident ? await this.open(incident) : [];
    const out: RecommendedAction[] = [];
    for (const rec of recs) {
      const { action, why } = rec;
      if (action === 'escalate') {
        out.push({ action, label: 'escalate', why, outcome: 'escalate' });
        continue;
      }
      const notRequested = (label: string, detail: string) =>
        out.push({ action, label, why, outcome: 'recommended', detail });
      let target = rec.node;
      if (action === 'restart' || action === 'stop') {
        if (rec.container === undefined) {
          notRequested(
            `${action} of a workload on ${rec.node}`,
            `the finding names no workload: find it with /workload list --node ${rec.node}`,
          );
          continue;
        }
        try {
          const workloads = await adapter.listWorkloads(rec.node, {
            signal: AbortSignal.timeout(DIAGNOSTIC_TIMEOUT_MS),
          });
          const w =
            workloads.find((x) => x.name === rec.container) ?? workloads.find((x) => x.id === rec.container);
          if (!w) {
            notRequested(
              `${action} of ${rec.container}`,
              `no workload named ${rec.container} on ${rec.node}: find it with /workload list --node ${rec.node}`,
            );
            continue;
          }
          target = w.id;
        } catch (err) {
          this.logger.info({ err, recommendation: rec }, 'listing workloads for a recommendation failed');
          notRequested(`${action} of ${rec.container}`, describeError(err));
          continue;
        }
      }
      const label = `${action} of ${target}`;
      if (out.some((r) => r.label === label)) continue;
      if (!incident) {
        notRequested(label, 'no incident to request it in');
        continue;
      }
      if (pending.some((a) => a.kind === action && a.target === target)) {
        out.push({ action, label, why, outcome: 'pending' });
        continue;
      }
      try {
        await this.actions.request(incident, action, target, actor);
        out.push({ action, label, why, outcome: 'requested' });
      } catch (err) {
        // A capability the adapter lacks, or a policy refusal: the recommendation still shows.
        this.logger.info({ err, recommendation: rec }, 'a recommended mitigation was not requested');
        notRequested(label, describeError(err));
      }
    }
    return out;
  }

  /** The incident's actions still waiting for, or in, a decision or a run. */
  private async open(incident: Incident): Promise<Action[]> {
    return (await this.store.listActions(incident.id)).filter(
      (a) => a.status === 'requested' || a.status === 'approved' || a.status === 'running',
    );
  }
}
