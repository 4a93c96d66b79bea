import { pino } from 'pino';
import { type Clock, ManualClock } from '../../../src/core/clock.ts';
import type { NodeAdapter } from '../../../src/nodes/port.ts';
import { createSimulatedAdapter } from '../../../src/nodes/simulated/index.ts';
import {
  createSshAdapter,
  type SshAdapterConfig,
  type SshNodeAdapter,
  sshAdapterOptions,
} from '../../../src/nodes/ssh/index.ts';
import { knownHostsName } from '../../../src/nodes/ssh/known-hosts.ts';
import { FakeNodeHost, type PeerBlock, type SlurmJob } from './host.ts';
import { generateTestKey, knownHostsLine, type TestKey } from './keys.ts';
import {
  type Behaviour,
  type FakeSshNodeServer,
  type HangMode,
  type RecordedCommand,
  startFakeSshNode,
} from './server.ts';

export interface SshFleetOptions {
  readonly count: number;
  /** Node names; default gpu-node-1…count. Node i shows simulated gpu-node-((i-1) mod 13 + 1). */
  readonly names?: readonly string[];
  /** Every exec is answered after this long. */
  readonly delayMs?: number;
  /** Nodes that hang: at `exec` (the handshake works, commands never answer) or in the `handshake`. */
  readonly hang?: Readonly<Record<string, HangMode>>;
  /** Nodes that present a host key other than the one in `knownHosts` / `hostKeys`. */
  readonly wrongHostKey?: readonly string[];
  /** The simulated fleet's clock (default: a ManualClock, so outputs are stable within a test). */
  readonly clock?: Clock;
  readonly user?: string;
}

export interface FakeSshNode {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The SHA256 fingerprint of the key this node should present. */
  readonly hostKey: string;
}

/** Virtual paths `fleet.readFile` serves, for `createSshAdapter(…, { readFile: fleet.readFile })`. */
export const FLEET_KEY_PATH = 'fake-fleet/id_ed25519';
export const FLEET_KNOWN_HOSTS_PATH = 'fake-fleet/known_hosts';

export interface SshFleet {
  readonly nodes: readonly FakeSshNode[];
  readonly user: string;
  readonly clientKey: TestKey;
  /** known_hosts text pinning every node's key (`[127.0.0.1]:port ssh-ed25519 …`). */
  readonly knownHosts: string;
  knownHostsHashed(): string;
  /** node name → SHA256 fingerprint, the `hostKeys` shape. */
  hostKeys(): Record<string, string>;
  /** Adapter config for this fleet, key and known_hosts at the virtual paths `readFile` serves. */
  config(overrides?: Partial<SshAdapterConfig>): SshAdapterConfig;
  readonly readFile: (path: string) => Promise<string>;
  /** Every exec received, in order (the exact command strings, for quoting checks). */
  readonly commands: RecordedCommand[];
  commandsOn(node: string): string[];
  /** Most execs in flight at once, fleet-wide and per node, since the last resetStats(). */
  inFlight(): { current: number; max: number; perNodeMax: Record<string, number> };
  resetStats(): void;
  connections(node: string): { accepted: number; open: number };
  /** Fresh simulated state, no cordons, no recorded commands. */
  reset(): void;
  setDelay(ms: number): void;
  setHang(node: string, mode: HangMode | undefined): void;
  setWrongHostKey(node: string, wrong: boolean): void;
  /**
   * `node` dies mid-command (its connection reset, no exit status) on every exec whose command
   * matches `pattern`, e.g. a drain's `docker stop` after its cordon went through; other commands
   * are answered. `undefined` turns it off. The command is still recorded in `commands`.
   */
  setDieOn(node: string, pattern: RegExp | undefined): void;
  /** Every diagnostic and `docker logs` on `node` prints `bytes` more (0 stops it). */
  setFlood(node: string, bytes: number): void;
  /**
   * The peer probe from `node` to `peerHost` (any port) fails as `mode` says (default `drop`, a
   * firewall DROP); `false` makes it reachable again. Every other pair is reachable. The fleet's
   * own nodes are all 127.0.0.1, so tests give peers hosts of their own in the inventory.
   */
  setPeerBlocked(node: string, peerHost: string, mode?: PeerBlock | false): void;
  /**
   * The Slurm jobs `squeue` lists on `node` (none by default). While a drained node has any,
   * `sinfo` says `draining`; with none, `drained`.
   */
  setSlurmJobs(node: string, jobs: readonly SlurmJob[]): void;
  /**
   * Whether `node` has NVIDIA's nvidia-bug-report.sh (the bundle runs it instead of the fixed set),
   * and how long each of the bundle's commands takes there.
   */
  setBundle(node: string, options: { bugReport?: boolean; delayMs?: number }): void;
  /** Slurm's drain reason on `node` as `scontrol` set it (what `sinfo -R` would show), if drained. */
  drainReason(node: string): string | undefined;
  close(): Promise<void>;
}

const SIMULATED_NODES = 13;

/** The ssh adapter over `fleet` with `config` (default the fleet's own), on a ManualClock, silent. */
export async function connectSsh(
  fleet: SshFleet,
  config: SshAdapterConfig = fleet.config(),
): Promise<SshNodeAdapter> {
  return createSshAdapter(sshAdapterOptions.parse(config), {
    clock: new ManualClock(),
    logger: pino({ level: 'silent' }),
    readFile: fleet.readFile,
    env: {},
  });
}

/**
 * A fleet of in-process SSH nodes on 127.0.0.1, each a real ssh2 Server with its own ed25519 host
 * key, answering the allow-listed commands with the simulated fleet's outputs.
 */
export async function startSshFleet(options: SshFleetOptions): Promise<SshFleet> {
  const user = options.user ?? 'gpuops';
  const clock = options.clock ?? new ManualClock('2026-03-14T09:26:53.000Z');
  const names = options.names ?? Array.from({ length: options.count }, (_, i) => `gpu-node-${i + 1}`);
  if (names.length !== options.count) throw new Error('startSshFleet: names.length must equal count');
  const clientKey = generateTestKey('incident-bot');
  let sim: NodeAdapter = createSimulatedAdapter({ clock });
  let delayMs = options.delayMs ?? 0;
  const hang = new Map(Object.entries(options.hang ?? {}));
  const wrong = new Set(options.wrongHostKey ?? []);
  const dieOn = new Map<string, RegExp>();
  const commands: RecordedCommand[] = [];
  let current = 0;
  let max = 0;
  const perNode = new Map<string, { current: number; max: number }>();

  const hooks = {
    record: (rec: RecordedCommand) => commands.push(rec),
    started: (node: string) => {
      current++;
      max = Math.max(max, current);
      const n = perNode.get(node) ?? { current: 0, max: 0 };
      n.current++;
      n.max = Math.max(n.max, n.current);
      perNode.set(node, n);
    },
    finished: (node: string) => {
      current--;
      const n = perNode.get(node);
      if (n) n.current--;
    },
  };

  const hosts = names.map(
    (name, i) => new FakeNodeHost(name, `gpu-node-${(i % SIMULATED_NODES) + 1}`, () => sim),
  );
  const servers: FakeSshNodeServer[] = await Promise.all(
    hosts.map((host) =>
      startFakeSshNode({
        host,
        hostKey: generateTestKey(`host-${host.name}`),
        otherHostKey: generateTestKey(`impostor-${host.name}`),
        clientKey,
        user,
        hooks,
        behaviour: (): Behaviour => ({
          delayMs,
          hang: hang.get(host.name),
          wrongHostKey: wrong.has(host.name),
          dieOn: dieOn.get(host.name),
        }),
      }),
    ),
  );
  const byName = new Map(servers.map((s) => [s.name, s]));
  const nodes: FakeSshNode[] = servers.map((s) => ({
    name: s.name,
    host: '127.0.0.1',
    port: s.port,
    hostKey: s.hostKey.fingerprint,
  }));
  const knownHostsText = (hashed: boolean) =>
    `# fake fleet\n${servers.map((s) => knownHostsLine(knownHostsName('127.0.0.1', s.port), s.hostKey, hashed)).join('\n')}\n`;
  const knownHosts = knownHostsText(false);

  return {
    nodes,
    user,
    clientKey,
    knownHosts,
    knownHostsHashed: () => knownHostsText(true),
    hostKeys: () => Object.fromEntries(nodes.map((n) => [n.name, n.hostKey])),
    config: (overrides = {}) => ({
      type: 'ssh',
      user,
      privateKeyPath: FLEET_KEY_PATH,
      knownHostsPath: FLEET_KNOWN_HOSTS_PATH,
      nodes: nodes.map((n) => ({ name: n.name, host: n.host, port: n.port, labels: { fake: 'true' } })),
      ...overrides,
    }),
    readFile: async (path) => {
      if (path === FLEET_KEY_PATH) return clientKey.privateKey;
      if (path === FLEET_KNOWN_HOSTS_PATH) return knownHosts;
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    },
    commands,
    commandsOn: (node) => commands.filter((c) => c.node === node).map((c) => c.command),
    inFlight: () => ({
      current,
      max,
      perNodeMax: Object.fromEntries([...perNode].map(([n, s]) => [n, s.max])),
    }),
    resetStats: () => {
      max = current;
      for (const s of perNode.values()) s.max = s.current;
    },
    connections: (node) => {
      const s = byName.get(node);
      if (!s) throw new Error(`no fake node ${node}`);
      return { ...s.connections };
    },
    reset: () => {
      sim = createSimulatedAdapter({ clock });
      for (const h of hosts) {
        h.cordoned = false;
        h.flood = 0;
        h.blocked.clear();
        h.slurmJobs = [];
        h.reason = undefined;
        h.hasBugReport = false;
        h.bundleDelayMs = 0;
      }
      commands.length = 0;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    setHang: (node, mode) => {
      if (mode === undefined) hang.delete(node);
      else hang.set(node, mode);
    },
    setWrongHostKey: (node, w) => {
      if (w) wrong.add(node);
      else wrong.delete(node);
    },
    setDieOn: (node, pattern) => {
      if (pattern === undefined) dieOn.delete(node);
      else dieOn.set(node, pattern);
    },
    setFlood: (node, bytes) => {
      const h = hosts.find((x) => x.name === node);
      if (!h) throw new Error(`no fake node ${node}`);
      h.flood = bytes;
    },
    setPeerBlocked: (node, peerHost, mode = 'drop') => {
      const h = hosts.find((x) => x.name === node);
      if (!h) throw new Error(`no fake node ${node}`);
      if (mode === false) h.blocked.delete(peerHost);
      else h.blocked.set(peerHost, mode);
    },
    setSlurmJobs: (node, jobs) => {
      const h = hosts.find((x) => x.name === node);
      if (!h) throw new Error(`no fake node ${node}`);
      h.slurmJobs = [...jobs];
    },
    setBundle: (node, options) => {
      const h = hosts.find((x) => x.name === node);
      if (!h) throw new Error(`no fake node ${node}`);
      if (options.bugReport !== undefined) h.hasBugReport = options.bugReport;
      if (options.delayMs !== undefined) h.bundleDelayMs = options.delayMs;
    },
    drainReason: (node) => hosts.find((x) => x.name === node)?.reason,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
