import { readFile as fsReadFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import ssh2 from 'ssh2';
import { sshConfigError } from './errors.ts';
import { type KnownHostEntry, parseKnownHosts } from './known-hosts.ts';
import type { SshAdapterOptions } from './options.ts';

export type ReadFile = (path: string) => Promise<Buffer | string>;

export interface LoadDeps {
  readonly readFile?: ReadFile | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly homeDir?: string | undefined;
}

export interface LoadedSecrets {
  /** Parsed (and decrypted) once: ssh2 would otherwise redo it, bcrypt KDF included, on every connect. */
  readonly privateKey: ssh2.ParsedKey;
  readonly knownHosts: readonly KnownHostEntry[];
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

/**
 * Reads the key and known_hosts at start-up, so a wrong path or passphrase stops the bot with a
 * line naming the key, rather than failing the first triage of an incident.
 */
export async function loadSecrets(options: SshAdapterOptions, deps: LoadDeps): Promise<LoadedSecrets> {
  const read = deps.readFile ?? fsReadFile;
  const home = deps.homeDir ?? homedir();
  const env = deps.env ?? process.env;
  const name = options.name;

  const keyPath = expandHome(options.privateKeyPath, home);
  let privateKey: Buffer;
  try {
    const raw = await read(keyPath);
    privateKey = typeof raw === 'string' ? Buffer.from(raw) : raw;
  } catch (err) {
    throw sshConfigError(
      name,
      `cannot read privateKeyPath ${keyPath}: ${(err as Error).message}`,
      'Point privateKeyPath at the private key whose public half is in the nodes’ authorized_keys.',
      err,
    );
  }

  let passphrase: string | undefined;
  if (options.passphraseEnv !== undefined) {
    passphrase = env[options.passphraseEnv];
    if (passphrase === undefined) {
      throw sshConfigError(
        name,
        `passphraseEnv names ${options.passphraseEnv}, which is not set.`,
        `Set ${options.passphraseEnv} to the key's passphrase, or drop passphraseEnv for a key without one.`,
      );
    }
  }
  const parsed = ssh2.utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error || !parsed.isPrivateKey()) {
    throw sshConfigError(
      name,
      `${keyPath} is not a usable private key${parsed instanceof Error ? ` (${parsed.message})` : ''}.`,
      passphrase === undefined
        ? 'Use an OpenSSH or PEM private key; if it is encrypted, set passphraseEnv.'
        : `Check the passphrase in ${options.passphraseEnv}.`,
    );
  }

  let knownHosts: KnownHostEntry[] = [];
  if (options.knownHostsPath !== undefined) {
    const path = expandHome(options.knownHostsPath, home);
    try {
      knownHosts = parseKnownHosts((await read(path)).toString());
    } catch (err) {
      throw sshConfigError(
        name,
        `cannot read knownHostsPath ${path}: ${(err as Error).message}`,
        'Create it with `ssh-keyscan -p <port> <host> >> known_hosts` for each node, after checking the fingerprints.',
        err,
      );
    }
  }
  return { privateKey: parsed, knownHosts };
}
