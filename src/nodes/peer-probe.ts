import type { PeerProbe } from './port.ts';

/**
 * The answers a peer probe gives (NodeAdapter.probePeer), worded once so every adapter reports a
 * partition the same way. `peer` is the node name, `address` what the adapter connected to.
 */

/** How long the default probe waits for the peer to answer (the SSH template's `timeout 3`). */
export const PEER_PROBE_TIMEOUT_S = 3;

const where = (peer: string, address: string, port: number) =>
  peer === address ? `${peer}:${port}` : `${peer} (${address}) port ${port}`;

export function probeConnected(peer: string, address: string, port: number): PeerProbe {
  return { reachable: true, listening: true, detail: `connected to ${where(peer, address, port)}` };
}

/** A refusal comes from the peer's own kernel: the path is open, nothing listens there right now. */
export function probeRefused(peer: string, address: string, port: number): PeerProbe {
  return {
    reachable: true,
    listening: false,
    detail: `${where(peer, address, port)} refused the connection: the path is open, nothing listens there now`,
  };
}

/** Nothing came back: a firewall dropping the SYN, a link down, a black-holed route. */
export function probeTimedOut(peer: string, address: string, port: number, seconds?: number): PeerProbe {
  const within = seconds === undefined ? 'before the probe gave up' : `within ${seconds} s`;
  return {
    reachable: false,
    detail: `no answer from ${where(peer, address, port)} ${within} (dropped: a firewall, or a link down)`,
  };
}

/** Any other failure to connect (no route to host, a name that does not resolve), in the tool's words. */
export function probeFailed(peer: string, address: string, port: number, why: string): PeerProbe {
  return { reachable: false, detail: `cannot connect to ${where(peer, address, port)}: ${why}` };
}
