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
    .refine((u) => u.startsWith('sqlite:') && u.length > 'sqlite:'.length, {
      message:
        'must be sqlite:<path> (for example sqlite:./data/incident-bot.db); PostgreSQL is not supported in this version yet',
    }),
  API_TOKEN: optionalSecret.refine((t) => t === undefined || t.length >= 16, {
    message: 'must be at least 16 characters (try: openssl rand -hex 32)',
  }),
  CONFIG_FILE: z.string().trim().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Shown in messages for people whose platform gives no time zone. */
  DISPLAY_TIMEZONE: z
    .string()
    .trim()
    .default('UTC')
    .refine(isTimeZone, { message: 'must be an IANA time zone such as UTC or Europe/Berlin' }),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  readonly mode: 'sandbox';
  /** Whether /api and the sandbox require API_TOKEN: whenever the server is reachable off this machine. */
  readonly requireToken: boolean;
  readonly sqlitePath: string;
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
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
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
const ECHO = new Set(['PORT', 'HOST', 'LOG_LEVEL', 'DISPLAY_TIMEZONE']);

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
  if (problems.length > 0 || !file || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    ...e,
    mode: 'sandbox',
    requireToken,
    sqlitePath: e.DATABASE_URL.slice('sqlite:'.length),
    file,
    configFilePath,
  };
}
