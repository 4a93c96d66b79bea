import { type KubeConfig, PatchStrategy, type V1Node } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import { BotError } from '../../core/errors.ts';
import type { Logger } from '../../logger.ts';
import { throwIfAborted, unknownNodeError } from '../errors.ts';
import { compareNodeNames, isValidNodeName } from '../node-names.ts';
import {
  type CallOptions,
  type CommandResult,
  DIAGNOSTICS,
  type DiagnosticId,
  type MutationResult,
  NODE_CAPABILITIES,
  type NodeAdapter,
  type NodeCapability,
  type NodeInfo,
} from '../port.ts';
import { FIELD_MANAGER, KubeClient, loadKubeConfig } from './client.ts';
import {
  type AdapterContext,
  eventsPath,
  listNodeEvents,
  listPods,
  metricsPath,
  podsPath,
  readMemoryUsage,
  readNode,
} from './context.ts';
import { DIAGNOSTIC_NEEDS, type NodeFacts, renderDiagnostic } from './diagnostics.ts';
import { type KubernetesDrainPlan, planFromPods, runDrain } from './drain.ts';
import { nodeHealth } from './health.ts';
import { workloadLogs } from './logs.ts';
import { nodeGpus, nodeState, toWorkload } from './objects.ts';
import { type KubernetesAdapterInput, kubernetesAdapterOptions } from './options.ts';
import { restartWorkload, stopWorkload } from './workloads.ts';

export interface KubernetesAdapterDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** A prebuilt KubeConfig (tests, or a caller that already has one); otherwise options say where to load it. */
  readonly kubeConfig?: KubeConfig;
}

/** The NodeAdapter, plus the drain plan's warnings, which the port does not carry yet. */
export interface KubernetesNodeAdapter extends NodeAdapter {
  planDrain(node: string, opts?: CallOptions): Promise<KubernetesDrainPlan>;
}

/**
 * A Kubernetes cluster behind the NodeAdapter port, through the real API (@kubernetes/client-node):
 * nodes from /api/v1/nodes, workloads are pods (`<namespace>/<pod>`), cordon is
 * `spec.unschedulable`, drain goes through the Eviction API so PodDisruptionBudgets hold, restart
 * is a rollout restart of the owner, logs are those of the pod's default container (logs.ts).
 * What the API cannot know (GPU telemetry, the kernel log, sockets) is said so in the diagnostics
 * (see diagnostics.ts), never made up.
 *
 * `hasNode` is synchronous, so it answers from the node names of the last listing or read; a
 * composition root lists the nodes once at start so routing works before anyone runs /node list.
 */
export function createKubernetesAdapter(
  input: KubernetesAdapterInput,
  deps: KubernetesAdapterDeps,
): KubernetesNodeAdapter {
  const options = kubernetesAdapterOptions.parse(input);
  const kc = loadKubeConfig(options, deps.kubeConfig);
  const ctx: AdapterContext = {
    name: options.name,
    client: new KubeClient(kc, options.name, options.requestTimeoutSeconds * 1000),
    namespace: options.namespace,
    clock: deps.clock,
    logger: deps.logger.child({ adapter: options.name }),
    known: new Set(),
  };
  const { client } = ctx;
  // The API cannot run commands on a node, so there is no bug report to collect.
  const capabilities: ReadonlySet<NodeCapability> = new Set(NODE_CAPABILITIES.filter((c) => c !== 'collect'));

  /** Cordon or uncordon; also hands back the node as read, which a drain needs. */
  async function setUnschedulable(
    node: string,
    cordon: boolean,
    opts?: CallOptions,
  ): Promise<MutationResult & { node: V1Node }> {
    const what = `${cordon ? 'Cordon' : 'Uncordon'} of ${node}`;
    const current = await readNode(ctx, node, what, opts);
    if ((current.spec?.unschedulable === true) === cordon) {
      return cordon
        ? {
            ok: true,
            summary: `${node} already cordoned`,
            output: `node/${node} already cordoned`,
            node: current,
          }
        : {
            ok: true,
            summary: `${node} is not cordoned`,
            output: `node/${node} already uncordoned`,
            node: current,
          };
    }
    // kubectl cordon sends a strategic merge patch of spec.unschedulable (kubectl pkg/drain/cordon.go);
    // null removes the field, which is how kubectl's two-way patch says "false".
    await client.request(
      {
        what,
        permission: { verb: 'patch', resource: 'nodes' },
        patch: PatchStrategy.StrategicMergePatch,
        notFound: () => unknownNodeError(node),
      },
      opts,
      (o) =>
        client.core.patchNode(
          {
            name: node,
            body: { spec: { unschedulable: cordon ? true : null } },
            fieldManager: FIELD_MANAGER,
          },
          o,
        ),
    );
    return cordon
      ? {
          ok: true,
          summary: `Cordoned ${node}: no new pods will be scheduled on it`,
          output: `node/${node} cordoned`,
          node: current,
        }
      : {
          ok: true,
          summary: `Uncordoned ${node}: pods can be scheduled on it again`,
          output: `node/${node} uncordoned`,
          node: current,
        };
  }

  /** The port's answer: the node object stays inside the adapter. */
  async function mutation(pending: Promise<MutationResult & { node: V1Node }>): Promise<MutationResult> {
    const { ok, summary, output } = await pending;
    return { ok, summary, output };
  }

  return {
    name: options.name,
    capabilities,

    async listNodes(opts) {
      const list = await client.request(
        { what: 'Listing nodes', permission: { verb: 'list', resource: 'nodes' } },
        opts,
        (o) => client.core.listNode({}, o),
      );
      const nodes: NodeInfo[] = [];
      for (const n of list.items) {
        const name = n.metadata?.name ?? '';
        // Kubernetes node names are DNS subdomains, so this holds unless the API is odd; skip, don't crash.
        if (!isValidNodeName(name)) {
          ctx.logger.warn({ node: name.slice(0, 80) }, 'skipping a node whose name the bot cannot use');
          continue;
        }
        nodes.push({
          name,
          adapter: options.name,
          state: nodeState(n),
          gpus: nodeGpus(n).capacity,
          labels: { ...(n.metadata?.labels ?? {}) },
        });
      }
      ctx.known.clear();
      for (const n of nodes) ctx.known.add(n.name);
      return nodes.sort((a, b) => compareNodeNames(a.name, b.name));
    },

    hasNode: (node) => ctx.known.has(node),

    async health(node, opts) {
      const what = `Health check of ${node}`;
      const n = await readNode(ctx, node, what, opts);
      const usage = await readMemoryUsage(ctx, node, opts);
      return nodeHealth(n, node, ctx.clock.now(), 'mib' in usage ? usage.mib : null);
    },

    async diagnose(node, diagnostic: DiagnosticId, opts): Promise<CommandResult> {
      const started = performance.now();
      const what = `Diagnostic ${diagnostic} on ${node}`;
      throwIfAborted(opts?.signal, what);
      // The type says it is allow-listed; this guards callers that skipped validation at the edge.
      if (!Object.hasOwn(DIAGNOSTICS, diagnostic)) {
        throw new BotError('bot.node.unknown_diagnostic', `No diagnostic named ${String(diagnostic)}.`, {
          hint: `Diagnostics: ${Object.keys(DIAGNOSTICS).join(', ')}.`,
        });
      }
      const needs = DIAGNOSTIC_NEEDS[diagnostic];
      const n = await readNode(ctx, node, what, opts);
      const [pods, events, memoryUsage] = await Promise.all([
        needs.pods ? listPods(ctx, node, what, opts) : [],
        needs.events ? listNodeEvents(ctx, node, what, opts) : [],
        needs.metrics ? readMemoryUsage(ctx, node, opts) : undefined,
      ]);
      const facts: NodeFacts = { node: n, pods, events, ...(memoryUsage ? { memoryUsage } : {}) };
      const out = renderDiagnostic(diagnostic, facts, ctx.clock.now());
      // The record of what "ran": the API reads behind the answer.
      const reads = [
        `GET /api/v1/nodes/${node}`,
        needs.pods && `GET ${podsPath(ctx, node)}`,
        needs.events && `GET ${eventsPath(node)}`,
        needs.metrics && `GET ${metricsPath(node)}`,
      ].filter((r): r is string => typeof r === 'string');
      return {
        command: `kubernetes: ${reads.join('; ')}`,
        ...out,
        durationMs: Math.max(0, Math.round(performance.now() - started)),
      };
    },

    async listWorkloads(node, opts) {
      const what = node === undefined ? 'Listing workloads' : `Listing workloads on ${node}`;
      if (node !== undefined) await readNode(ctx, node, what, opts);
      const pods = await listPods(ctx, node, what, opts);
      // A pod not yet scheduled is on no node; the port's workloads always are.
      return pods
        .filter((p) => p.spec?.nodeName)
        .map(toWorkload)
        .sort((a, b) => a.id.localeCompare(b.id));
    },

    cordon: (node, opts) => mutation(setUnschedulable(node, true, opts)),
    uncordon: (node, opts) => mutation(setUnschedulable(node, false, opts)),

    async planDrain(node, opts) {
      const what = `Drain plan for ${node}`;
      const n = await readNode(ctx, node, what, opts);
      const pods = await listPods(ctx, node, what, opts);
      return planFromPods(node, n.spec?.unschedulable === true, pods).plan;
    },

    async drain(node, opts) {
      // The clock dates things; waiting needs real time, which a test's manual clock does not pass.
      const deadline = performance.now() + options.drainTimeoutSeconds * 1000;
      const cordoned = await setUnschedulable(node, true, opts);
      const timing = {
        deadline,
        retryMs: options.evictionRetrySeconds * 1000,
        // A kubelet that is not Ready cannot confirm a pod has stopped: waiting for that only burns the timeout.
        awaitTermination:
          nodeState(cordoned.node) !== 'not_ready' && nodeState(cordoned.node) !== 'unreachable',
      };
      const result = await runDrain(ctx, node, cordoned.output, timing, opts);
      ctx.logger.info({ node, ok: result.ok, summary: result.summary }, 'drain finished');
      return result;
    },

    restartWorkload: (id, opts) => restartWorkload(ctx, id, opts),
    stopWorkload: (id, opts) => stopWorkload(ctx, id, opts),
    workloadLogs: (id, tail, opts) => workloadLogs(ctx, id, tail, opts),

    // client-node opens a fresh agent per request (KubeConfig.applySecurityAuthentication), so there is
    // no pool to close.
    close: async () => {},
  };
}
