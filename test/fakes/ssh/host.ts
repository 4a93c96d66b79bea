import { isBotError } from '../../../src/core/errors.ts';
import { BUG_REPORT_SCRIPT, standardBundleCommands } from '../../../src/nodes/bundle.ts';
import { DIAGNOSTIC_COMMANDS } from '../../../src/nodes/commands.ts';
import { MAX_LOG_TAIL } from '../../../src/nodes/logs.ts';
import type { DiagnosticId, NodeAdapter } from '../../../src/nodes/port.ts';
import { DEFAULT_SSH_COMMANDS } from '../../../src/nodes/ssh/templates.ts';
import { splitWords } from './shell-words.ts';

export interface Answer {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

const ok = (stdout = ''): Answer => ({ stdout, stderr: '', exitCode: 0 });
const fail = (stderr: string, exitCode = 1): Answer => ({ stdout: '', stderr, exitCode });

const BY_COMMAND = new Map(
  (Object.entries(DIAGNOSTIC_COMMANDS) as [DiagnosticId, string][]).map(([id, cmd]) => [cmd, id]),
);

/**
 * One batch line as `sh` would see it (see src/nodes/ssh/batch.ts; test/nodes/ssh-batch.test.ts runs
 * the same script through a real /bin/sh so this reading stays honest).
 */
const BATCH_LINE =
  /^sh -c ('(?:[^']|'\\'')*') <\/dev\/null; s=\$\?; printf '\\n%s:%s\\n' '([^']+)' "\$s"; printf '\\n%s\\n' '([^']+)' >&2$/;

/**
 * How a blocked peer fails: `drop` (a firewall DROP: nothing answers until the probe gives up),
 * `refuse` (a RST: the peer answered, nothing listens), `no-route` (an ICMP host unreachable).
 */
export type PeerBlock = 'drop' | 'refuse' | 'no-route';

/** The inner bash script of the default `probe` template (`timeout 3 bash -c '<this>' nccl-probe …`). */
const PROBE_SCRIPT = splitWords(DEFAULT_SSH_COMMANDS.probe).words[4];

/** A trailing `2>&1`, the one redirection the fake shell reads (the `logs` template's). */
const MERGE_STDERR = /^(.*\S)\s+2>&1$/s;

/**
 * What one fake node answers: the allow-listed diagnostics from a simulated node (byte for byte
 * what the real tools print), Slurm's `sinfo`/`scontrol` for the scheduling state, `docker
 * stop|restart`, `docker logs [--tail N]` (the simulated container's log), `echo`, a trailing
 * `2>&1`, the adapter's batch script and the `sudo -n sh -c` wrapper, and the peer probe (the
 * default `timeout N bash -c …/dev/tcp…` template, or `nc -z[v] -w N host port`): every peer
 * host answers unless `blocked` names it, and the diagnostic bundle (the bug report script, which
 * finds no nvidia-bug-report.sh unless `hasBugReport`, and the fixed set from the simulated node's
 * own bundle). Anything else is "not found", exit 127, as sh says it.
 */
/** One job as the fake's `squeue` prints it. */
export interface SlurmJob {
  readonly id: string;
  readonly user: string;
  readonly state: 'RUNNING' | 'COMPLETING';
  readonly elapsed: string;
  readonly name: string;
  /** GPUs it holds: `%b` prints `gres/gpu:N`, or `N/A` without any. */
  readonly gpus?: number;
}

/** The `%` fields the fake's squeue prints, as Slurm's `-o` names them. */
const SQUEUE_FIELDS: Readonly<Record<string, (j: SlurmJob) => string>> = {
  '%i': (j) => j.id,
  '%u': (j) => j.user,
  '%T': (j) => j.state,
  '%M': (j) => j.elapsed,
  '%j': (j) => j.name,
  '%b': (j) => (j.gpus ? `gres/gpu:${j.gpus}` : 'N/A'),
};

export class FakeNodeHost {
  cordoned = false;
  /** Slurm's drain reason, as the last `scontrol … state=drain reason=…` gave it. */
  reason: string | undefined;
  /** What squeue lists on this node: a drained node is DRAINING until this is empty. */
  slurmJobs: SlurmJob[] = [];
  /** Extra bytes each diagnostic and each `docker logs` prints (a node flooding its output). */
  flood = 0;
  /** Whether the node has NVIDIA's nvidia-bug-report.sh (the bundle then runs it, not the fixed set). */
  hasBugReport = false;
  /** How long each of the bundle's commands takes. */
  bundleDelayMs = 0;
  /** Peer hosts (as the probe names them) this node cannot reach, on any port, and how it fails. */
  readonly blocked = new Map<string, PeerBlock>();

  constructor(
    readonly name: string,
    /** The simulated node whose outputs and containers this node shows. */
    readonly backing: string,
    private readonly sim: () => NodeAdapter,
  ) {}

  async answer(command: string): Promise<Answer> {
    if (command === BUG_REPORT_SCRIPT) return this.bugReport();
    const id = BY_COMMAND.get(command);
    if (id) {
      const r = await this.sim().diagnose(this.backing, id);
      const extra = this.flood > 0 ? `${'x'.repeat(this.flood - 1)}\n` : '';
      return { stdout: r.stdout + extra, stderr: r.stderr, exitCode: r.exitCode };
    }
    const merged = MERGE_STDERR.exec(command);
    if (merged) {
      const a = await this.answer(merged[1] ?? '');
      return { stdout: a.stdout + a.stderr, stderr: '', exitCode: a.exitCode };
    }
    const { words, unquoted } = splitWords(command);
    if (
      words[0] === 'sudo' &&
      words[1] === '-n' &&
      words[2] === 'sh' &&
      words[3] === '-c' &&
      words.length === 5
    ) {
      return this.shell(words[4] ?? '');
    }
    if (words[0] === 'sh' && words[1] === '-c' && words.length === 3) return this.shell(words[2] ?? '');
    // The fake only reads plain argument lists; shell syntax here means something reached a shell raw.
    if (unquoted.length > 0) return fail(`fake sh: refusing shell syntax ${JSON.stringify(unquoted)}\n`, 2);
    return this.argv(words);
  }

  /** `sh -c <script>`: the adapter's batch, or a single command. */
  private shell(script: string): Promise<Answer> {
    if (script.split('\n').every((l) => BATCH_LINE.test(l))) return this.batch(script);
    return this.answer(script);
  }

  private async batch(script: string): Promise<Answer> {
    let stdout = '';
    let stderr = '';
    for (const line of script.split('\n')) {
      const m = BATCH_LINE.exec(line);
      const inner = splitWords(m?.[1] ?? '').words[0] ?? '';
      const a = await this.answer(inner);
      stdout += `${a.stdout}\n${m?.[2]}:${a.exitCode}\n`;
      stderr += `${a.stderr}\n${m?.[3]}\n`;
    }
    return { stdout, stderr, exitCode: 0 };
  }

  private async argv(words: string[]): Promise<Answer> {
    const [cmd, ...args] = words;
    if (cmd === 'echo') return ok(`${args.join(' ')}\n`);
    if (cmd === 'sinfo' && args.length === 6 && args[0] === '-h' && args[1] === '-N' && args[2] === '-n') {
      if (args[3] !== this.name) return ok('');
      // %E: the reason Slurm keeps for the state (the drain reason), `none` without one.
      if (args[5] === '%E') return ok(`${this.cordoned && this.reason ? this.reason : 'none'}\n`);
      // Slurm knows its own jobs, not the containers docker runs beside them.
      const active = this.slurmJobs.length > 0;
      return ok(`${this.cordoned ? (active ? 'draining' : 'drained') : active ? 'mixed' : 'idle'}\n`);
    }
    if (cmd === 'squeue') return this.squeue(args);
    if (cmd === 'scontrol' && args[0] === 'update') return this.scontrol(args.slice(1));
    if (cmd === 'docker' && (args[0] === 'stop' || args[0] === 'restart') && args.length === 2) {
      const container = args[1] ?? '';
      const id = `${this.backing}/${container}`;
      try {
        const r =
          args[0] === 'stop' ? await this.sim().stopWorkload(id) : await this.sim().restartWorkload(id);
        return r.ok ? ok(`${container}\n`) : fail(`${r.output}\n`);
      } catch (err) {
        if (isBotError(err) && err.code === 'bot.workload.unknown')
          return fail(`Error response from daemon: No such container: ${container}\n`);
        throw err;
      }
    }
    if (cmd === 'docker' && args[0] === 'logs') return this.dockerLogs(args.slice(1));
    // timeout <s> bash -c '<probe script>' <$0> <host> <port>
    if (cmd === 'timeout' && args[1] === 'bash' && args[2] === '-c' && args[3] === PROBE_SCRIPT) {
      if (args.length !== 7) return fail(`${args[4] ?? 'bash'}: line 1: /dev/tcp/: Invalid argument\n`);
      return this.bashProbe(args[4] ?? '', args[5] ?? '', args[6] ?? '');
    }
    if (cmd === 'nc') return this.ncProbe(args);
    const bundled = await this.bundleFile(words);
    if (bundled) return bundled;
    return fail(`sh: 1: ${cmd ?? ''}: not found\n`, 127);
  }

  /**
   * The bundle's fixed set (nvidia-smi -q, dmesg -T, journalctl -k --since @N, lspci -vv), from the
   * simulated node's own bundle; `bundleDelayMs` makes a collection slow (to stop a process in it).
   */
  private async bundleFile(words: readonly string[]): Promise<Answer | undefined> {
    const journal = /^journalctl -k --no-pager --since @(\d+)$/.exec(words.join(' '));
    const since = journal ? new Date(Number(journal[1]) * 1000) : new Date(0);
    const wanted = standardBundleCommands(since).find((c) => c.command === words.join(' '));
    if (!wanted) return undefined;
    if (this.bundleDelayMs > 0) await new Promise((r) => setTimeout(r, this.bundleDelayMs));
    const bundle = await this.sim().collectBundle!(this.backing, since);
    const file = bundle.files.find((f) => f.name === wanted.name);
    return file ? { stdout: file.stdout, stderr: file.stderr, exitCode: file.exitCode } : undefined;
  }

  /**
   * The bug report script: without `bugReport` the node has no nvidia-bug-report.sh (exit 127, as
   * `command -v` leaves it); with it, the report as the script prints it back: NVIDIA's section
   * headers around what each tool printed.
   */
  private async bugReport(): Promise<Answer> {
    if (!this.hasBugReport) return fail('', 127);
    const bundle = await this.sim().collectBundle!(this.backing, new Date(0));
    const sections = bundle.files.map(
      (f) => `____________________________________________\n\n${f.command}\n\n${f.stdout}${f.stderr}`,
    );
    return ok(
      `nvidia-bug-report.sh will now collect information about your system\n\n${sections.join('\n')}`,
    );
  }

  /** `docker logs [--tail N|-n N|--tail=N] <container>`, from the simulated container's log. */
  private async dockerLogs(args: string[]): Promise<Answer> {
    let tail = 'all';
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] ?? '';
      if (a === '--tail' || a === '-n') tail = args[++i] ?? '';
      else if (a.startsWith('--tail=')) tail = a.slice('--tail='.length);
      else rest.push(a);
    }
    if (rest.length !== 1) return fail('"docker logs" requires exactly 1 argument.\n');
    const lines = tail === 'all' ? MAX_LOG_TAIL : Number(tail);
    if (!Number.isInteger(lines) || lines < 0) {
      return fail(`Error response from daemon: invalid value for "tail": "${tail}"\n`);
    }
    const container = rest[0] ?? '';
    try {
      const id = `${this.backing}/${container}`;
      const r = await this.sim().workloadLogs(id, Math.max(1, Math.min(lines, MAX_LOG_TAIL)));
      // A flooding node's log: the extra bytes come before the real lines, as an old burst would.
      const extra = this.flood > 0 ? `${'x'.repeat(this.flood - 1)}\n` : '';
      return ok(lines === 0 ? '' : extra + r.stdout);
    } catch (err) {
      if (isBotError(err) && err.code === 'bot.workload.unknown')
        return fail(`Error response from daemon: No such container: ${container}\n`);
      throw err;
    }
  }

  /** What bash's `/dev/tcp` prints (as `$0`) and what `timeout` returns when it gives up (124). */
  private bashProbe(name: string, host: string, port: string): Answer {
    const how = this.blocked.get(host);
    if (how === undefined) return ok();
    if (how === 'drop') return { stdout: '', stderr: '', exitCode: 124 };
    const why = how === 'refuse' ? 'Connection refused' : 'No route to host';
    return fail(`${name}: connect: ${why}\n${name}: line 1: /dev/tcp/${host}/${port}: ${why}\n`);
  }

  /** netcat-openbsd `nc -z [-v] -w N host port`: silent without -v, exit 1 on any failure. */
  private ncProbe(args: string[]): Answer {
    let verbose = false;
    let zero = false;
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] ?? '';
      if (a === '-w') i++;
      else if (/^-[zv]+$/.test(a)) {
        zero ||= a.includes('z');
        verbose ||= a.includes('v');
      } else rest.push(a);
    }
    const [host = '', port = ''] = rest;
    if (!zero || rest.length !== 2)
      return fail('usage: nc [-46CDdFhklNnrStUuvZz] [-w timeout] [destination] [port]\n');
    const how = this.blocked.get(host);
    const say = (text: string) => (verbose ? `${text}\n` : '');
    if (how === undefined)
      return {
        stdout: '',
        stderr: say(`Connection to ${host} ${port} port [tcp/*] succeeded!`),
        exitCode: 0,
      };
    const why =
      how === 'drop'
        ? 'timed out: Operation now in progress'
        : how === 'refuse'
          ? 'failed: Connection refused'
          : 'failed: No route to host';
    return { stdout: '', stderr: say(`nc: connect to ${host} port ${port} (tcp) ${why}`), exitCode: 1 };
  }

  /**
   * `squeue -h -w <node> -o <format>` with the `%` fields of SQUEUE_FIELDS separated by spaces;
   * anything else is refused, so a template the fake does not read fails loudly.
   */
  private squeue(args: string[]): Answer {
    const [h, w, node, o, format = '', ...rest] = args;
    if (h !== '-h' || w !== '-w' || o !== '-o' || rest.length > 0)
      return fail(`fake squeue: only -h -w <node> -o <format> is read, not ${JSON.stringify(args)}\n`);
    if (node !== this.name) return fail('squeue: error: Invalid node name specified\n');
    const fields = format.split(' ');
    const unknown = fields.filter((f) => !Object.hasOwn(SQUEUE_FIELDS, f));
    if (unknown.length > 0) return fail(`fake squeue: unread fields ${unknown.join(' ')}\n`);
    return ok(this.slurmJobs.map((j) => `${fields.map((f) => SQUEUE_FIELDS[f]?.(j)).join(' ')}\n`).join(''));
  }

  /** `scontrol update nodename=<n> state=drain reason=<r>` / `state=resume`, with Slurm's refusals. */
  private scontrol(args: string[]): Answer {
    const kv = new Map(
      args.map((a) => {
        const at = a.indexOf('=');
        return [a.slice(0, at).toLowerCase(), a.slice(at + 1)] as const;
      }),
    );
    if (kv.get('nodename') !== this.name) return fail('slurm_update error: Invalid node name specified\n');
    const state = kv.get('state')?.toLowerCase();
    if (state === 'drain') {
      if (!kv.get('reason'))
        return fail('You must specify a reason when DOWNING or DRAINING a node. Request denied\n');
      this.cordoned = true;
      this.reason = kv.get('reason');
      return ok();
    }
    if (state === 'resume') {
      if (!this.cordoned) return fail('slurm_update error: Invalid node state specified\n');
      this.cordoned = false;
      this.reason = undefined;
      return ok();
    }
    return fail('slurm_update error: Invalid node state specified\n');
  }
}
