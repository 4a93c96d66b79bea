/**
 * A wire-level fake SSH fleet: real ssh2 Servers on 127.0.0.1 with real ed25519 keys made at test
 * time, publickey auth against the fleet's client key, and an exec handler that answers the
 * adapter's allow-listed commands with the simulated fleet's outputs.
 *
 * ```ts
 * const fleet = await startSshFleet({ count: 4, delayMs?, hang?: { 'gpu-node-2': 'exec' | 'handshake' },
 *                                     wrongHostKey?: ['gpu-node-3'], names?, clock?, user? });
 * const adapter = await createSshAdapter(sshAdapterOptions.parse(fleet.config({ concurrency: 8 })),
 *                                        { clock, logger, readFile: fleet.readFile });
 * fleet.commands;            // every exec string received, with node and status (answered / closed)
 * fleet.inFlight();          // { current, max, perNodeMax } execs in flight; resetStats() to re-measure
 * fleet.connections(node);   // { accepted, open } SSH connections
 * fleet.knownHosts / fleet.knownHostsHashed() / fleet.hostKeys()   // the pins, three ways
 * fleet.setDelay(ms); fleet.setHang(node, mode | undefined); fleet.setWrongHostKey(node, bool);
 * fleet.setDieOn(node, /docker stop/ | undefined);   // dies mid-command on matching commands only
 * fleet.setFlood(node, bytes);   // every diagnostic on node prints that many bytes more
 * fleet.setPeerBlocked(node, peerHost, 'drop' | 'refuse' | 'no-route' | false);  // peer probes
 * fleet.setSlurmJobs(node, [{ id, user, state, elapsed, name }]); fleet.drainReason(node)  // squeue, sinfo -R
 * fleet.reset();             // fresh simulated state, no cordons, no records
 * await fleet.close();
 * ```
 *
 * `await connectSsh(fleet, config?)` is the adapter over it (a ManualClock, a silent logger).
 *
 * Node i shows simulated gpu-node-((i-1) mod 13 + 1): gpu-node-3 crash-loops, gpu-node-5 lost a GPU
 * (Xid 79), gpu-node-7 had an OOM kill, gpu-node-9…13 show the deeper GPU faults (seed.ts). Slurm state comes from `sinfo`/`scontrol` against a cordon
 * flag per node; `docker stop|restart` act on the simulated containers.
 */

export {
  connectSsh,
  type FakeSshNode,
  FLEET_KEY_PATH,
  FLEET_KNOWN_HOSTS_PATH,
  type SshFleet,
  type SshFleetOptions,
  startSshFleet,
} from './fleet.ts';
export { type Answer, FakeNodeHost, type PeerBlock, type SlurmJob } from './host.ts';
export { generateTestKey, knownHostsLine, type TestKey } from './keys.ts';
export type { HangMode, RecordedCommand } from './server.ts';
export { type ShellWords, splitWords } from './shell-words.ts';
