import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { FLEET_KEY_PATH, FLEET_KNOWN_HOSTS_PATH, type SshFleet } from '../fakes/ssh/index.ts';
import { type BotProcess, startBotProcess } from './bot-process.ts';

/**
 * The bot as a process whose only node adapter is SSH to `fleet`: its key and pinned host keys
 * written to `dir` (as an operator would), with SQLite in `dir` too.
 */
export async function startBotOnSshFleet(dir: string, fleet: SshFleet): Promise<BotProcess> {
  const key = `${dir}/id_ed25519`;
  const knownHosts = `${dir}/known_hosts`;
  writeFileSync(key, await fleet.readFile(FLEET_KEY_PATH), { mode: 0o600 });
  writeFileSync(knownHosts, await fleet.readFile(FLEET_KNOWN_HOSTS_PATH));
  const adapter = { ...fleet.config(), privateKeyPath: key, knownHostsPath: knownHosts };
  writeFileSync(`${dir}/bot.yml`, stringify({ adapters: [adapter] }));
  return startBotProcess({ DATABASE_URL: `sqlite:${dir}/bot.db`, CONFIG_FILE: `${dir}/bot.yml` });
}
