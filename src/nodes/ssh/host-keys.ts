import type { KnownHostEntry } from './known-hosts.ts';
import { entriesFor, sshFingerprint } from './known-hosts.ts';

/**
 * The host keys a node may present: keys from known_hosts entries that match its host and port,
 * plus SHA256 fingerprints from the config. Anything else, including "nothing pinned", refuses.
 */
export interface HostKeyPins {
  readonly fingerprints: ReadonlySet<string>;
  readonly revoked: ReadonlySet<string>;
  /** ssh2 algorithm names to offer, so a node with several keys shows the pinned one; undefined = ssh2's default. */
  readonly serverHostKey: readonly string[] | undefined;
}

export type HostKeyVerdict =
  | { readonly ok: true; readonly fingerprint: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'mismatch' | 'revoked'; readonly fingerprint: string };

/** ssh2's host key algorithm names for each key type; RSA keys sign with SHA-2 where both sides can. */
const ALGORITHMS: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export function pinsFor(
  knownHosts: readonly KnownHostEntry[],
  host: string,
  port: number,
  fingerprints: readonly string[],
): HostKeyPins {
  const matching = entriesFor(knownHosts, host, port);
  const pinned = matching.filter((e) => e.marker === undefined);
  const revoked = matching.filter((e) => e.marker === 'revoked');
  // Fingerprints do not say the key type, so with any of them every algorithm stays on offer.
  const algorithms =
    fingerprints.length > 0 ? [] : [...new Set(pinned.flatMap((e) => ALGORITHMS[e.keyType] ?? []))];
  return {
    fingerprints: new Set([...pinned.map((e) => sshFingerprint(e.key)), ...fingerprints]),
    revoked: new Set(revoked.map((e) => sshFingerprint(e.key))),
    serverHostKey: algorithms.length > 0 ? algorithms : undefined,
  };
}

export function checkHostKey(pins: HostKeyPins, presented: Buffer): HostKeyVerdict {
  const fingerprint = sshFingerprint(presented);
  if (pins.revoked.has(fingerprint)) return { ok: false, reason: 'revoked', fingerprint };
  if (pins.fingerprints.has(fingerprint)) return { ok: true, fingerprint };
  return { ok: false, reason: pins.fingerprints.size === 0 ? 'unknown' : 'mismatch', fingerprint };
}
