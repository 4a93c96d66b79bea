import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OpenSSH's known_hosts format (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"):
 *
 *   [@revoked|@cert-authority] host[,host…] keytype base64-key [comment]
 *
 * Hosts are patterns (`*`, `?`, negation with `!`), `[host]:port` for a port other than 22, or a
 * single hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (HashKnownHosts yes). The name
 * looked up is the configured `host` as written: like `ssh` with CheckHostIP off, no DNS is involved.
 * Lines the parser does not understand are skipped, as ssh does.
 */

export interface KnownHostEntry {
  readonly line: number;
  /** Tests the looked-up name against the entry's host patterns (compiled once). */
  readonly matches: (name: string) => boolean;
  /** `@cert-authority` lines are kept but never pin a key: the adapter does not do host certificates. */
  readonly marker: 'revoked' | 'cert-authority' | undefined;
  readonly hosts: string;
  /** The key type from inside the blob (it, not the text field, is what the server sends). */
  readonly keyType: string;
  readonly key: Buffer;
}

/** `SHA256:<base64, no padding>`, what `ssh-keygen -lf` and `ssh` print. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public key blob (a uint32 length, then the name). */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The name OpenSSH looks up: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [hosts, type, b64] = fields;
    if (!hosts || !type || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return;
    const key = Buffer.from(b64, 'base64');
    const keyType = keyTypeOf(key);
    if (keyType === undefined || keyType !== type) return;
    entries.push({ line: i + 1, matches: hostMatcher(hosts), marker, hosts, keyType, key });
  });
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** OpenSSH's rule: any negated pattern that matches excludes the entry; otherwise any positive match. */
export function hostMatcher(hosts: string): (name: string) => boolean {
  if (hosts.startsWith('|')) return (name) => hashedMatches(hosts, name);
  const patterns = hosts
    .split(',')
    .filter((p) => p !== '' && p !== '!')
    .map((raw) => ({ negated: raw.startsWith('!'), re: globToRegExp(raw.replace(/^!/, '')) }));
  return (name) => {
    let matched = false;
    for (const p of patterns) {
      if (!p.re.test(name)) continue;
      if (p.negated) return false;
      matched = true;
    }
    return matched;
  };
}

export function hostsMatch(hosts: string, name: string): boolean {
  return hostMatcher(hosts)(name);
}

export function entriesFor(entries: readonly KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  const name = knownHostsName(host, port);
  return entries.filter((e) => e.matches(name));
}
