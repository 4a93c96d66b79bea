import type { Clock } from '../../core/clock.ts';
import { BotError, isBotError } from '../../core/errors.ts';
import type { Logger } from '../../logger.ts';
import { throwIfAborted, unsupportedError } from '../errors.ts';
import { checkLogTail, lastLines } from '../logs.ts';
import { isValidNodeName } from '../node-names.ts';
import { parseNvidiaSmiCsv, toGpuHealth } from '../parse/nvidia-smi.ts';
import {
  type CallOptions,
  type CommandResult,
  DIAGNOSTICS,
  type DiagnosticId,
  type DrainPlan,
  type MutationResult,
  type NodeAdapter,
  type NodeCapability,
  type NodeHealth,
  type NodeInfo,
  type Workload,
} from '../port.ts';
import { HttpClient } from './client.ts';
import { ControlPlane } from './control-plane.ts';
import { renderDiagnostic } from './diagnostics.ts';
import { invalidWorkloadIdError, missingTokenError } from './errors.ts';
import { Fleet } from './fleet.ts';
import { type HttpAdapterInput, type HttpAdapterOptions, httpAdapterOptions } from './options.ts';
import { gpuCsv, mib, nodeInfo } from './views.ts';

export interface HttpAdapterDeps {
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'debug' | 'warn'>;
  /** Where the token named by tokenEnv is read from (process.env in production). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ControlPlaneHealth {
  readonly ok: boolean;
  /** `GET /health → 200 OK: …`. */
  readonly summary: string;
}

/** The port, plus what a composition root may want from a control plane. */
export interface HttpNodeAdapter extends NodeAdapter {
  /** Lists the fleet so hasNode() knows it; the adapter also does this at start and every refreshMs. */
  refresh(opts?: CallOptions): Promise<void>;
  /** The control plane's own liveness endpoint (`paths.health`). */
  controlPlaneHealth(opts?: CallOptions): Promise<ControlPlaneHealth>;
}

function parseWorkloadId(id: string): { node: string; pool: string } {
  const slash = id.indexOf('/');
  const node = id.slice(0, slash);
  const pool = id.slice(slash + 1);
  if (slash < 0 || !isValidNodeName(node) || !isValidNodeName(pool)) throw invalidWorkloadIdError(id);
  return { node, pool };
}

/**
 * A NodeAdapter over a GPU control plane's REST API: a node registry such as orchestratord's
 * (`GET /v2/nodes`), with drain and deregistration. README.md beside this file says how each port
 * method maps onto the API.
 */
export function createHttpAdapter(
  input: HttpAdapterInput | HttpAdapterOptions,
  deps: HttpAdapterDeps,
): HttpNodeAdapter {
  const o = httpAdapterOptions.parse(input);
  const { clock, logger, env } = deps;
  const { name, paths } = o;
  let token: string | undefined;
  if (o.tokenEnv !== undefined) {
    token = env[o.tokenEnv];
    if (!token) throw missingTokenError(name, o.tokenEnv);
  }
  const life = new AbortController();
  const client = new HttpClient({
    adapter: name,
    baseUrl: o.baseUrl,
    token,
    timeoutMs: o.timeoutMs,
    maxResponseBytes: o.maxResponseBytes,
  });
  const cp: ControlPlane = new ControlPlane(
    client,
    {
      adapter: name,
      baseUrl: o.baseUrl,
      tokenEnv: o.tokenEnv,
      token,
      clock,
      logger,
      forget: (n): boolean => fleet.forget(n),
    },
    life.signal,
  );
  const fleet: Fleet = new Fleet(cp, {
    adapter: name,
    baseUrl: o.baseUrl,
    paths,
    staleAfterMs: o.staleAfterMs,
    logger,
  });

  const capabilities = new Set<NodeCapability>(['list', 'health', 'diagnose', 'workloads']);
  if (paths.drain) capabilities.add('cordon');
  if (paths.undrain) capabilities.add('uncordon');
  if (paths.drain || paths.deregister) capabilities.add('drain');
  if (paths.restart) capabilities.add('restart');
  if (paths.stop) capabilities.add('stop');
  if (paths.logs) capabilities.add('logs');

  function needs(node: string, capability: NodeCapability): void {
    if (!capabilities.has(capability)) throw unsupportedError(node, name, capability);
  }

  async function refresh(opts?: CallOptions): Promise<void> {
    await fleet.list('Listing nodes', opts);
  }

  // hasNode() is synchronous: keep the fleet's names fresh in the background.
  let refreshing = false;
  function backgroundRefresh(): void {
    if (refreshing || life.signal.aborted) return;
    refreshing = true;
    refresh()
      .catch((err: unknown) => {
        if (life.signal.aborted) return;
        logger.warn(
          { adapter: name, err: isBotError(err) ? err.message : String(err) },
          'listing the control plane nodes failed',
        );
      })
      .finally(() => {
        refreshing = false;
      });
  }
  let timer: NodeJS.Timeout | undefined;
  if (o.refreshMs > 0) {
    backgroundRefresh();
    timer = setInterval(backgroundRefresh, o.refreshMs);
    timer.unref();
  }

  /**
   * Cordon and drain send the same request: the control plane's drain is "place no new work here,
   * let the pools finish", which is both. A node already draining is left alone (idempotent).
   */
  async function startDraining(
    node: string,
    what: string,
    opts: CallOptions | undefined,
    done: string,
  ): Promise<MutationResult> {
    throwIfAborted(opts?.signal, what);
    const { view } = await fleet.read(node, what, opts);
    if (view.deregistered) {
      return {
        ok: true,
        summary: `${node} is already out of the registry (deregistered): it gets no work.`,
        output: '',
      };
    }
    if (view.draining) {
      return {
        ok: true,
        summary: `${node} is already draining: the control plane places no new work on it.`,
        output: `${node}: status ${view.status}`,
      };
    }
    const r = await cp.change(paths.drain!, { node }, what, opts, { node, key: 'drain' });
    if (!r.ok)
      return { ok: false, summary: `The control plane did not drain ${node}: ${r.said}`, output: r.output };
    return { ok: true, summary: done, output: r.output };
  }

  /** No drain endpoint: deregistration is the only way to stop placement (orchestratord's DELETE). */
  async function deregister(
    node: string,
    what: string,
    opts: CallOptions | undefined,
  ): Promise<MutationResult> {
    throwIfAborted(opts?.signal, what);
    const { view } = await fleet.read(node, what, opts);
    if (view.deregistered) {
      return { ok: true, summary: `${node} is already out of the registry (deregistered).`, output: '' };
    }
    const r = await cp.change(paths.deregister!, { node }, what, opts, { node, key: 'deregister' });
    if (!r.ok) {
      return {
        ok: false,
        summary: `The control plane did not deregister ${node}: ${r.said}`,
        output: r.output,
      };
    }
    fleet.rememberDeregistered(view);
    return {
      ok: true,
      summary: `Drained ${node} by deregistering it: the control plane places no new work on it. It rejoins when its pool-managerd registers again (systemctl restart pool-managerd on ${node}).`,
      output: r.output,
    };
  }

  async function poolAction(
    id: string,
    action: 'restart' | 'stop',
    opts: CallOptions | undefined,
  ): Promise<MutationResult> {
    const what = `${action === 'restart' ? 'Restart' : 'Stop'} of ${id}`;
    throwIfAborted(opts?.signal, what);
    const { node, pool } = parseWorkloadId(id);
    needs(node, action);
    const endpoint = paths[action]!;
    const r = await cp.change(endpoint, { node, workload: pool }, what, opts, { workload: id, key: action });
    if (!r.ok)
      return { ok: false, summary: `The control plane did not ${action} ${id}: ${r.said}`, output: r.output };
    return { ok: true, summary: `The control plane accepted the ${action} of ${id}.`, output: r.output };
  }

  /** `GET logs?tail=<n>`: the control plane's log of one pool, cut to its last `tail` lines. */
  async function poolLogs(id: string, tail: number, opts: CallOptions | undefined): Promise<CommandResult> {
    const what = `Logs of ${id}`;
    throwIfAborted(opts?.signal, what);
    const { node, pool } = parseWorkloadId(id);
    needs(node, 'logs');
    checkLogTail(tail);
    const started = clock.now().getTime();
    const { value, request } = await cp.readLog(
      paths.logs!,
      { node, workload: pool },
      { tail: String(tail) },
      what,
      opts,
      { node, workload: id, key: 'logs' },
    );
    return {
      command: request,
      exitCode: 0,
      stdout: lastLines(value, tail),
      stderr: '',
      durationMs: Math.max(0, clock.now().getTime() - started),
    };
  }

  return {
    name,
    capabilities,

    async listNodes(opts): Promise<NodeInfo[]> {
      throwIfAborted(opts?.signal, 'Listing nodes');
      return (await fleet.list('Listing nodes', opts)).map((v) => nodeInfo(v, name));
    },

    hasNode: (node) => fleet.has(node),

    async health(node, opts): Promise<NodeHealth> {
      const what = `Health check of ${node}`;
      throwIfAborted(opts?.signal, what);
      const { view } = await fleet.read(node, what, opts);
      return {
        node,
        state: view.state,
        // The registry has no boot time: the node has been up at least since it registered.
        uptimeSeconds: Math.floor((view.registeredAgeMs ?? 0) / 1000),
        // Neither load nor memory use is in the registry, and the port has no "unknown" (README).
        load1: 0,
        memoryUsedMiB: 0,
        memoryTotalMiB: mib(view.ramTotalBytes),
        // Parsed from the same CSV the gpu diagnostic prints, so the two cannot disagree.
        gpus: parseNvidiaSmiCsv(gpuCsv(view)).map(toGpuHealth),
        checkedAt: clock.now(),
      };
    },

    async diagnose(node, diagnostic: DiagnosticId, opts): Promise<CommandResult> {
      const what = `Diagnostic ${diagnostic} on ${node}`;
      throwIfAborted(opts?.signal, what);
      if (!Object.hasOwn(DIAGNOSTICS, diagnostic)) {
        throw new BotError('bot.node.unknown_diagnostic', `No diagnostic named ${String(diagnostic)}.`, {
          hint: `Diagnostics: ${Object.keys(DIAGNOSTICS).join(', ')}.`,
        });
      }
      const started = clock.now().getTime();
      const { view, request } = await fleet.read(node, what, opts);
      let pools = view.pools;
      let source = request;
      if (diagnostic === 'containers') {
        pools = await fleet.pools(view, what, opts);
        if (paths.workloads) source = cp.describe(paths.workloads, { node });
      }
      const out = renderDiagnostic(diagnostic, view, pools, source, name);
      return { ...out, durationMs: Math.max(0, clock.now().getTime() - started) };
    },

    async listWorkloads(node, opts): Promise<Workload[]> {
      const what = node === undefined ? 'Listing workloads' : `Listing workloads on ${node}`;
      throwIfAborted(opts?.signal, what);
      if (node === undefined) return fleet.allWorkloads(what, opts);
      const { view } = await fleet.read(node, what, opts);
      return fleet.workloads(view, what, opts);
    },

    async cordon(node, opts): Promise<MutationResult> {
      needs(node, 'cordon');
      return startDraining(
        node,
        `Cordon of ${node}`,
        opts,
        `Cordoned ${node}: the control plane drains it, so it gets no new work; its pools finish what they are serving.`,
      );
    },

    async uncordon(node, opts): Promise<MutationResult> {
      const what = `Uncordon of ${node}`;
      needs(node, 'uncordon');
      throwIfAborted(opts?.signal, what);
      const { view } = await fleet.read(node, what, opts);
      if (view.deregistered) {
        return {
          ok: false,
          summary: `${node} was deregistered; it rejoins when its pool-managerd registers again (systemctl restart pool-managerd on ${node}).`,
          output: '',
        };
      }
      if (!view.draining) {
        return { ok: true, summary: `${node} is not cordoned.`, output: `${node}: status ${view.status}` };
      }
      const r = await cp.change(paths.undrain!, { node }, what, opts, { node, key: 'undrain' });
      if (!r.ok)
        return {
          ok: false,
          summary: `The control plane did not undrain ${node}: ${r.said}`,
          output: r.output,
        };
      return {
        ok: true,
        summary: `Uncordoned ${node}: the control plane places work on it again.`,
        output: r.output,
      };
    },

    async planDrain(node, opts): Promise<DrainPlan> {
      const what = `Drain plan for ${node}`;
      needs(node, 'drain');
      throwIfAborted(opts?.signal, what);
      const { view } = await fleet.read(node, what, opts);
      const evict: Workload[] = [];
      const skip: { workload: Workload; reason: string }[] = [];
      for (const w of await fleet.workloads(view, what, opts)) {
        if (w.state === 'running' || w.state === 'restarting') evict.push(w);
        else if (w.state === 'stopped')
          skip.push({ workload: w, reason: 'already draining: it takes no new work' });
        else skip.push({ workload: w, reason: 'not ready: it serves nothing to move' });
      }
      return { node, evict, skip, alreadyCordoned: view.draining || view.deregistered };
    },

    async drain(node, opts): Promise<MutationResult> {
      const what = `Drain of ${node}`;
      needs(node, 'drain');
      if (!paths.drain) return deregister(node, what, opts);
      return startDraining(
        node,
        what,
        opts,
        `Drained ${node}: the control plane places no new work on it, and its pools finish in-flight requests and take no more.`,
      );
    },

    restartWorkload: (id, opts) => poolAction(id, 'restart', opts),
    stopWorkload: (id, opts) => poolAction(id, 'stop', opts),
    workloadLogs: (id, tail, opts) => poolLogs(id, tail, opts),

    refresh,

    async controlPlaneHealth(opts): Promise<ControlPlaneHealth> {
      if (!paths.health) return { ok: true, summary: 'no health endpoint configured (paths.health is null)' };
      return cp.ping(paths.health, opts);
    },

    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      life.abort();
    },
  };
}
