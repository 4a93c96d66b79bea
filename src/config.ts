import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, type FileConfig, loadFileConfig } from './config-file.ts';

export { ConfigError };

/**
 * One schema over the environment. Every problem is collected and reported together, each naming
 * its variable and what is expected; main.ts prints them and exits with status 2.
 */
const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const optionalSecret = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .trim()
    .default('sqlite:./data/incident-bot.db')
    // Never echoed: a postgres URL may carry a password.
    .refine((u) => (u.startsWith('sqlite:') && u.length > 'sqlite:'.length) || isPostgresUrl(u), {
      message:
        'must be sqlite:<path> (for example sqlite:./data/incident-bot.db) or postgres://user:password@host:5432/database',
    }),
  /**
   * The address people and alert senders use when a proxy is in front (https://bot.example.com):
   * its host is accepted in Host headers and as an Origin, and https makes the token cookie Secure.
   */
  PUBLIC_URL: z
    .url({
      protocol: /^https?$/,
      message: 'must be the address people use, such as https://incident-bot.example.com',
    })
    .refine(
      (u) => {
        // Not a URL at all is already reported by the check above.
        if (!URL.canParse(u)) return true;
        const url = new URL(u);
        return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
      },
      {
        message:
          'must be a scheme and host only, such as https://incident-bot.example.com (no path, query or user)',
      },
    )
    .transform((u) => new URL(u).origin)
    .optional(),
  API_TOKEN: optionalSecret.refine((t) => t === undefined || t.length >= 16, {
    message: 'must be at least 16 characters (try: openssl rand -hex 32)',
  }),
  /** Bearer token the alert webhooks require; without it they answer loopback callers only. */
  WEBHOOK_TOKEN: optionalSecret.refine((t) => t === undefined || t.length >= 16, {
    message: 'must be at least 16 characters (try: openssl rand -hex 32)',
  }),
  /** The post-mortem model: any OpenAI-compatible server. Without a key, drafts are deterministic. */
  OPENAI_API_KEY: optionalSecret,
  OPENAI_BASE_URL: z.url({ message: 'must be a URL such as https://api.openai.com/v1' }).optional(),
  LLM_MODEL: z.string().trim().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .min(1, 'must be at least 1')
    .max(600, 'must be at most 600')
    .default(60),
  CONFIG_FILE: z.string().trim().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_BOT_TOKEN: z
    .string()
    .trim()
    .regex(/^xoxb-/, 'must be a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)')
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .trim()
    .regex(/^xapp-/, 'must be an app-level token starting with xapp- (Basic Information → App-Level Tokens)')
    .optional(),
  SLACK_SIGNING_SECRET: z
    .string()
    .trim()
    .min(16, 'must be the signing secret from Basic Information')
    .optional(),
  SLACK_API_URL: z
    .url({ message: 'must be a URL such as https://slack.com/api/' })
    .transform((u) => (u.endsWith('/') ? u : `${u}/`))
    .optional(),
  /** Where new incidents are announced: a channel id (C…) or a #name. */
  SLACK_ANNOUNCE_CHANNEL: z
    .string()
    .trim()
    .regex(/^(#?[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,})$/, 'must be a channel id (C0123ABC) or a #channel-name')
    .optional(),
  /** Discord: the bot token turns it on; the server it works in; the REST base for proxies and tests. */
  DISCORD_TOKEN: z
    .string()
    .trim()
    .regex(
      /^[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}$/,
      'must be a bot token (Developer Portal → your application → Bot → Reset Token)',
    )
    .optional(),
  DISCORD_APPLICATION_ID: z
    .string()
    .trim()
    .regex(/^\d{15,21}$/, 'must be the Application ID from General Information (digits only)')
    .optional(),
  DISCORD_GUILD_ID: z
    .string()
    .trim()
    .regex(/^\d{15,21}$/, 'must be the server id (right-click the server → Copy Server ID; digits only)')
    .optional(),
  DISCORD_API_URL: z
    .url({ message: 'must be a URL such as https://discord.com/api' })
    // discord.js adds the version itself: https://discord.com/api/v10/… from https://discord.com/api.
    .transform((u) => u.replace(/\/+$/, '').replace(/\/v\d+$/, ''))
    .optional(),
  /** Run the local sandbox too. Default: only when no chat platform is configured. */
  SANDBOX: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((v) => ['true', '1', 'yes'].includes(v))
    .optional(),
  /**
   * This replica's name on the database's leases (PostgreSQL). Unique among running replicas and
   * the same after a restart (a StatefulSet pod's name): a restarted replica then takes back its
   * own unfinished work at once instead of after the leases run out. Default: a random name.
   */
  REPLICA_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores')
    .optional(),
  /** Shown in messages for people whose platform gives no time zone. */
  DISPLAY_TIMEZONE: z
    .string()
    .trim()
    .default('UTC')
    .refine(isTimeZone, { message: 'must be an IANA time zone such as UTC or Europe/Berlin' }),
});

export type Env = z.infer<typeof envSchema>;

export interface SlackConfig {
  /** Socket Mode with the app token (no public URL needed), or HTTP at /slack/events. */
  readonly mode: 'socket' | 'http';
  readonly botToken: string;
  readonly appToken: string | undefined;
  readonly signingSecret: string | undefined;
  readonly apiUrl: string | undefined;
  readonly announceChannel: string | undefined;
}

export type DatabaseTarget =
  | { readonly engine: 'sqlite'; readonly path: string }
  | { readonly engine: 'postgres'; readonly server: string };

/** postgres:// or postgresql:// that parses as a URL; the rest is left to the driver. */
function isPostgresUrl(u: string): boolean {
  return /^postgres(ql)?:\/\//i.test(u) && URL.canParse(u);
}

/** host:port/database of a postgres URL: no user, no password. */
function postgresServer(u: string): string {
  const url = new URL(u);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return `${url.hostname || 'localhost'}:${url.port || '5432'}${database ? `/${database}` : ''}`;
}

export interface DiscordConfig {
  readonly token: string;
  readonly guildId: string;
  readonly applicationId: string | undefined;
  readonly apiUrl: string | undefined;
}

export interface Config extends Env {
  readonly sandbox: boolean;
  readonly slack: SlackConfig | undefined;
  readonly discord: DiscordConfig | undefined;
  /**
   * Whether API_TOKEN must be set: whenever HOST is reachable off this machine. A token that is
   * set is enforced on every HOST (main.ts), loopback included.
   */
  readonly requireToken: boolean;
  /** Which database DATABASE_URL names, safe to log: the SQLite path, or PostgreSQL's host:port/database. */
  readonly database: DatabaseTarget;
  readonly file: FileConfig;
  readonly configFilePath: string | undefined;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function isLoopback(host: string): boolean {
  let h = host.replace(/^\[|\]$/g, '').toLowerCase();
  // An IPv4 peer on a dual-stack socket shows as ::ffff:127.0.0.1.
  if (h.startsWith('::ffff:')) h = h.slice('::ffff:'.length);
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Reads `.env` when present; variables already in the environment win, as with dotenv. */
export function readDotEnv(path = '.env'): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line
      .slice(0, eq)
      .trim()
      .replace(/^export\s+/, '');
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.indexOf(quote, 1) > 0) {
      value = value.slice(1, value.indexOf(quote, 1));
    } else {
      // As dotenv: an unquoted value ends at a ` #` comment.
      value = value.replace(/\s+#.*$/, '');
    }
    out[key] = value;
  }
  return out;
}

/** Values that may be echoed in an error; the others can hold secrets (a postgres URL has a password). */
const ECHO = new Set([
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'DISPLAY_TIMEZONE',
  'REPLICA_ID',
  'SLACK_API_URL',
  'SLACK_ANNOUNCE_CHANNEL',
  'DISCORD_APPLICATION_ID',
  'DISCORD_GUILD_ID',
  'DISCORD_API_URL',
  'SANDBOX',
  'LLM_MODEL',
  'LLM_TIMEOUT_SECONDS',
]);

export function loadConfig(rawEnv: Record<string, string | undefined>): Config {
  // An empty variable means "not set", as a copied .env.example leaves them.
  const env = Object.fromEntries(
    Object.entries(rawEnv).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '?');
      const got = ECHO.has(name) ? ` (got ${JSON.stringify(env[name] ?? '')})` : '';
      problems.push(`${name}: ${issue.message}${got}`);
    }
  }
  // Go on after a bad variable, so one run names every problem.
  const host = parsed.data?.HOST ?? env.HOST ?? '127.0.0.1';
  const requireToken = !isLoopback(host);
  if (requireToken && !env.API_TOKEN) {
    problems.push(
      `API_TOKEN: required because HOST=${host} is reachable from other machines; set a token of at least 16 characters, or HOST=127.0.0.1`,
    );
  }
  const configFilePath =
    env.CONFIG_FILE?.trim() ?? (existsSync('./incident-bot.yml') ? './incident-bot.yml' : undefined);
  let file: FileConfig | undefined;
  try {
    file = loadFileConfig(configFilePath);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  if (env.SLACK_BOT_TOKEN && !env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    problems.push(
      'SLACK_BOT_TOKEN: needs SLACK_APP_TOKEN (Socket Mode, the default) or SLACK_SIGNING_SECRET (HTTP mode at /slack/events)',
    );
  }
  for (const name of ['SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_ANNOUNCE_CHANNEL'] as const) {
    if (env[name] && !env.SLACK_BOT_TOKEN) problems.push(`${name}: set, but SLACK_BOT_TOKEN is missing`);
  }
  if (env.DISCORD_TOKEN && !env.DISCORD_GUILD_ID) {
    problems.push(
      'DISCORD_GUILD_ID: required with DISCORD_TOKEN: the server the bot works in (right-click it → Copy Server ID)',
    );
  }
  for (const name of ['DISCORD_GUILD_ID', 'DISCORD_APPLICATION_ID', 'DISCORD_API_URL'] as const) {
    if (env[name] && !env.DISCORD_TOKEN) problems.push(`${name}: set, but DISCORD_TOKEN is missing`);
  }
  // The sandbox's user switcher lets anyone who can open the page act as any sandbox user: a demo
  // for one machine, never an identity, so it runs only where nobody else can reach it.
  // Read on its own, so a bad variable elsewhere does not hide this problem.
  const sandboxSet = envSchema.shape.SANDBOX.safeParse(env.SANDBOX).data;
  const chatConfigured = Boolean(env.SLACK_BOT_TOKEN || env.DISCORD_TOKEN);
  if ((sandboxSet ?? !chatConfigured) && requireToken) {
    const why =
      sandboxSet === true ? `SANDBOX=${env.SANDBOX}` : 'by default, since no chat platform is configured';
    problems.push(
      `SANDBOX: the sandbox is on (${why}), but HOST=${host} is reachable from other machines and anyone who can open the sandbox can act as any of its users; set HOST=127.0.0.1, or SANDBOX=false`,
    );
  }
  if (problems.length > 0 || !file || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  const slack: SlackConfig | undefined = e.SLACK_BOT_TOKEN
    ? {
        mode: e.SLACK_APP_TOKEN ? 'socket' : 'http',
        botToken: e.SLACK_BOT_TOKEN,
        appToken: e.SLACK_APP_TOKEN,
        signingSecret: e.SLACK_SIGNING_SECRET,
        apiUrl: e.SLACK_API_URL,
        announceChannel: e.SLACK_ANNOUNCE_CHANNEL,
      }
    : undefined;
  const discord: DiscordConfig | undefined =
    e.DISCORD_TOKEN && e.DISCORD_GUILD_ID
      ? {
          token: e.DISCORD_TOKEN,
          guildId: e.DISCORD_GUILD_ID,
          applicationId: e.DISCORD_APPLICATION_ID,
          apiUrl: e.DISCORD_API_URL,
        }
      : undefined;
  return {
    ...e,
    // With a chat platform configured, the sandbox is off unless asked for.
    sandbox: e.SANDBOX ?? (slack === undefined && discord === undefined),
    slack,
    discord,
    requireToken,
    database: e.DATABASE_URL.startsWith('sqlite:')
      ? { engine: 'sqlite', path: e.DATABASE_URL.slice('sqlite:'.length) }
      : { engine: 'postgres', server: postgresServer(e.DATABASE_URL) },
    file,
    configFilePath,
  };
}

/**
 * Doors a proxy could open: a token left unset where the bot may be reached through one. Without
 * a token the bot refuses calls that carry a proxy's headers (Forwarded, X-Forwarded-For,
 * X-Real-IP), but a proxy that adds none makes every caller look like this machine. main.ts logs
 * each as a warning at start-up.
 */
export function proxyExposure(config: Config): { variable: string; because: string[]; message: string }[] {
  const viaProxy = [
    ...(config.slack?.mode === 'http'
      ? ['Slack HTTP mode is on (Slack reaches it through a TLS proxy)']
      : []),
    ...(config.PUBLIC_URL ? [`PUBLIC_URL=${config.PUBLIC_URL} is served through a proxy`] : []),
  ];
  const out: { variable: string; because: string[]; message: string }[] = [];
  const webhookReasons = [
    ...(config.requireToken ? [`HOST=${config.HOST} is reachable from other machines`] : []),
    ...viaProxy,
  ];
  if (!config.WEBHOOK_TOKEN && webhookReasons.length > 0) {
    out.push({
      variable: 'WEBHOOK_TOKEN',
      because: webhookReasons,
      message:
        'WEBHOOK_TOKEN is not set, but the bot can be reached through a proxy: the alert webhooks take only calls from this machine that carry no proxy header, and a proxy that adds none would let anyone post alerts. Set WEBHOOK_TOKEN (openssl rand -hex 32) and give it to the alert senders.',
    });
  }
  if (!config.API_TOKEN && viaProxy.length > 0) {
    out.push({
      variable: 'API_TOKEN',
      because: viaProxy,
      message:
        'API_TOKEN is not set, but the bot can be reached through a proxy: /api, /metrics and the sandbox refuse proxied calls, and a proxy that adds no Forwarded or X-Forwarded-For header would open them to anyone. Set API_TOKEN (openssl rand -hex 32).',
    });
  }
  return out;
}
