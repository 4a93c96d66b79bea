/**
 * Registers the bot's slash commands with Discord, generated from commands/ (one top-level command
 * per group: /incident, /node, /workload, /runbook, with subcommands and typed options). Run it
 * once after creating the application, and again after adding or changing a command:
 *   npm run discord:register
 * With DISCORD_GUILD_ID the commands are registered in that server and usable at once.
 */
import { pathToFileURL } from 'node:url';
import { REST, Routes } from 'discord.js';
import { commands } from '../commands/index.ts';
import { buildDiscordCommands, inviteUrl } from '../src/chat/discord/index.ts';
import type { CommandDefinition } from '../src/commands/define.ts';
import { ConfigError, loadConfig, readDotEnv } from '../src/config.ts';

export interface RegisterOptions {
  readonly token: string;
  readonly guildId?: string | undefined;
  readonly applicationId?: string | undefined;
  /** REST base without the version (default https://discord.com/api). */
  readonly apiUrl?: string | undefined;
}

export interface Registered {
  readonly applicationId: string;
  readonly names: string[];
  readonly inviteUrl: string;
}

/** PUT replaces the whole set, so a command removed from commands/ disappears from Discord too. */
export async function registerCommands(
  options: RegisterOptions,
  defs: readonly CommandDefinition[] = commands,
): Promise<Registered> {
  const rest = new REST({ ...(options.apiUrl ? { api: options.apiUrl } : {}), timeout: 15_000 }).setToken(
    options.token,
  );
  const applicationId =
    options.applicationId ?? ((await rest.get(Routes.currentApplication())) as { id: string }).id;
  const body = buildDiscordCommands(defs);
  const route = options.guildId
    ? Routes.applicationGuildCommands(applicationId, options.guildId)
    : Routes.applicationCommands(applicationId);
  const saved = (await rest.put(route, { body })) as { name: string }[];
  return {
    applicationId,
    names: saved.map((c) => c.name),
    inviteUrl: inviteUrl(applicationId, options.guildId),
  };
}

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ ...readDotEnv(), ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`discord:register: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (!config.platforms.discord) {
    process.stderr.write(
      'discord:register: set DISCORD_TOKEN and DISCORD_GUILD_ID first (see README "Discord").\n',
    );
    process.exit(2);
  }
  try {
    const done = await registerCommands(config.platforms.discord);
    console.log(
      `Registered ${done.names.map((n) => `/${n}`).join(', ')} in server ${config.platforms.discord.guildId}.`,
    );
    console.log(`Invite the bot (if it is not in the server yet): ${done.inviteUrl}`);
  } catch (err) {
    process.stderr.write(`discord:register: Discord refused the commands: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
