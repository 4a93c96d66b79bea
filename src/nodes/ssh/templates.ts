import { isIP } from 'node:net';
import { BotError } from '../../core/errors.ts';
import { graphemeHead } from '../../core/text.ts';
import { checkPort, invalidNodeNameError } from '../errors.ts';
import { checkLogTail } from '../logs.ts';
import { PEER_PROBE_TIMEOUT_S } from '../peer-probe.ts';
import { NODE_NAME_PATTERN } from '../port.ts';
import { invalidWorkloadNameError } from './errors.ts';
import { shellQuote } from './shell-quote.ts';

/**
 * Mitigation, log and probe command templates. Only `{node}`, `{workload}`, `{tail}`, `{peerHost}`,
 * `{port}` and `{reason}` are substituted: names and the peer's host validated and single-quoted,
 * `{tail}` (1…1000) and `{port}` (1…65535) whole numbers the adapter checks and inserts as digits,
 * `{reason}` cut down to plain ASCII words (drainReason) and single-quoted; the rest of a template
 * comes from the config file, which is trusted. A template is parsed once, at
 * start-up, so a bad one fails the config check rather than an incident.
 */

export type Placeholder = 'node' | 'workload' | 'tail' | 'peerHost' | 'port' | 'reason';
export type TemplateName =
  | 'state'
  | 'reason'
  | 'jobs'
  | 'cordon'
  | 'uncordon'
  | 'drain'
  | 'restart'
  | 'stop'
  | 'logs'
  | 'probe';
const PLACEHOLDER_NAMES: readonly string[] = [
  'node',
  'workload',
  'tail',
  'peerHost',
  'port',
  'reason',
] satisfies Placeholder[];

/** Container names as docker allows them (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), which is also what the ids carry. */
export const WORKLOAD_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/**
 * The defaults: Slurm for the node's scheduling state, docker for the containers.
 *
 * - `state`: what slurmctld says about the node (`idle`, `mixed`, `drained`, `draining`, `down*` …);
 *   any `drain` state shows as cordoned, `down`/`fail` or a trailing `*` (not responding) as not_ready.
 * - `reason`: why the node is in its Slurm state (`sinfo %E`: the drain reason, `Not responding`),
 *   for triage; `none` when there is none.
 * - `jobs`: the Slurm jobs on the node (`squeue`: id, user, state, time used, generic resources for
 *   the GPU count, name), for triage, the drain preview and telling DRAINING from DRAINED. A failing
 *   command (no Slurm there) lists none.
 * - `cordon`: Slurm's DRAIN state is what Kubernetes calls cordon: running jobs finish, no new ones
 *   start. `{reason}` is Slurm's drain reason, `incident-bot INC-12: Xid 79 on gpu-node-5`, so
 *   `sinfo -R` says which incident drained the node.
 * - `uncordon`: `state=resume` clears DRAIN (Slurm refuses it on a node that is not drained, so the
 *   adapter checks `state` first and answers "not cordoned" without running it).
 * - `drain`: no default template: the built-in drain runs `cordon`, then `stop` for each container the
 *   drain plan evicts. A configured `drain` template runs instead of both.
 * - `restart` / `stop`: docker, by container name.
 * - `logs`: the last `{tail}` lines of the container's log, its stderr merged into stdout (docker
 *   keeps them apart; the port wants both). Read-only, but the log may hold secrets: the caller
 *   redacts before posting.
 * - `probe`: can the node open a TCP connection to a peer's port (triage checks NCCL's 29500 from
 *   each node to the next). `{peerHost}` is the `host` of the peer's inventory entry, `{port}` the
 *   port. bash's `/dev/tcp` and coreutils' `timeout` come with stock Ubuntu, RHEL and DGX OS
 *   images, where `nc` often does not (RHEL minimal has none). The host and port reach the inner
 *   bash as arguments (`$1`, `$2`), never as script text. It exits 0 when the connection opens;
 *   otherwise the exit status (124: `timeout` gave up, nothing answered) and bash's message
 *   (`Connection refused`: the peer answered, nothing listens there) say how it failed. Where
 *   netcat-openbsd is installed, `nc -zv -w 3 {peerHost} {port}` works the same way (`-v`, or a
 *   refusal looks like a drop); `false` turns the probe off.
 */
export const DEFAULT_SSH_COMMANDS: Readonly<Record<Exclude<TemplateName, 'drain'>, string>> = {
  state: 'sinfo -h -N -n {node} -o %T',
  reason: 'sinfo -h -N -n {node} -o %E',
  jobs: "squeue -h -w {node} -o '%i %u %T %M %b %j'",
  cordon: 'scontrol update nodename={node} state=drain reason={reason}',
  uncordon: 'scontrol update nodename={node} state=resume',
  restart: 'docker restart {workload}',
  stop: 'docker stop {workload}',
  logs: 'docker logs --tail {tail} {workload} 2>&1',
  probe: `timeout ${PEER_PROBE_TIMEOUT_S} bash -c ': </dev/tcp/"$1"/"$2"' nccl-probe {peerHost} {port}`,
};

/** Which placeholders each template may use: a node-level command has no workload. */
export const TEMPLATE_PLACEHOLDERS: Readonly<Record<TemplateName, readonly Placeholder[]>> = {
  state: ['node'],
  reason: ['node'],
  jobs: ['node'],
  cordon: ['node', 'reason'],
  uncordon: ['node'],
  drain: ['node', 'reason'],
  restart: ['node', 'workload'],
  stop: ['node', 'workload'],
  logs: ['node', 'workload', 'tail'],
  probe: ['node', 'peerHost', 'port'],
};

export type TemplatePart = string | { readonly placeholder: Placeholder };

export interface CommandTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

const PLACEHOLDER = /\{([A-Za-z_]+)\}/g;

/**
 * Where each character of `text` sits for the shell: a placeholder inside '…' or "…" would put our
 * quotes inside the template's, and inside "…" `$(…)` in a value would still run.
 */
function quotedPositions(text: string): boolean[] {
  const quoted: boolean[] = [];
  let mode: 'none' | 'single' | 'double' = 'none';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    quoted.push(mode !== 'none');
    if (mode === 'single') {
      if (c === "'") mode = 'none';
    } else if (c === '\\') {
      quoted.push(true);
      i++;
    } else if (mode === 'double') {
      if (c === '"') mode = 'none';
    } else if (c === "'") mode = 'single';
    else if (c === '"') mode = 'double';
  }
  return quoted;
}

/** Parses a template; returns the problems instead of throwing so zod can report them all. */
export function parseTemplate(
  source: string,
  allowed: readonly Placeholder[],
): { template: CommandTemplate } | { problems: string[] } {
  const problems: string[] = [];
  if (source.trim() === '') problems.push('is empty');
  if (source.includes('\0')) problems.push('contains a NUL byte');
  const quoted = quotedPositions(source);
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? '';
    const at = m.index ?? 0;
    const known = (allowed as readonly string[]).includes(name);
    if (quoted[at]) {
      // `{{.Name}}` in a docker --format string is text, not ours; `'{node}'` is a mistake.
      if (PLACEHOLDER_NAMES.includes(name))
        problems.push(`puts {${name}} inside quotes; write it bare, the bot quotes the value itself`);
      continue;
    }
    if (!known) {
      problems.push(`uses {${name}}, which is not one of ${allowed.map((p) => `{${p}}`).join(', ')}`);
      continue;
    }
    parts.push(source.slice(last, at), { placeholder: name as Placeholder });
    last = at + m[0].length;
  }
  parts.push(source.slice(last));
  if (problems.length > 0) return { problems };
  return { template: { source, parts: parts.filter((p) => p !== '') } };
}

export function compileTemplate(source: string, allowed: readonly Placeholder[]): CommandTemplate {
  const parsed = parseTemplate(source, allowed);
  if ('problems' in parsed) throw new Error(`command template ${parsed.problems.join('; ')}`);
  return parsed.template;
}

export interface TemplateValues {
  readonly node: string;
  readonly workload?: string;
  readonly tail?: number;
  readonly peerHost?: string;
  readonly port?: number;
  /** Why, in a few words (`INC-12: Xid 79 on gpu-node-5`): rendered as drainReason says. */
  readonly reason?: string;
}

/** Slurm keeps a reason as given; 120 characters is what `sinfo -R` shows without wrapping much. */
const MAX_REASON = 120;

/**
 * The text `{reason}` stands for: `incident-bot`, then the caller's words kept to letters, digits,
 * spaces and `.,:;#/()+=@_-` (anything else, quotes and `$` included, becomes a space), cut to 120
 * characters. The result is single-quoted too, so it is one argument whatever the template is.
 */
export function drainReason(why: string | undefined): string {
  const words = (why ?? '')
    .replace(/[^A-Za-z0-9 .,:;#/()+=@_-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const text = words === '' ? 'incident-bot' : `incident-bot ${words}`;
  return text.length <= MAX_REASON ? text : text.slice(0, MAX_REASON).trimEnd();
}

/** One DNS label: letters, digits, `-` and `_` (which some inventories use), 63 at most. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*\\.?$`);

/** A hostname (RFC 1123 labels) or an IPv4 / IPv6 literal: never an option, never shell text. */
export function isPeerHost(host: string): boolean {
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

export function invalidPeerHostError(host: string): BotError {
  return new BotError(
    'bot.node.invalid_host',
    `${JSON.stringify(graphemeHead(host, 80))} is not a hostname or an IP address.`,
    { hint: "Fix the node's `host` in the adapter's inventory." },
  );
}

/**
 * Validates each value a template uses, then inserts it: names and the peer host single-quoted,
 * `{tail}` and `{port}` as the digits of checked whole numbers. Throws BotError on bad input.
 */
export function renderTemplate(template: CommandTemplate, values: TemplateValues): string {
  return template.parts
    .map((part) => {
      if (typeof part === 'string') return part;
      if (part.placeholder === 'node') {
        if (!NODE_NAME_PATTERN.test(values.node)) throw invalidNodeNameError(values.node);
        return shellQuote(values.node);
      }
      if (part.placeholder === 'tail') {
        const tail = values.tail ?? Number.NaN;
        checkLogTail(tail);
        return String(tail);
      }
      if (part.placeholder === 'port') {
        const port = values.port ?? Number.NaN;
        checkPort(port);
        return String(port);
      }
      if (part.placeholder === 'reason') return shellQuote(drainReason(values.reason));
      if (part.placeholder === 'peerHost') {
        const host = values.peerHost ?? '';
        if (!isPeerHost(host)) throw invalidPeerHostError(host);
        return shellQuote(host);
      }
      const workload = values.workload ?? '';
      if (!WORKLOAD_NAME_PATTERN.test(workload)) throw invalidWorkloadNameError(workload);
      return shellQuote(workload);
    })
    .join('');
}
