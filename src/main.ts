import { realpathSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { severityMapping } from './alerts/severity.ts';
import { createApp } from './app/create-app.ts';
import type { ChatPlatformDeps } from './chat/platform-module.ts';
import { CHAT_PLATFORMS } from './chat/platforms.ts';
import type { ChatPlatform } from './chat/port.ts';
import { type Config, ConfigError, loadConfig, proxyExposure, readDotEnv } from './config.ts';
import { BotError, type Clock, createRedactor, isBotError, systemClock } from './core/index.ts';
import { hostPolicy, isWildcard } from './http/access.ts';
import { registerApi } from './http/api.ts';
import { registerMetrics } from './http/metrics.ts';
import { Router } from './http/router.ts';
import { createHttpServer, listen } from './http/server.ts';
import { registerWebhooks } from './http/webhooks.ts';
import { createLogger, type Logger } from './logger.ts';
import { createNodeAdapter } from './nodes/adapters.ts';
import type { NodeAdapter } from './nodes/port.ts';
import { NodeRegistry } from './nodes/registry.ts';
import { createPostmortemService } from './postmortem/index.ts';
import { loadRunbooks, RunbookError } from './runbooks/loader.ts';
import { openStore } from './store/index.ts';

/** With several replicas, an action still running after this long is taken as interrupted. */
const INTERRUPTED_AFTER_MS = 15 * 60_000;

/** runbooks/ beside src/ and dist/, wherever the bot is started from. */
const SHIPPED_RUNBOOKS = fileURLToPath(new URL('../runbooks', import.meta.url));

export interface RunningBot {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The composition root: config → logger → store → adapters → start. The only place that chooses
 * concrete adapters; everything below receives its dependencies.
 */
export async function startBot(config: Config, deps: { logger: Logger; clock?: Clock }): Promise<RunningBot> {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  for (const { variable, because, message } of proxyExposure(config))
    logger.warn({ variable, because }, message);
  // One redactor for everything that leaves the bot (action output, logs, model errors, prompts):
  // the built-in rules plus this process's own secrets as literals, whatever their shape.
  const redact = createRedactor({ secrets: configuredSecrets(config, process.env) });
  // Before anything opens: a broken runbook stops start-up with every problem named.
  const runbooks = loadRunbooks(config.file.runbooks.dir ?? SHIPPED_RUNBOOKS);
  const opened = await openStore(config.DATABASE_URL, {
    // PostgreSQL: an idle pooled connection broke (server restart); the pool opens a new one.
    onBackgroundError: (err) => logger.warn({ err }, 'database connection lost; reconnecting on next use'),
  });
  const { store } = opened;
  // Adapters and platforms that keep tables of their own (the sandbox, the simulated fleet).
  const db = opened.db as unknown as Kysely<unknown>;
  const sqlite = config.DATABASE_URL.startsWith('sqlite:');

  const adapters: NodeAdapter[] = [];
  for (const entry of config.file.adapters ?? [{ type: 'simulated' as const, name: 'simulated' }]) {
    // Each module loads its adapter's code only now: most installs use one kind of fleet.
    adapters.push(await createNodeAdapter(entry, { clock, logger, env: process.env, db }));
  }
  const nodes = new NodeRegistry(adapters);
  // API-backed adapters learn their node names by listing; start that now, without waiting for it.
  void nodes.listNodesSettled().then(({ failures }) => {
    for (const f of failures)
      logger.warn({ adapter: f.adapter, err: f.error }, 'listing nodes failed at start-up');
  });

  // Each configured chat platform, built by its own module (which loads its code only now).
  const platforms = new Map<string, ChatPlatform>();
  const built: { module: (typeof CHAT_PLATFORMS)[number]; platform: ChatPlatform; settings: unknown }[] = [];
  for (const module of CHAT_PLATFORMS) {
    const settings = config.platforms[module.id];
    if (settings === undefined) continue;
    const platform = await (module.create as (s: unknown, d: ChatPlatformDeps) => Promise<ChatPlatform>)(
      settings,
      {
        logger,
        clock,
        file: config.file,
        db,
      },
    );
    platforms.set(module.id, platform);
    built.push({ module, platform, settings });
  }

  const postmortems = createPostmortemService(
    { store, clock, logger, redact },
    {
      ...(config.OPENAI_API_KEY ? { apiKey: config.OPENAI_API_KEY } : {}),
      ...(config.OPENAI_BASE_URL ? { baseUrl: config.OPENAI_BASE_URL } : {}),
      model: config.LLM_MODEL,
      timeoutMs: config.LLM_TIMEOUT_SECONDS * 1000,
      promptBudgetTokens: config.file.postmortem.promptBudgetTokens,
      excludePrivate: config.file.postmortem.excludePrivate,
      piiPatterns: config.file.postmortem.piiPatterns,
      displayTimeZone: config.DISPLAY_TIMEZONE,
    },
  );
  // Alert incidents open on the configured platform, else the first one configured (list order).
  const alertPlatform = config.file.alerts.platform ?? built[0]?.module.id ?? 'sandbox';
  const alertChat = platforms.get(alertPlatform);
  if (!alertChat) {
    await opened.close();
    throw new BotError(
      'bot.config.alert_platform',
      `alerts.platform is ${alertPlatform}, but ${alertPlatform} is not configured.`,
      {
        hint: `Configure ${alertPlatform}, or set alerts.platform to one of: ${[...platforms.keys()].join(', ')}.`,
      },
    );
  }
  const app = createApp(
    { store, clock, logger, platforms, nodes, runbooks, postmortems, alertChat, redact },
    {
      displayTimeZone: config.DISPLAY_TIMEZONE,
      responders: config.file.incidents.responders,
      archiveOnClose: config.file.incidents.archiveOnClose,
      policy: config.file.policy,
      escalation: config.file.escalation,
      reminders: config.file.reminders,
      postmortemOnResolve: config.file.postmortem.onResolve,
      hardware: config.file.hardware,
      bundles: config.file.bundles,
      publicUrl: config.PUBLIC_URL,
      // Whose leases (outbox, alert groups, timers) this process holds: `local` on SQLite (one
      // process), REPLICA_ID when set, else a random name per start.
      ...(sqlite
        ? { owner: { name: 'local', stable: true } }
        : config.REPLICA_ID
          ? { owner: { name: config.REPLICA_ID, stable: true } }
          : {}),
      alerts: {
        groupBy: config.file.alerts.groupBy,
        groupByLabels: config.file.alerts.groupByLabels,
        nodeLabels: config.file.alerts.nodeLabels,
        severity: severityMapping(config.file.severity),
        maxNewPerMinute: config.file.stormGuard.maxNewPerMinute,
        actorName: config.file.alerts.actorName,
      },
    },
  );

  const router = new Router();
  let started = false;
  registerApi(router, { store, ready: () => started });
  registerMetrics(router, { store });
  registerWebhooks(router, { alerts: app.alerts, token: config.WEBHOOK_TOKEN });
  // What the platforms serve on this server: Slack's HTTP mode, the sandbox page.
  for (const { module, platform, settings } of built) {
    await (module.mount as ((r: Router, p: ChatPlatform, s: unknown) => void | Promise<void>) | undefined)?.(
      router,
      platform,
      settings,
    );
  }
  // A configured API_TOKEN is enforced whatever HOST is: behind a proxy on this machine every
  // caller is loopback, so the address says nothing about who is calling.
  const server = createHttpServer({
    router,
    logger,
    apiToken: config.API_TOKEN,
    hosts: hostPolicy({
      host: config.HOST,
      publicUrl: config.PUBLIC_URL,
      // HOST=0.0.0.0 is every address of this machine: a probe or a proxy dialling one of them.
      localAddresses: isWildcard(config.HOST) ? machineAddresses() : [],
    }),
  });

  let url: string;
  try {
    // Listen first: in Slack's HTTP mode, requests may arrive as soon as the app connects.
    ({ url } = await listen(server, config.PORT, config.HOST));
    for (const platform of platforms.values()) {
      await platform.start(app.inbound(platform));
    }
  } catch (err) {
    server.close();
    for (const platform of platforms.values()) await platform.stop().catch(() => undefined);
    await opened.close();
    throw err;
  }
  // Actions a stopped process left approved or running. One process on SQLite: all of them now;
  // several replicas on PostgreSQL: only those older than any action runs (another may own it).
  await app.start({ recoverOlderThanMs: sqlite ? 0 : INTERRUPTED_AFTER_MS });
  started = true;
  logger.info(
    { url, platforms: [...platforms.keys()], database: config.database },
    platforms.has('sandbox') ? `incident-bot ready: open ${url}` : `incident-bot ready on ${url}`,
  );

  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.stop();
      for (const p of platforms.values()) await p.stop();
      for (const a of adapters) await a.close();
      await opened.close();
    },
  };
}

/**
 * The secrets this process holds, for the redactor to blank out as literals: a model server that
 * echoed a key in an error, or a node that printed a token, would otherwise put it in the channel.
 * Adapters name the variables they read secrets from (`tokenEnv`, `passphraseEnv`).
 */
export function configuredSecrets(config: Config, env: NodeJS.ProcessEnv): string[] {
  const secrets = [
    config.API_TOKEN,
    config.WEBHOOK_TOKEN,
    config.OPENAI_API_KEY,
    ...databasePassword(config.DATABASE_URL),
  ];
  // Each chat platform names the secrets its settings hold.
  for (const m of CHAT_PLATFORMS) {
    const settings = config.platforms[m.id];
    if (settings !== undefined) {
      secrets.push(...(m.secrets as (s: unknown) => readonly (string | undefined)[])(settings));
    }
  }
  for (const a of config.file.adapters ?? []) {
    const name = a.type === 'http' ? a.tokenEnv : a.type === 'ssh' ? a.passphraseEnv : undefined;
    if (name) secrets.push(env[name]);
  }
  return secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** A PostgreSQL URL's password, as written (percent-encoded) and as the server knows it. */
function databasePassword(url: string): string[] {
  if (url.startsWith('sqlite:')) return [];
  try {
    const raw = new URL(url).password;
    if (!raw) return [];
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // not percent-encoded after all
    }
    return [raw, decoded];
  } catch {
    return [];
  }
}

/** The addresses of this machine's interfaces (IP literals, which DNS rebinding cannot name). */
function machineAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

async function run(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig({ ...readDotEnv(), ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`incident-bot: ${err.message}\nSee .env.example and incident-bot.example.yml.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  // A promise some library dropped (discord.js throws inside its own gateway handlers on a packet
  // it cannot read) must not take the incident bot down mid-incident: log it and carry on. The
  // store is the record, and the outbox delivers whatever was decided.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'an unhandled promise rejection; the bot keeps running');
  });
  let bot: RunningBot;
  try {
    bot = await startBot(config, { logger });
  } catch (err) {
    if (err instanceof RunbookError) {
      process.stderr.write(`incident-bot: ${err.message}\nRun npm run runbooks:check after fixing them.\n`);
      process.exit(2);
    }
    if (isBotError(err)) {
      logger.fatal({ code: err.code, err: err.cause }, err.message);
      process.stderr.write(`incident-bot: ${err.message}${err.hint ? `\n${err.hint}` : ''}\n`);
    } else {
      logger.fatal({ err }, 'start-up failed');
    }
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    bot.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

const entry = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url)) {
  await run();
}
