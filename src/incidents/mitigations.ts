import type { ActionKind, ActionResult } from '../core/index.ts';
import { BotError, plural } from '../core/index.ts';
import { describeJob } from '../nodes/parse/slurm.ts';
import type { CallOptions, DrainPlan, NodeAdapter, NodeCapability } from '../nodes/port.ts';
import type { NodeRegistry } from '../nodes/registry.ts';

/** What a request resolved its target to: the stored target, the adapter's name, the node it is on. */
export interface ResolvedTarget {
  readonly target: string;
  readonly adapter: NodeAdapter;
  readonly node: string;
  /** What the dry run says will happen. */
  readonly preview: string;
}

/**
 * One mitigation kind: the capability it needs, what it acts on, its dry run and its run. The one
 * table of them is MITIGATIONS; the action service knows no kind by name.
 */
export interface Mitigation {
  readonly capability: NodeCapability;
  /** A whole node, or one workload on a node. */
  readonly target: 'node' | 'workload';
  /** Finds the target and says what running it will do; throws a BotError when it cannot. */
  resolve(nodes: NodeRegistry, target: string, opts: CallOptions): Promise<ResolvedTarget>;
  /** Runs it. A node answering "no" is a failed result, not a throw. */
  run(adapter: NodeAdapter, target: string, opts: CallOptions): Promise<ActionResult>;
}

async function nodeTarget(
  nodes: NodeRegistry,
  node: string,
  capability: NodeCapability,
  preview: (adapter: NodeAdapter, opts: CallOptions) => Promise<string>,
  opts: CallOptions,
): Promise<ResolvedTarget> {
  const adapter = await nodes.resolve(node, capability);
  return { target: node, adapter, node, preview: await preview(adapter, opts) };
}

async function workloadTarget(
  nodes: NodeRegistry,
  ref: string,
  kind: 'restart' | 'stop',
  opts: CallOptions,
): Promise<ResolvedTarget> {
  const { adapter, workload } = await nodes.findWorkload(ref, opts);
  if (!adapter.capabilities.has(kind)) {
    throw new BotError('bot.node.unsupported', `Adapter ${adapter.name} cannot ${kind} workloads.`, {
      hint: `Configure a ${kind} command for it, or do it outside the bot.`,
    });
  }
  const state = `${workload.state}, ${workload.restartCount} restarts${workload.lastExitCode !== null ? `, last exit ${workload.lastExitCode}` : ''}`;
  const preview =
    kind === 'restart'
      ? `${workload.name} on ${workload.node} (${state}) will be restarted${workload.gpus > 0 ? `; its ${plural(workload.gpus, 'GPU')} are briefly idle` : ''}.`
      : `${workload.name} on ${workload.node} (${state}) will be stopped and stays stopped until someone starts it.`;
  return { target: workload.id, adapter, node: workload.node, preview };
}

export const MITIGATIONS: Readonly<Record<ActionKind, Mitigation>> = {
  cordon: {
    capability: 'cordon',
    target: 'node',
    resolve: (nodes, node, opts) =>
      nodeTarget(
        nodes,
        node,
        'cordon',
        async (adapter, o) => {
          const workloads = await adapter.listWorkloads(node, o);
          const running = workloads.filter((w) => w.state === 'running' || w.state === 'restarting');
          return `${node} will stop receiving new work. ${plural(running.length, 'running workload')} ${running.length === 1 ? 'keeps' : 'keep'} running: ${running.map((w) => w.name).join(', ') || 'none'}.`;
        },
        opts,
      ),
    run: (adapter, node, opts) => adapter.cordon(node, opts),
  },
  uncordon: {
    capability: 'uncordon',
    target: 'node',
    resolve: (nodes, node, opts) =>
      nodeTarget(nodes, node, 'uncordon', async () => `${node} will accept new work again.`, opts),
    run: (adapter, node, opts) => adapter.uncordon(node, opts),
  },
  drain: {
    capability: 'drain',
    target: 'node',
    resolve: (nodes, node, opts) =>
      nodeTarget(
        nodes,
        node,
        'drain',
        async (adapter, o) => {
          return drainPreview(await adapter.planDrain(node, o));
        },
        opts,
      ),
    run: (adapter, node, opts) => adapter.drain(node, opts),
  },
  restart: {
    capability: 'restart',
    target: 'workload',
    resolve: (nodes, ref, opts) => workloadTarget(nodes, ref, 'restart', opts),
    run: (adapter, workload, opts) => adapter.restartWorkload(workload, opts),
  },
  stop: {
    capability: 'stop',
    target: 'workload',
    resolve: (nodes, ref, opts) => workloadTarget(nodes, ref, 'stop', opts),
    run: (adapter, workload, opts) => adapter.stopWorkload(workload, opts),
  },
};

/** Mitigations of a whole node; the others (restart, stop) act on one workload. */
export type NodeActionKind = Extract<ActionKind, 'cordon' | 'uncordon' | 'drain'>;
export type WorkloadActionKind = Extract<ActionKind, 'restart' | 'stop'>;

export function isNodeKind(kind: ActionKind): kind is NodeActionKind {
  return MITIGATIONS[kind].target === 'node';
}

/**
 * What a drain will do, workload by workload: moved to which node, or stopped and why, as the
 * adapter's plan says. An adapter that cannot tell gets "evicted", with no promise of where to.
 */
export function drainPreview(plan: DrainPlan): string {
  const { node, evict, skip, fates } = plan;
  const lines = [
    plan.alreadyCordoned
      ? `${node} is already cordoned.`
      : `${node} will be cordoned (no new work scheduled).`,
  ];
  if (evict.length === 0) lines.push('No workloads need to move.');
  for (const w of evict) {
    const fate = fates?.[w.id];
    const what = `• ${w.name} (${plural(w.gpus, 'GPU')})`;
    if (fate?.kind === 'moved') lines.push(`${what} will be moved to ${fate.to}.`);
    else if (fate?.kind === 'stopped') lines.push(`${what} will be stopped: ${fate.why}.`);
    else lines.push(`${what} will be evicted.`);
  }
  if (skip.length) {
    lines.push(`Left in place: ${skip.map((s) => `${s.workload.name} (${s.reason})`).join(', ')}`);
  }
  const jobs = plan.schedulerJobs;
  if (jobs && jobs.length > 0) {
    const shown = jobs.slice(0, MAX_JOBS_SHOWN);
    lines.push(
      `${plural(jobs.length, 'Slurm job')} on ${node} ${jobs.length === 1 ? 'keeps' : 'keep'} running until ${jobs.length === 1 ? 'it ends' : 'they end'} (Slurm says DRAINING until then, DRAINED after; no new jobs start):`,
      ...shown.map((j) => `• ${describeJob(j)}`),
      ...(jobs.length > shown.length ? [`…and ${plural(jobs.length - shown.length, 'more job')}.`] : []),
    );
  } else if (jobs) lines.push(`No Slurm jobs on ${node}: it will be DRAINED at once.`);
  return lines.join('\n');
}

/** A preview is read on a card: a node running hundreds of array tasks names the first few. */
const MAX_JOBS_SHOWN = 10;
