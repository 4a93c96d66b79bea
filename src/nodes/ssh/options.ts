import { z } from 'zod';
import { NODE_NAME_PATTERN } from '../port.ts';
import { DEFAULT_OUTPUT_CAP_BYTES } from './output.ts';
import { parseTemplate, TEMPLATE_PLACEHOLDERS, type TemplateName } from './templates.ts';
import { DEFAULT_SYSTEM_WORKLOADS } from './workloads.ts';

/**
 * The `type: ssh` entry under `adapters` in the config file (`incident-bot.example.yml`). Strict: a misspelt key is
 * an error, not a silent default. Paths may start with `~/`; relative ones are taken from the
 * working directory.
 */

const nodeName = z
  .string()
  .regex(NODE_NAME_PATTERN, 'must start with a letter or digit and hold only letters, digits, . _ -');

const userName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'must be a Unix user name such as gpuops');

const port = z.number().int().min(1).max(65_535);

/** `SHA256:` and 43 base64 characters, as `ssh-keygen -lf` prints; a trailing `=` is dropped. */
const fingerprint = z
  .string()
  .regex(
    /^SHA256:[A-Za-z0-9+/]{43}=?$/,
    'must be a SHA256 fingerprint as `ssh-keygen -lf <key.pub>` prints it (SHA256: and 43 characters)',
  )
  .transform((f) => f.replace(/=$/, ''));

function template(name: TemplateName) {
  return z
    .union([z.string(), z.literal(false)])
    .superRefine((value, ctx) => {
      if (value === false) return;
      const parsed = parseTemplate(value, TEMPLATE_PLACEHOLDERS[name]);
      if ('problems' in parsed) {
        for (const p of parsed.problems) ctx.addIssue({ code: 'custom', message: `command template ${p}` });
      }
    })
    .optional();
}

const nodeSchema = z
  .object({
    name: nodeName,
    /** A hostname or an IP address (v4 or v6). */
    host: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.:%_-]{0,252}$/, 'must be a hostname or an IP address'),
    /** Defaults to the adapter's `port`. */
    port: port.optional(),
    /** Defaults to the adapter's `user`. */
    user: userName.optional(),
    labels: z.record(z.string().min(1), z.string()).default({}),
    /** How many GPUs it has: triage reports fewer answering nvidia-smi as a GPU gone from the bus. */
    gpus: z.number().int().min(0).max(64).optional(),
  })
  .strict();

/**
 * Mitigation, log and probe templates (`false` turns one off, and with it the capability, or for
 * `probe` the peer checks in triage). `{node}` is the inventory name, `{workload}` the container
 * name; both are validated and single-quoted by the bot, so they must stand bare in the template,
 * never inside quotes. `logs` also takes `{tail}`, a whole number from 1 to 1000 checked by the bot;
 * `probe` takes `{peerHost}` (the peer's `host` from this inventory, checked to be a hostname or IP
 * address and single-quoted) and `{port}` (1…65535, as digits). See DEFAULT_SSH_COMMANDS for the
 * defaults.
 */
const commandsSchema = z
  .object({
    state: template('state'),
    reason: template('reason'),
    jobs: template('jobs'),
    cordon: template('cordon'),
    uncordon: template('uncordon'),
    drain: template('drain'),
    restart: template('restart'),
    stop: template('stop'),
    logs: template('logs'),
    probe: template('probe'),
  })
  .strict();

export const sshAdapterOptions = z
  .object({
    type: z.literal('ssh'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/, 'must be letters, digits and : . _ -')
      .default('ssh'),
    user: userName,
    privateKeyPath: z.string().min(1),
    /** The environment variable holding the private key's passphrase, if it has one. */
    passphraseEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    /** An OpenSSH known_hosts file (hashed entries and `[host]:port` understood). */
    knownHostsPath: z.string().min(1).optional(),
    /** Pinned SHA256 fingerprints per node name (one or a list), alone or beside knownHostsPath. */
    hostKeys: z
      .record(
        nodeName,
        z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(fingerprint).min(1)),
      )
      .optional(),
    port: port.default(22),
    /** Commands in flight across all nodes. */
    concurrency: z.number().int().min(1).max(1024).default(32),
    /**
     * SSH handshakes in flight. Each costs the bot ~2 ms of CPU (key exchange, signatures), so a
     * few at a time finish sooner and keep the command slots fed; on a LAN 8 at a time connect
     * ~1,000 nodes a second. Over a WAN (a handshake is ~4 round trips) raise it.
     */
    handshakeConcurrency: z.number().int().min(1).max(1024).default(8),
    /**
     * Commands in flight per node, each on its own channel of one connection (OpenSSH's MaxSessions
     * is 10). Three: a triage reads the diagnostics, probes its NCCL peer and asks Slurm at once.
     */
    perNodeConcurrency: z.number().int().min(1).max(10).default(3),
    connectTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    commandTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** A connection with nothing running is closed after this long. */
    idleTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
    keepaliveIntervalMs: z.number().int().min(0).max(300_000).default(15_000),
    /** Kept per stream (stdout, stderr) per command; the rest is counted and dropped. */
    outputCapBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(DEFAULT_OUTPUT_CAP_BYTES),
    /** Run every command as `sudo -n sh -c '<command>'` (sudo must not ask for a password). */
    sudo: z.boolean().default(false),
    /** Containers a drain leaves in place (node agents); `*` matches any run of characters. */
    systemWorkloads: z
      .array(z.string().regex(/^[A-Za-z0-9*][A-Za-z0-9._*-]*$/, 'must be a container name, `*` allowed'))
      .default([...DEFAULT_SYSTEM_WORKLOADS]),
    commands: commandsSchema.default({}),
    nodes: z.array(nodeSchema).min(1),
  })
  .strict()
  .superRefine((o, ctx) => {
    const seen = new Set<string>();
    o.nodes.forEach((n, i) => {
      if (seen.has(n.name))
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `${n.name} is listed twice` });
      seen.add(n.name);
    });
    for (const name of Object.keys(o.hostKeys ?? {})) {
      if (!seen.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['hostKeys', name],
          message: `${name} is not one of the nodes`,
        });
    }
    if (o.knownHostsPath === undefined && o.hostKeys === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['knownHostsPath'],
        message:
          'host keys must be pinned: set knownHostsPath (an OpenSSH known_hosts file) or hostKeys (SHA256 fingerprints per node)',
      });
    }
  });

/** The config as written (defaults optional). */
export type SshAdapterConfig = z.input<typeof sshAdapterOptions>;
/** The config after validation, what createSshAdapter takes. */
export type SshAdapterOptions = z.output<typeof sshAdapterOptions>;
export type SshNodeOptions = SshAdapterOptions['nodes'][number];
