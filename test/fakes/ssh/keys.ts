import { createHmac, randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { sshFingerprint } from '../../../src/nodes/ssh/known-hosts.ts';

export interface TestKey {
  /** OpenSSH private key text, as ssh-keygen writes it. */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA… comment`, an authorized_keys / .pub line. */
  readonly publicLine: string;
  /** The public key blob (wire format). */
  readonly blob: Buffer;
  readonly fingerprint: string;
  readonly parsed: ssh2.ParsedKey;
}

/**
 * A fresh ed25519 key pair, made at test time: no key material lives in the repository.
 *
 * ssh2 1.17's generateKeyPairSync drops a leading zero byte of an ed25519 public key (about one
 * pair in 300), and then neither half parses; such a pair is thrown away and another made.
 */
export function generateTestKey(comment = 'incident-bot-test'): TestKey {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const parsed = ssh2.utils.parseKey(pair.public);
    const priv = ssh2.utils.parseKey(pair.private);
    if (parsed instanceof Error || priv instanceof Error) continue;
    return finish(pair.private, parsed, comment);
  }
}

function finish(privateKey: string, parsed: ssh2.ParsedKey, comment: string): TestKey {
  const blob = parsed.getPublicSSH();
  return {
    privateKey,
    publicLine: `ssh-ed25519 ${blob.toString('base64')} ${comment}`,
    blob,
    fingerprint: sshFingerprint(blob),
    parsed,
  };
}

/** A known_hosts line for `name` (`host` or `[host]:port`), optionally hashed as HashKnownHosts does. */
export function knownHostsLine(name: string, key: TestKey, hashed = false): string {
  const type = 'ssh-ed25519';
  if (!hashed) return `${name} ${type} ${key.blob.toString('base64')}`;
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')} ${type} ${key.blob.toString('base64')}`;
}
