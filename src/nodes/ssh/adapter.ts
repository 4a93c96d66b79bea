import type { Clock } from '../../core/clock.ts';
import { BotError, describeError, isBotError } from '../../core/errors.ts';
import { plural } from '../../core/text.ts';
import type { Logger } from '../../logger.ts';
import {
  BUG_REPORT_FILE,
  BUG_REPORT_SCRIPT,
  BUNDLE_FILE_CAP_BYTES,
  DEFAULT_BUNDLE_TIMEOUT_MS,
  NO_COLLECTOR,
  standardBundleCommands,
} from '../bundle.ts';
import { DIAGNOSTIC_COMMANDS } from '../commands.ts';
import {
  checkPort,
  invalidNodeNameError,
  throwIfAborted,
  unknownNodeError,
  unknownWorkloadError,
  unsupportedError,
} from '../errors.ts';
import { checkLogTail } from '../logs.ts';
import { parseFree, parseUptime } from '../parse/host.ts';
import { parseNvidiaSmiCsv, toGpuHealth } from '../parse/nvidia-smi.ts';
import { parseSlurmReason, parseSqueue } from '../parse/slurm.ts';
import {
  PEER_PROBE_TIMEOUT_S,
  probeConnected,
  probeFailed,
  probeRefused,
  probeTimedOut,
} from '../peer-probe.ts';
import {
  type CallOptions,
  type CommandResult,
  DIAGNOSTICS,
  type DiagnosticId,
  type DrainPlan,
  type DrainProgress,
  type MutationResult,
  NODE_NAME_PATTERN,
  type NodeAdapter,
  type NodeCapability,
  type NodeHealth,
  type NodeInfo,
  type PeerProbe,
  type SchedulerJob,
  type SchedulerStatus,
  type Workload,
} from '../port.ts';
import { pinsFor } from './host-keys.ts';
import { type LoadDeps, loadSecrets } from './load.ts';
import { nodeState, parseSchedulerState, type SchedulerView } from './node-state.ts';
import type { SshAdapterOptions, SshNodeOptions } from './options.ts';
import { CommandRunner } from './runner.ts';
import {
  type CommandTemplate,
  compileTemplate,
  DEFAULT_SSH_COMMANDS,
  renderTemplate,
  TEMPLATE_PLACEHOLDERS,
  type TemplateName,
  type TemplateValues,
} from './templates.ts';
import { planFor, systemMatcher, toWorkloads } from './workloads.ts';

export interface SshAdapterDeps extends LoadDeps {
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface SshNodeAdapter extends NodeAdapter {
  /**
   * Several diagnostics in one SSH exec (one round trip), each with its own result. What a triage
   * should call: on a fleet of 100 nodes it is the difference between 8 and 1 command latencies.
   */
  diagnoseMany<I extends DiagnosticId>(
    node: string,
    ids: readonly I[],
    opts?: CallOptions,
  ): Promise<Record<I, CommandResult>>;
  /** Handshakes per node so far: connections are reused, so this stays at one until one idles out. */
  connectCounts(): Record<string, number>;
}

/** The errors that mean "could not talk to the node", as opposed to a bug or a bad request. */
const TRANSPORT = new Set(['bot.node.unreachable', 'bot.node.timeout', 'bot.node.host_key']);

function isTransport(err: unknown): boolean {
  return isBotError(err) && TRANSPORT.has(err.code);
}

function unknownDiagnostic(id: string): BotError {
  return new BotError('bot.node.unknown_diagnostic', `No diagnostic named ${id}.`, {
    hint: `Diagnostics: ${Object.keys(DIAGNOSTICS).join(', ')}.`,
  });
}

/** `$ command`, then what it printed: the record a mitigation leaves in the channel. */
function transcript(r: CommandResult): string {
  const body = `${r.stdout}${r.stderr}`.trimEnd();
  return body === '' ? `$ ${r.command}` : `$ ${r.command}\n${body}`;
}

function firstLine(r: CommandResult): string {
  return (
    `${r.stderr}\n${r.stdout}`
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? 'no output'
  );
}

/**
 * NodeAdapter over SSH (ssh2), for hosts run with docker and, by default, Slurm. Every command is an
 * allow-listed one: a diagnostic from DIAGNOSTIC_COMMANDS or a configured template with validated,
 * quoted `{node}` / `{workload}` (and, for logs, a checked whole-number `{tail}`; for the peer probe,
 * the peer's inventory host, checked and quoted, and a checked `{port}`). Node state:
 * `unreachable` when SSH fails, `cordoned` when the `state` command says the scheduler drains it,
 * `not_ready` when it says down or a GPU does not answer nvidia-smi, else `ready`.
 */
export async function createSshAdapter(
  options: SshAdapterOptions,
  deps: SshAdapterDeps,
): Promise<SshNodeAdapter> {
  const { clock, logger } = deps;
  const name = options.name;
  const secrets = await loadSecrets(options, deps);
  const nodes = new Map<string, SshNodeOptions>(options.nodes.map((n) => [n.name, n]));
  const isSystem = systemMatcher(options.systemWorkloads);

  const templates = new Map<TemplateName, CommandTemplate>();
  for (const t of Object.keys(TEMPLATE_PLACEHOLDERS) as TemplateName[]) {
    const configured = options.commands[t];
    const source =
      configured === undefined ? (DEFAULT_SSH_COMMANDS as Record<string, string>)[t] : configured;
    if (typeof source === 'string') templates.set(t, compileTemplate(source, TEMPLATE_PLACEHOLDERS[t]));
  }

  const unpinned: string[] = [];
  const settings = new Map(
    options.nodes.map((n) => {
      const port = n.port ?? options.port;
      const pins = pinsFor(secrets.knownHosts, n.host, port, options.hostKeys?.[n.name] ?? []);
      if (pins.fingerprints.size === 0) unpinned.push(n.name);
      return [
        n.name,
        {
          endpoint: { node: n.name, host: n.host, port },
          user: n.user ?? options.user,
          privateKey: secrets.privateKey,
          pins,
          connectTimeoutMs: options.connectTimeoutMs,
          idleTimeoutMs: options.idleTimeoutMs,
          keepaliveIntervalMs: options.keepaliveIntervalMs,
          logger,
        },
      ] as const;
    }),
  );
  if (unpinned.length > 0) {
    logger.warn(
      { adapter: name, nodes: unpinned },
      'ssh: no pinned host key for these nodes; the bot will refuse to connect to them',
    );
  }

  const runner = new CommandRunner(
    {
      adapter: name,
      concurrency: options.concurrency,
      handshakeConcurrency: options.handshakeConcurrency,
      perNodeConcurrency: options.perNodeConcurrency,
      commandTimeoutMs: options.commandTimeoutMs,
      outputCapBytes: options.outputCapBytes,
      sudo: options.sudo,
      logger,
    },
    (node) => {
      const s = settings.get(node);
      if (!s) throw unknownNodeError(node);
      return s;
    },
  );

  const probeTemplate = templates.get('probe');
  const capabilities = new Set<NodeCapability>(['list', 'health', 'diagnose', 'workloads', 'collect']);
  for (const c of ['cordon', 'uncordon', 'restart', 'stop', 'logs'] as const)
    if (templates.has(c)) capabilities.add(c);
  if (templates.has('drain') || (templates.has('cordon') && templates.has('stop'))) capabilities.add('drain');

  function requireNode(node: string): void {
    if (nodes.has(node)) return;
    if (!NODE_NAME_PATTERN.test(node)) throw invalidNodeNameError(node);
    throw unknownNodeError(node);
  }

  function requireTemplate(node: string, t: TemplateName, capability: NodeCapability): CommandTemplate {
    const template = templates.get(t);
    if (!template) throw unsupportedError(node, name, capability);
    return template;
  }

  function stateCommand(node: string): string | undefined {
    const t = templates.get('state');
    return t ? renderTemplate(t, { node }) : undefined;
  }

  function checkIds(ids: readonly string[]): void {
    for (const id of ids) if (!Object.hasOwn(DIAGNOSTICS, id)) throw unknownDiagnostic(id);
  }

  /** Runs the diagnostics plus, when configured, the state command, in one exec. */
  async function probe<I extends DiagnosticId>(
    node: string,
    ids: readonly I[],
    what: string,
    opts: CallOptions | undefined,
  ): Promise<{ results: Record<I, CommandResult>; view: SchedulerView }> {
    const state = stateCommand(node);
    const commands = ids.map((id) => DIAGNOSTIC_COMMANDS[id]);
    const out = await runner.runBatch(
      node,
      state === undefined ? commands : [...commands, state],
      what,
      opts,
    );
    const results = Object.fromEntries(ids.map((id, i) => [id, out[i]])) as Record<I, CommandResult>;
    const stateResult = state === undefined ? undefined : out[ids.length];
    return { results, view: stateResult ? parseSchedulerState(stateResult) : undefined };
  }

  async function nodeInfo(n: SshNodeOptions, opts: CallOptions | undefined): Promise<NodeInfo> {
    const base = { name: n.name, adapter: name, labels: { ...n.labels } };
    try {
      const { results, view } = await probe(n.name, ['gpu'], `Status check of ${n.name}`, opts);
      const gpus = parseNvidiaSmiCsv(results.gpu.stdout).map(toGpuHealth);
      return { ...base, state: nodeState(view, gpus), gpus: gpus.length };
    } catch (err) {
      if (!isTransport(err)) throw err;
      logger.info(
        { node: n.name, code: (err as BotError).code, err: (err as Error).message },
        'ssh node unreachable',
      );
      return { ...base, state: 'unreachable', gpus: 0 };
    }
  }

  async function workloadsOn(
    node: string,
    opts: CallOptions | undefined,
  ): Promise<{ workloads: Workload[]; view: SchedulerView }> {
    const { results, view } = await probe(
      node,
      ['containers', 'container-restarts'],
      `Listing workloads on ${node}`,
      opts,
    );
    const workloads = toWorkloads(
      node,
      results.containers.stdout,
      results['container-restarts'].stdout,
      isSystem,
    );
    return { workloads, view };
  }

  async function schedulerView(
    node: string,
    what: string,
    opts: CallOptions | undefined,
  ): Promise<SchedulerView> {
    const state = stateCommand(node);
    if (state === undefined) return undefined;
    return parseSchedulerState(await runner.run(node, state, what, opts));
  }

  /** The `jobs` template's answer: undefined when it is off or failed (no Slurm on the node). */
  async function jobsOn(node: string, what: string, opts: CallOptions | undefined) {
    const t = templates.get('jobs');
    if (!t) return undefined;
    const r = await runner.run(node, renderTemplate(t, { node }), what, opts);
    return r.exitCode === 0 ? parseSqueue(r.stdout) : undefined;
  }

  /**
   * What Slurm says of the node, from the `state` template and, where configured, the `jobs` (and,
   * with `withReason`, the `reason`) templates, all in one exec. Undefined when there is no state to
   * read (no state template, or no Slurm there); `jobs` undefined when they could not be listed.
   */
  async function readSlurm(
    node: string,
    what: string,
    opts: CallOptions | undefined,
    withReason: boolean,
  ): Promise<{ state: string; reason?: string; jobs?: SchedulerJob[] } | undefined> {
    const state = stateCommand(node);
    if (state === undefined) return undefined;
    const extra = (['jobs', ...(withReason ? ['reason' as const] : [])] as const).flatMap((name) => {
      const t = templates.get(name);
      return t ? [{ name, command: renderTemplate(t, { node }) }] : [];
    });
    const [stateResult, ...results] = await runner.runBatch(
      node,
      [state, ...extra.map((e) => e.command)],
      what,
      opts,
    );
    const raw = stateResult?.exitCode === 0 ? stateResult.stdout.trim().split(/\s+/)[0]?.toLowerCase() : '';
    if (!raw) return undefined;
    const answer = (name: 'jobs' | 'reason') => {
      const r = results[extra.findIndex((e) => e.name === name)];
      return r?.exitCode === 0 ? r.stdout : undefined;
    };
    const jobs = answer('jobs');
    const reason = withReason ? parseSlurmReason(answer('reason') ?? '') : undefined;
    return {
      state: raw,
      ...(reason ? { reason } : {}),
      ...(jobs === undefined ? {} : { jobs: parseSqueue(jobs) }),
    };
  }

  /** Slurm's view of a drain: DRAINING while jobs still run, DRAINED when none is left. */
  async function drainState(
    node: string,
    what: string,
    opts: CallOptions | undefined,
  ): Promise<DrainProgress | undefined> {
    const slurm = await readSlurm(node, what, opts, false);
    if (!slurm) return undefined;
    const { state: raw, jobs } = slurm;
    if (raw.startsWith('draining') || raw.startsWith('drng')) {
      const ids = jobs?.map((j) => j.id) ?? [];
      const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')} …` : ids.join(', ');
      const running = jobs
        ? `: ${plural(jobs.length, 'Slurm job')} still running${ids.length > 0 ? ` (${shown})` : ''}`
        : ': jobs still running';
      return { state: 'draining', summary: `Slurm says DRAINING${running}` };
    }
    if (raw.startsWith('drain'))
      return { state: 'drained', summary: 'Slurm says DRAINED: no jobs left on it' };
    return { state: 'other', summary: `Slurm says ${raw.toUpperCase()}: it is no longer draining` };
  }

  /** What Slurm says of the node for triage: its state, the reason for it, and its jobs. */
  async function slurmStatus(
    node: string,
    opts: CallOptions | undefined,
  ): Promise<SchedulerStatus | undefined> {
    const slurm = await readSlurm(node, `Slurm status of ${node}`, opts, true);
    return slurm && { ...slurm, jobs: slurm.jobs ?? [] };
  }

  /** A drain that ran: DRAINING while Slurm jobs still run (settling), else as it was. */
  async function withSlurmState(node: string, result: MutationResult, opts: CallOptions | undefined) {
    if (!result.ok) return result;
    const after = await drainState(node, `Drain of ${node}`, opts).catch((err) => {
      if (isTransport(err)) return undefined;
      throw err;
    });
    if (after?.state !== 'draining') return result;
    const summary = result.summary.replace(/^Drained ([^\s:]+)/, '$1 is draining');
    return { ...result, summary: `${summary}; ${after.summary}`, settling: after.summary };
  }

  async function mutate(
    node: string,
    template: CommandTemplate,
    values: TemplateValues,
    what: string,
    opts: CallOptions | undefined,
  ): Promise<CommandResult> {
    const command = renderTemplate(template, values);
    const result = await runner.run(node, command, what, opts);
    logger.info(
      { adapter: name, node, command: result.command, exitCode: result.exitCode },
      'ssh mutation ran',
    );
    return result;
  }

  async function cordon(node: string, opts: CallOptions | undefined): Promise<MutationResult> {
    const what = `Cordon of ${node}`;
    throwIfAborted(opts?.signal, what);
    requireNode(node);
    const template = requireTemplate(node, 'cordon', 'cordon');
    if ((await schedulerView(node, what, opts)) === 'cordoned') {
      return { ok: true, summary: `${node} already cordoned`, output: `node/${node} already cordoned` };
    }
    const r = await mutate(node, template, { node, reason: opts?.reason }, what, opts);
    return r.exitCode === 0
      ? { ok: true, summary: `Cordoned ${node}: no new work will be scheduled on it`, output: transcript(r) }
      : {
          ok: false,
          summary: `Cordon of ${node} failed (exit ${r.exitCode}): ${firstLine(r)}`,
          output: transcript(r),
        };
  }

  async function uncordon(node: string, opts: CallOptions | undefined): Promise<MutationResult> {
    const what = `Uncordon of ${node}`;
    throwIfAborted(opts?.signal, what);
    requireNode(node);
    const template = requireTemplate(node, 'uncordon', 'uncordon');
    const view = await schedulerView(node, what, opts);
    // Slurm refuses `state=resume` on a node that is not drained; with no state answer, try anyway.
    if (view !== undefined && view !== 'cordoned') {
      return { ok: true, summary: `${node} is not cordoned`, output: `node/${node} already uncordoned` };
    }
    const r = await mutate(node, template, { node }, what, opts);
    return r.exitCode === 0
      ? { ok: true, summary: `Uncordoned ${node}: it takes new work again`, output: transcript(r) }
      : {
          ok: false,
          summary: `Uncordon of ${node} failed (exit ${r.exitCode}): ${firstLine(r)}`,
          output: transcript(r),
        };
  }

  async function drain(node: string, opts: CallOptions | undefined): Promise<MutationResult> {
    const what = `Drain of ${node}`;
    throwIfAborted(opts?.signal, what);
    requireNode(node);
    const custom = templates.get('drain');
    if (custom) {
      const r = await mutate(node, custom, { node, reason: opts?.reason }, what, opts);
      return r.exitCode === 0
        ? withSlurmState(node, { ok: true, summary: `Drained ${node}`, output: transcript(r) }, opts)
        : {
            ok: false,
            summary: `Drain of ${node} failed (exit ${r.exitCode}): ${firstLine(r)}`,
            output: transcript(r),
          };
    }
    const stop = requireTemplate(node, 'stop', 'drain');
    requireTemplate(node, 'cordon', 'drain');
    const { workloads } = await workloadsOn(node, opts);
    const plan = planFor(node, workloads, false);
    const lines: string[] = [];
    const done: string[] = [];
    try {
      // Cordon first: stopping containers on a node that still takes work just invites new ones.
      const c = await cordon(node, opts);
      lines.push(c.output);
      if (!c.ok)
        return { ok: false, summary: `Drain of ${node} stopped: ${c.summary}`, output: lines.join('\n') };
      done.push('cordoned');
      let failed = 0;
      for (const w of plan.evict) {
        const r = await mutate(node, stop, { node, workload: w.name }, `Stop of ${w.id}`, opts);
        lines.push(transcript(r));
        if (r.exitCode === 0) done.push(`stopped ${w.name}`);
        else failed++;
      }
      for (const s of plan.skip) lines.push(`skipping ${s.workload.id}: ${s.reason}`);
      const stopped = plan.evict.length - failed;
      if (failed > 0) {
        return {
          ok: false,
          summary: `Drain of ${node} incomplete: ${failed} of ${plan.evict.length} containers did not stop`,
          output: lines.join('\n'),
        };
      }
      return withSlurmState(
        node,
        {
          ok: true,
          summary:
            plan.evict.length === 0
              ? `Drained ${node}: nothing to stop`
              : `Drained ${node}: ${stopped} stopped, ${plan.skip.length} left in place`,
          output: lines.join('\n'),
        },
        opts,
      );
    } catch (err) {
      // Cancelled or cut off half way: say what already happened rather than "nothing ran".
      if (!isBotError(err) || done.length === 0) throw err;
      if (err.code === 'bot.node.aborted') {
        return {
          ok: false,
          summary: `Drain of ${node} cancelled after: ${done.join(', ')}`,
          output: lines.join('\n'),
        };
      }
      if (err.code !== 'bot.node.unreachable') throw err;
      return {
        ok: false,
        summary: `Drain of ${node} interrupted after: ${done.join(', ')}. ${describeError(err, { hint: 'inline' })}`,
        output: lines.join('\n'),
      };
    }
  }

  async function workloadAction(
    id: string,
    t: 'restart' | 'stop',
    opts: CallOptions | undefined,
  ): Promise<MutationResult> {
    const verb = t === 'restart' ? 'Restart' : 'Stop';
    const what = `${verb} of ${id}`;
    throwIfAborted(opts?.signal, what);
    const slash = id.indexOf('/');
    const node = slash < 0 ? '' : id.slice(0, slash);
    if (!nodes.has(node)) throw unknownWorkloadError(id);
    const template = requireTemplate(node, t, t);
    const r = await mutate(node, template, { node, workload: id.slice(slash + 1) }, what, opts);
    // Docker's own words for a container that is not there.
    if (r.exitCode !== 0 && /no such container/i.test(r.stderr)) throw unknownWorkloadError(id);
    if (r.exitCode !== 0) {
      return {
        ok: false,
        summary: `${what} failed (exit ${r.exitCode}): ${firstLine(r)}`,
        output: transcript(r),
      };
    }
    return {
      ok: true,
      summary: t === 'restart' ? `Restarted ${id}` : `Stopped ${id}`,
      output: transcript(r),
    };
  }

  /**
   * The `probe` template, run on `node` against `peer`'s inventory host. Exit 0: connected. A
   * refusal (bash and nc both say "Connection refused") came from the peer's kernel: reachable,
   * nothing listening. Exit 124 (`timeout` gave up) or "timed out": nothing answered. 126/127: the
   * node cannot run the probe, which says nothing about the network, so it throws.
   */
  async function probePeer(
    template: CommandTemplate,
    node: string,
    peer: string,
    port: number,
    opts: CallOptions | undefined,
  ): Promise<PeerProbe> {
    const what = `Probe from ${node} to ${peer}:${port}`;
    throwIfAborted(opts?.signal, what);
    requireNode(node);
    requireNode(peer);
    checkPort(port);
    const host = nodes.get(peer)!.host;
    const command = renderTemplate(template, { node, peerHost: host, port });
    const r = await runner.run(node, command, what, opts);
    if (r.exitCode === 0) return probeConnected(peer, host, port);
    if (r.exitCode === 126 || r.exitCode === 127) {
      throw new BotError(
        'bot.node.probe_unavailable',
        `${node} cannot run the peer probe (exit ${r.exitCode}): ${firstLine(r)}`,
        {
          hint: 'Install bash and coreutils on the node, or set `commands.probe` to a command it has (`nc -zv -w 3 {peerHost} {port}`), or to false.',
        },
      );
    }
    const said = `${r.stderr}\n${r.stdout}`;
    if (/connection refused/i.test(said)) return probeRefused(peer, host, port);
    if (r.exitCode === 124 || /timed out/i.test(said)) {
      const seconds = template.source === DEFAULT_SSH_COMMANDS.probe ? PEER_PROBE_TIMEOUT_S : undefined;
      return probeTimedOut(peer, host, port, seconds);
    }
    const why = firstLine(r);
    return probeFailed(peer, host, port, why === 'no output' ? `exit ${r.exitCode}, no output` : why);
  }

  /**
   * The `logs` template (default `docker logs --tail {tail} {workload} 2>&1`). A long log keeps its
   * newest `outputCapBytes`, not its oldest: the end is where a crash says why.
   */
  async function workloadLogs(
    id: string,
    tail: number,
    opts: CallOptions | undefined,
  ): Promise<CommandResult> {
    const what = `Logs of ${id}`;
    throwIfAborted(opts?.signal, what);
    const slash = id.indexOf('/');
    const node = slash < 0 ? '' : id.slice(0, slash);
    if (!nodes.has(node)) throw unknownWorkloadError(id);
    const template = requireTemplate(node, 'logs', 'logs');
    checkLogTail(tail);
    const command = renderTemplate(template, { node, workload: id.slice(slash + 1), tail });
    const r = await runner.run(node, command, what, { ...opts, keep: 'tail' });
    // Docker's own words for a container that is not there (on stdout too: the template merges stderr).
    if (r.exitCode !== 0 && /no such container/i.test(`${r.stderr}\n${r.stdout}`))
      throw unknownWorkloadError(id);
    return r;
  }

  return {
    name,
    capabilities,

    async listNodes(opts) {
      throwIfAborted(opts?.signal, 'Listing nodes');
      const list = await Promise.all(options.nodes.map((n) => nodeInfo(n, opts)));
      // A listing that lost the race with its signal says so, rather than calling every node unreachable.
      throwIfAborted(opts?.signal, 'Listing nodes');
      return list;
    },

    hasNode: (node) => nodes.has(node),
    expectedGpus: (node) => nodes.get(node)?.gpus,

    async schedulerStatus(node, opts) {
      throwIfAborted(opts?.signal, `Slurm status of ${node}`);
      requireNode(node);
      return slurmStatus(node, opts);
    },

    async health(node, opts) {
      const what = `Health check of ${node}`;
      throwIfAborted(opts?.signal, what);
      requireNode(node);
      const { results, view } = await probe(node, ['uptime', 'memory', 'gpu'], what, opts);
      const up = parseUptime(results.uptime.stdout);
      const mem = parseFree(results.memory.stdout);
      const gpus = parseNvidiaSmiCsv(results.gpu.stdout).map(toGpuHealth);
      return {
        node,
        state: nodeState(view, gpus),
        uptimeSeconds: up?.uptimeSeconds ?? 0,
        load1: up?.load1 ?? 0,
        memoryUsedMiB: Math.round(mem?.usedMiB ?? 0),
        memoryTotalMiB: Math.round(mem?.totalMiB ?? 0),
        gpus,
        checkedAt: clock.now(),
      } satisfies NodeHealth;
    },

    async diagnose(node, diagnostic, opts) {
      const what = `Diagnostic ${diagnostic} on ${node}`;
      throwIfAborted(opts?.signal, what);
      requireNode(node);
      checkIds([diagnostic]);
      return runner.run(node, DIAGNOSTIC_COMMANDS[diagnostic], what, opts);
    },

    async diagnoseMany(node, ids, opts) {
      const what = `Diagnostics on ${node}`;
      throwIfAborted(opts?.signal, what);
      requireNode(node);
      checkIds(ids);
      const unique = [...new Set(ids)];
      if (unique.length === 0) return {} as Record<(typeof ids)[number], CommandResult>;
      const out = await runner.runBatch(
        node,
        unique.map((id) => DIAGNOSTIC_COMMANDS[id]),
        what,
        opts,
      );
      return Object.fromEntries(unique.map((id, i) => [id, out[i]])) as Record<
        (typeof ids)[number],
        CommandResult
      >;
    },

    async collectBundle(node, since, opts) {
      const what = `Diagnostic bundle of ${node}`;
      throwIfAborted(opts?.signal, what);
      requireNode(node);
      const started = performance.now();
      const run = {
        signal: opts?.signal,
        timeoutMs: opts?.timeoutMs ?? DEFAULT_BUNDLE_TIMEOUT_MS,
        capBytes: BUNDLE_FILE_CAP_BYTES,
      };
      const took = () => Math.round(performance.now() - started);
      const report = await runner.run(node, BUG_REPORT_SCRIPT, what, run);
      if (report.exitCode !== NO_COLLECTOR) {
        const { command, exitCode, stdout, stderr } = report;
        return {
          node,
          collector: 'nvidia-bug-report',
          files: [{ name: BUG_REPORT_FILE, command, exitCode, stdout, stderr }],
          durationMs: took(),
        };
      }
      // No nvidia-bug-report.sh on the node: the fixed set, in one round trip.
      const set = standardBundleCommands(since);
      const out = await runner.runBatch(
        node,
        set.map((c) => c.command),
        what,
        run,
      );
      return {
        node,
        collector: 'standard',
        files: set.map((c, i) => {
          const r = out[i]!;
          return {
            name: c.name,
            command: r.command,
            exitCode: r.exitCode,
            stdout: r.stdout,
            stderr: r.stderr,
          };
        }),
        durationMs: took(),
      };
    },

    async listWorkloads(node, opts) {
      const what = node === undefined ? 'Listing workloads' : `Listing workloads on ${node}`;
      throwIfAborted(opts?.signal, what);
      if (node !== undefined) {
        requireNode(node);
        return (await workloadsOn(node, opts)).workloads;
      }
      // Fleet-wide: a node that cannot be reached is left out (and logged), not a failure of the whole list.
      const all = await Promise.all(
        options.nodes.map(async (n) => {
          try {
            return (await workloadsOn(n.name, opts)).workloads;
          } catch (err) {
            if (!isTransport(err)) throw err;
            logger.info(
              { node: n.name, err: (err as Error).message },
              'ssh workloads skipped: node unreachable',
            );
            return [];
          }
        }),
      );
      throwIfAborted(opts?.signal, what);
      return all.flat();
    },

    cordon: (node, opts) => cordon(node, opts),
    uncordon: (node, opts) => uncordon(node, opts),

    async planDrain(node, opts) {
      const what = `Drain plan for ${node}`;
      throwIfAborted(opts?.signal, what);
      requireNode(node);
      const { workloads, view } = await workloadsOn(node, opts);
      const jobs = await jobsOn(node, what, opts);
      const plan: DrainPlan = {
        ...planFor(node, workloads, view === 'cordoned'),
        ...(jobs ? { schedulerJobs: jobs } : {}),
      };
      // The built-in drain stops each container; a configured drain template does what it does.
      if (templates.get('drain')) return plan;
      const why = 'the drain stops its container; nothing starts it on another node';
      return {
        ...plan,
        fates: Object.fromEntries(plan.evict.map((w) => [w.id, { kind: 'stopped', why } as const])),
      };
    },

    drain: (node, opts) => drain(node, opts),
    // With no state command there is nothing to tell DRAINING from DRAINED by.
    ...(templates.has('state')
      ? {
          async drainProgress(node: string, opts?: CallOptions): Promise<DrainProgress> {
            const what = `Drain progress of ${node}`;
            throwIfAborted(opts?.signal, what);
            requireNode(node);
            return (
              (await drainState(node, what, opts)) ?? {
                state: 'other',
                summary: 'its Slurm state cannot be read (the state command failed)',
              }
            );
          },
        }
      : {}),
    restartWorkload: (id, opts) => workloadAction(id, 'restart', opts),
    stopWorkload: (id, opts) => workloadAction(id, 'stop', opts),
    workloadLogs: (id, tail, opts) => workloadLogs(id, tail, opts),
    // `commands.probe: false` leaves the method out: triage then checks no peers on this adapter.
    ...(probeTemplate
      ? {
          probePeer: (node: string, peer: string, port: number, opts?: CallOptions) =>
            probePeer(probeTemplate, node, peer, port, opts),
        }
      : {}),

    connectCounts: () => runner.connectCounts(),

    close: () => runner.close(),
  };
}
