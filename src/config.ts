import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { CHAT_PLATFORMS } from './chat/platforms.ts';
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

const baseEnv = {
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
};

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
/** Every chat platform's variables (src/chat/platforms.ts), beside the bot's own. */
const platformEnv = Object.assign({}, ...CHAT_PLATFORMS.map((m) => m.env)) as UnionToIntersection<
  (typeof CHAT_PLATFORMS)[number]['env']
>;

const envSchema = z.object({ ...baseEnv, ...platformEnv });

export type Env = z.infer<typeof envSchema>;

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

/** Each configured chat platform's settings, by its id (the ones that are off are absent). */
export type PlatformSettings = {
  readonly [M in (typeof CHAT_PLATFORMS)[number] as M['id']]?: NonNullable<ReturnType<M['settings']>>;
};

export interface Config extends Env {
  readonly platforms: PlatformSettings;
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
  ...CHAT_PLATFORMS.flatMap((m): readonly string[] => m.echo),
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
  for (const m of CHAT_PLATFORMS) problems.push(...m.problems(env));
  // The sandbox's user switcher lets anyone who can open the page act as any sandbox user: a demo
  // for one machine, never an identity, so it runs only where nobody else can reach it.
  // Read on its own, so a bad variable elsewhere does not hide this problem.
  const sandboxSet = envSchema.shape.SANDBOX.safeParse(env.SANDBOX).data;
  const chatConfigured = CHAT_PLATFORMS.some((m) => m.configured(env));
  if ((sandboxSet ?? !chatConfigured) && requireToken) {
    const why =
      sandboxSet === true ? `SANDBOX=${env.SANDBOX}` : 'by default, since no chat platform is configured';
    problems.push(
      `SANDBOX: the sandbox is on (${why}), but HOST=${host} is reachable from other machines and anyone who can open the sandbox can act as any of its users; set HOST=127.0.0.1, or SANDBOX=false`,
    );
  }
  if (problems.length > 0 || !file || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  const platforms: Record<string, unknown> = {};
  for (const m of CHAT_PLATFORMS) {
    const others = CHAT_PLATFORMS.some((o) => o !== m && o.configured(env));
    const settings = (m.settings as (env: Env, c: { othersConfigured: boolean }) => unknown)(e, {
      othersConfigured: others,
    });
    if (settings !== undefined) platforms[m.id] = settings;
  }
  return {
    ...e,
    // With a chat platform configured, the sandbox is off unless asked for (its module says so).
    platforms: platforms as PlatformSettings,
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
    ...(config.platforms.slack?.mode === 'http'
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
