import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, isLoopback, loadConfig, proxyExposure, readDotEnv } from '../../src/config.ts';
import { loadFileConfig, parseFileConfig } from '../../src/config-file.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'incident-bot-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileSeq = 0;
function tempFile(name: string, text: string): string {
  const path = join(dir, `${++fileSeq}-${name}`);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError a call throws; fails the test when it throws nothing or something else. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

const TOKEN = '0123456789abcdef0123'; // 20 characters

const DEFAULT_FILE = {
  policy: { approvers: [], requesters: [], twoPersonSeverities: ['SEV1', 'SEV2'], expiryMinutes: 10 },
  sandbox: {
    users: [
      { id: 'alice', name: 'Alice (SRE)', groups: ['sre'] },
      { id: 'bob', name: 'Bob (SRE)', groups: ['sre'] },
      { id: 'carol', name: 'Carol (ML platform)', groups: ['ml-platform'] },
      { id: 'dave', name: 'Dave (support)', groups: ['support'] },
    ],
  },
  escalation: { onCall: [], afterFailures: 2 },
  incidents: { responders: [], archiveOnClose: true },
  alerts: {
    groupBy: ['alertname', 'cluster', 'node'],
    groupByLabels: false,
    nodeLabels: ['node', 'instance', 'host', 'hostname', 'Hostname'],
    actorName: 'Alertmanager',
  },
  severity: { labelKeys: ['severity', 'priority'], values: {}, fallback: 'SEV3' },
  stormGuard: { maxNewPerMinute: 5 },
  reminders: {
    enabled: true,
    update: { SEV1: 15, SEV2: 30, SEV3: 60, SEV4: null },
    commanderAfterMinutes: 5,
    actionNudgeAfterMinutes: 10,
    sweepSeconds: 15,
  },
  postmortem: { onResolve: true, excludePrivate: true, piiPatterns: [], promptBudgetTokens: 12_000 },
  hardware: {
    memoryDays: 7,
    rma: { fatalXidCount: 5, fatalXidHours: 24, nodeRemediations: 5, nodeRemediationDays: 7 },
  },
  bundles: { cooldownMinutes: 15, timeoutMinutes: 10 },
  runbooks: {},
  discord: { category: 'Incidents', archiveCategory: 'Incidents Archive' },
};

describe('loadConfig: defaults', () => {
  it('runs the sandbox on 127.0.0.1:3000 with the default SQLite file when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite:./data/incident-bot.db',
      API_TOKEN: undefined,
      WEBHOOK_TOKEN: undefined,
      OPENAI_API_KEY: undefined,
      OPENAI_BASE_URL: undefined,
      LLM_MODEL: 'gpt-4o-mini',
      LLM_TIMEOUT_SECONDS: 60,
      CONFIG_FILE: undefined,
      LOG_LEVEL: 'info',
      DISPLAY_TIMEZONE: 'UTC',
      DISCORD_TOKEN: undefined,
      DISCORD_APPLICATION_ID: undefined,
      DISCORD_GUILD_ID: undefined,
      DISCORD_API_URL: undefined,
      // Only the sandbox: no chat platform is configured.
      platforms: { sandbox: { on: true } },
      requireToken: false,
      database: { engine: 'sqlite', path: './data/incident-bot.db' },
      file: DEFAULT_FILE,
      configFilePath: undefined,
    });
  });

  it('takes valid values as given', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: 'localhost',
      DATABASE_URL: 'sqlite:/var/lib/bot/bot.db',
      LOG_LEVEL: 'debug',
      DISPLAY_TIMEZONE: 'Europe/Berlin',
    });
    expect(config.PORT).toBe(8080);
    expect(config.HOST).toBe('localhost');
    expect(config.database).toEqual({ engine: 'sqlite', path: '/var/lib/bot/bot.db' });
    expect(config.LOG_LEVEL).toBe('debug');
    expect(config.DISPLAY_TIMEZONE).toBe('Europe/Berlin');
    expect(config.requireToken).toBe(false);
  });

  it('takes a REPLICA_ID of letters, digits, dots, dashes and underscores, and names a bad one', () => {
    expect(loadConfig({ REPLICA_ID: 'incident-bot-0' }).REPLICA_ID).toBe('incident-bot-0');
    expect(loadConfig({}).REPLICA_ID).toBeUndefined();
    const err = configError(() => loadConfig({ REPLICA_ID: 'pod 0; rm -rf' }));
    expect(err.message).toContain('REPLICA_ID');
    expect(err.message).toContain('letters, digits, dots, dashes or underscores');
  });

  it('accepts PORT 0 (any free port) and 65535', () => {
    expect(loadConfig({ PORT: '0' }).PORT).toBe(0);
    expect(loadConfig({ PORT: '65535' }).PORT).toBe(65535);
  });

  it('supports sqlite::memory:', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database).toEqual({
      engine: 'sqlite',
      path: ':memory:',
    });
  });

  it('treats an empty API_TOKEN (as in .env.example) as unset', () => {
    expect(loadConfig({ API_TOKEN: '' }).API_TOKEN).toBeUndefined();
    expect(loadConfig({ API_TOKEN: '   ' }).API_TOKEN).toBeUndefined();
  });

  // Regression: `.env.example` has `CONFIG_FILE=` (empty); copying it to `.env` must not break start-up.
  it('treats an empty CONFIG_FILE as unset', () => {
    const config = loadConfig({ CONFIG_FILE: '' });
    expect(config.configFilePath).toBeUndefined();
    expect(config.file).toEqual(DEFAULT_FILE);
  });

  // Regression: the documented workflow "copy .env.example to .env" fails with `CONFIG_FILE:  does not exist`.
  it('starts with .env.example copied verbatim as the environment', () => {
    const env = readDotEnv(join(ROOT, '.env.example'));
    expect(env).toMatchObject({ PORT: '3000', HOST: '127.0.0.1', API_TOKEN: '', CONFIG_FILE: '' });
    const config = loadConfig(env);
    expect(config.PORT).toBe(3000);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.requireToken).toBe(false);
  });

  // Regression: an empty PORT (`PORT=` in .env) is coerced to 0, so the bot silently binds a random port.
  it('does not turn an empty PORT into port 0', () => {
    let port: number | undefined;
    try {
      port = loadConfig({ PORT: '' }).PORT;
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems[0]).toMatch(/^PORT: /);
      return;
    }
    expect(port).toBe(3000);
  });
});

describe('loadConfig: every problem named', () => {
  it('names PORT and LOG_LEVEL together in one error', () => {
    const err = configError(() => loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' }));
    expect(err.problems).toHaveLength(2);
    expect(err.problems[0]).toBe('PORT: must be a number (got "abc")');
    expect(err.problems[1]).toMatch(/^LOG_LEVEL: /);
    expect(err.problems[1]).toContain('"info"');
    expect(err.problems[1]).toContain('(got "loud")');
    expect(err.message).toBe(`Invalid configuration:\n  - ${err.problems[0]}\n  - ${err.problems[1]}`);
    expect(err.name).toBe('ConfigError');
  });

  it.each([
    ['70000', 'PORT: must be between 0 and 65535 (got "70000")'],
    ['-1', 'PORT: must be between 0 and 65535 (got "-1")'],
    ['1.5', 'PORT: must be a whole number (got "1.5")'],
    ['abc', 'PORT: must be a number (got "abc")'],
  ])('refuses PORT=%s', (value, problem) => {
    expect(configError(() => loadConfig({ PORT: value })).problems).toEqual([problem]);
  });

  it('reads an empty HOST as unset, as a copied .env.example leaves it', () => {
    expect(loadConfig({ HOST: '  ' }).HOST).toBe('127.0.0.1');
  });

  it('names every bad variable among several', () => {
    const err = configError(() =>
      loadConfig({
        PORT: '99999',
        LOG_LEVEL: 'loud',
        DISPLAY_TIMEZONE: 'Mars/Olympus',
        DATABASE_URL: 'mysql://x',
      }),
    );
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'DISPLAY_TIMEZONE',
      'LOG_LEVEL',
      'PORT',
    ]);
  });

  // Regression: the environment schema throws before the HOST/API_TOKEN and CONFIG_FILE checks run,
  // so a second problem is only revealed after fixing the first.
  it('reports a bad PORT and a missing CONFIG_FILE together', () => {
    const missing = join(dir, 'no-such.yml');
    const err = configError(() => loadConfig({ PORT: 'abc', CONFIG_FILE: missing }));
    expect(err.problems).toEqual([
      'PORT: must be a number (got "abc")',
      `CONFIG_FILE: ${missing} does not exist`,
    ]);
  });

  it('reports a bad PORT and a missing API_TOKEN on a public HOST together', () => {
    const err = configError(() => loadConfig({ PORT: 'abc', HOST: '0.0.0.0', SANDBOX: 'false' }));
    expect(err.problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'API_TOKEN']);
  });
});

describe('loadConfig: the sandbox only on loopback', () => {
  // Anyone who can open the sandbox acts as any of its users: a demo on one machine, not an identity.
  it.each(['0.0.0.0', '::', '10.0.0.5', 'bot.example.com'])(
    'refuses the default sandbox (no chat platform) on HOST=%s, naming SANDBOX and HOST=127.0.0.1',
    (host) => {
      const err = configError(() => loadConfig({ HOST: host, API_TOKEN: TOKEN }));
      expect(err.problems).toEqual([
        `SANDBOX: the sandbox is on (by default, since no chat platform is configured), but HOST=${host} is reachable from other machines and anyone who can open the sandbox can act as any of its users; set HOST=127.0.0.1, or SANDBOX=false`,
      ]);
    },
  );

  it('refuses SANDBOX=true beside Slack on a public HOST', () => {
    const err = configError(() =>
      loadConfig({
        HOST: '0.0.0.0',
        API_TOKEN: TOKEN,
        SANDBOX: 'true',
        SLACK_BOT_TOKEN: 'xoxb-1-2',
        SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
      }),
    );
    expect(err.problems).toEqual([
      'SANDBOX: the sandbox is on (SANDBOX=true), but HOST=0.0.0.0 is reachable from other machines and anyone who can open the sandbox can act as any of its users; set HOST=127.0.0.1, or SANDBOX=false',
    ]);
  });

  it('lets a public HOST run with SANDBOX=false, or with a chat platform and no sandbox', () => {
    expect(
      loadConfig({ HOST: '0.0.0.0', API_TOKEN: TOKEN, SANDBOX: 'false' }).platforms.sandbox,
    ).toBeUndefined();
    const slack = loadConfig({
      HOST: '0.0.0.0',
      API_TOKEN: TOKEN,
      SLACK_BOT_TOKEN: 'xoxb-1-2',
      SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
    });
    expect(slack.platforms.sandbox).toBeUndefined();
    expect(loadConfig({ HOST: '127.0.0.1', SANDBOX: 'true' }).platforms.sandbox).toBeDefined();
  });
});

describe('loadConfig: PUBLIC_URL', () => {
  it.each([
    ['https://incidents.example.com', 'https://incidents.example.com'],
    ['https://Incidents.Example.com/', 'https://incidents.example.com'],
    ['https://incidents.example.com:8443', 'https://incidents.example.com:8443'],
    ['http://bot.internal:3000', 'http://bot.internal:3000'],
  ])('takes %s as the origin %s', (value, origin) => {
    expect(loadConfig({ PUBLIC_URL: value }).PUBLIC_URL).toBe(origin);
  });

  it('is unset by default', () => {
    expect(loadConfig({}).PUBLIC_URL).toBeUndefined();
  });

  it.each([
    'incidents.example.com',
    'ftp://incidents.example.com',
    'https://incidents.example.com/bot',
    'https://incidents.example.com/?a=1',
    'https://user:secret@incidents.example.com',
  ])('refuses %s, naming PUBLIC_URL and what it must be', (value) => {
    const [problem] = configError(() => loadConfig({ PUBLIC_URL: value })).problems;
    expect(problem).toMatch(/^PUBLIC_URL: must be /);
    expect(problem).toContain('https://incident-bot.example.com');
    // It may hold a password: never echoed.
    expect(problem).not.toContain('secret');
  });
});

describe('proxyExposure: tokens a proxy in front would need', () => {
  const SLACK_HTTP = { SLACK_BOT_TOKEN: 'xoxb-1-2', SLACK_SIGNING_SECRET: 'signing-secret-0123456789' };
  const names = (env: Record<string, string>) => proxyExposure(loadConfig(env)).map((w) => w.variable);

  it('names nothing on a plain loopback bot, or when both tokens are set', () => {
    expect(names({})).toEqual([]);
    expect(
      names({ ...SLACK_HTTP, PUBLIC_URL: 'https://x.example', API_TOKEN: TOKEN, WEBHOOK_TOKEN: TOKEN }),
    ).toEqual([]);
  });

  it('names WEBHOOK_TOKEN on a public HOST (API_TOKEN is required there already)', () => {
    const [w] = proxyExposure(loadConfig({ HOST: '0.0.0.0', API_TOKEN: TOKEN, SANDBOX: 'false' }));
    expect(w).toMatchObject({
      variable: 'WEBHOOK_TOKEN',
      because: ['HOST=0.0.0.0 is reachable from other machines'],
    });
  });

  it('names both in Slack HTTP mode, which needs a TLS proxy, and with PUBLIC_URL', () => {
    expect(names(SLACK_HTTP)).toEqual(['WEBHOOK_TOKEN', 'API_TOKEN']);
    expect(names({ PUBLIC_URL: 'https://x.example' })).toEqual(['WEBHOOK_TOKEN', 'API_TOKEN']);
    expect(names({ PUBLIC_URL: 'https://x.example', API_TOKEN: TOKEN })).toEqual(['WEBHOOK_TOKEN']);
    expect(names({ ...SLACK_HTTP, WEBHOOK_TOKEN: TOKEN })).toEqual(['API_TOKEN']);
  });
});

describe('loadConfig: WEBHOOK_TOKEN', () => {
  it('takes a token of 16 characters or more and refuses a short one without echoing it', () => {
    expect(loadConfig({ WEBHOOK_TOKEN: TOKEN }).WEBHOOK_TOKEN).toBe(TOKEN);
    const problems = configError(() => loadConfig({ WEBHOOK_TOKEN: 'short-secret' })).problems;
    expect(problems).toEqual(['WEBHOOK_TOKEN: must be at least 16 characters (try: openssl rand -hex 32)']);
  });
});

describe('loadConfig: the post-mortem model', () => {
  it('takes a key, a base URL, a model and a timeout, and never echoes the key', () => {
    const config = loadConfig({
      OPENAI_API_KEY: 'sk-test-0123456789',
      OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1',
      LLM_MODEL: 'llama-3.1-70b',
      LLM_TIMEOUT_SECONDS: '30',
    });
    expect(config).toMatchObject({
      OPENAI_API_KEY: 'sk-test-0123456789',
      OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1',
      LLM_MODEL: 'llama-3.1-70b',
      LLM_TIMEOUT_SECONDS: 30,
    });
    const problems = configError(() =>
      loadConfig({ OPENAI_BASE_URL: 'not a url', LLM_TIMEOUT_SECONDS: '0' }),
    ).problems;
    expect(problems).toEqual([
      'OPENAI_BASE_URL: must be a URL such as https://api.openai.com/v1',
      'LLM_TIMEOUT_SECONDS: must be at least 1 (got "0")',
    ]);
  });
});

describe('config file: alerts, severity, stormGuard', () => {
  it('adds severity values to the defaults and names a bad one with its line', () => {
    const file = parseFileConfig(
      'severity:\n  values: { critical: SEV1 }\nstormGuard: { maxNewPerMinute: 2 }\n',
      'bot.yml',
    );
    expect(file.severity.values).toEqual({ critical: 'SEV1' });
    expect(file.stormGuard.maxNewPerMinute).toBe(2);
    const err = configError(() => parseFileConfig('severity:\n  values:\n    critical: SEV0\n', 'bot.yml'));
    expect(err.problems).toEqual([expect.stringMatching(/^bot\.yml:3: severity\.values\.critical: /)]);
    const bad = configError(() => parseFileConfig('alerts:\n  nodeLabels: ["node name"]\n', 'bot.yml'));
    expect(bad.problems[0]).toMatch(/^bot\.yml:2: alerts\.nodeLabels\.0: must be a Prometheus label name/);
  });
});

describe('loadConfig: API_TOKEN and HOST', () => {
  it('requires API_TOKEN when HOST=0.0.0.0', () => {
    expect(configError(() => loadConfig({ HOST: '0.0.0.0', SANDBOX: 'false' })).problems).toEqual([
      'API_TOKEN: required because HOST=0.0.0.0 is reachable from other machines; set a token of at least 16 characters, or HOST=127.0.0.1',
    ]);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', 'bot.example.com'])(
    'requires a token on HOST=%s and sets requireToken',
    (host) => {
      expect(configError(() => loadConfig({ HOST: host })).problems[0]).toMatch(
        new RegExp(`^API_TOKEN: required because HOST=${host.replace(/\./g, '\\.')} `),
      );
      // The sandbox never runs on a public HOST (see "the sandbox only on loopback").
      const config = loadConfig({ HOST: host, API_TOKEN: TOKEN, SANDBOX: 'false' });
      expect(config.requireToken).toBe(true);
      expect(config.API_TOKEN).toBe(TOKEN);
    },
  );

  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST'])(
    'needs no token on loopback HOST=%s',
    (host) => {
      const config = loadConfig({ HOST: host });
      expect(config.requireToken).toBe(false);
      expect(config.API_TOKEN).toBeUndefined();
    },
  );

  it('isLoopback', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('[::1]')).toBe(true);
    expect(isLoopback('Localhost')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('127.example.com')).toBe(false);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('refuses an API_TOKEN shorter than 16 characters, accepts 16', () => {
    const err = configError(() => loadConfig({ API_TOKEN: '123456789012345' }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(
      /^API_TOKEN: must be at least 16 characters \(try: openssl rand -hex 32\)/,
    );
    expect(loadConfig({ API_TOKEN: '1234567890123456' }).API_TOKEN).toBe('1234567890123456');
  });

  it('trims API_TOKEN', () => {
    expect(loadConfig({ API_TOKEN: `  ${TOKEN}\t` }).API_TOKEN).toBe(TOKEN);
  });

  // Regression: the problem line echoes the rejected value (`(got "…")`), printing a secret to stderr
  // (the bot never logs or sends a secret).
  it('does not echo a rejected API_TOKEN in the error', () => {
    const err = configError(() => loadConfig({ API_TOKEN: 'my-secret-tok' }));
    expect(err.problems[0]).toMatch(/^API_TOKEN: /);
    expect(err.message).not.toContain('my-secret-tok');
  });

  it('does not echo a database password in the error', () => {
    const err = configError(() =>
      loadConfig({ DATABASE_URL: 'postgres://bot:hunter2@[db.internal/incidents' }),
    );
    expect(err.problems[0]).toMatch(/^DATABASE_URL: /);
    expect(err.message).not.toContain('hunter2');
  });
});

describe('loadConfig: DATABASE_URL and DISPLAY_TIMEZONE', () => {
  it.each([
    ['postgres://bot:hunter2@db.internal/incidents', 'db.internal:5432/incidents'],
    ['postgresql://bot@db.internal:6432/incidents?sslmode=require', 'db.internal:6432/incidents'],
    ['postgres://127.0.0.1/test?options=-c%20search_path%3Dbot', '127.0.0.1:5432/test'],
  ])('accepts DATABASE_URL=%s, naming the server without the password', (url, server) => {
    const config = loadConfig({ DATABASE_URL: url });
    expect(config.DATABASE_URL).toBe(url);
    expect(config.database).toEqual({ engine: 'postgres', server });
    expect(JSON.stringify(config.database)).not.toContain('hunter2');
  });

  it('refuses a postgres URL that does not parse, with a clear message and no password', () => {
    const err = configError(() => loadConfig({ DATABASE_URL: 'postgres://bot:hunter2@[db/incidents' }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toBe(
      'DATABASE_URL: must be sqlite:<path> (for example sqlite:./data/incident-bot.db) or postgres://user:password@host:5432/database',
    );
    expect(err.message).not.toContain('hunter2');
  });

  it.each(['sqlite:', './data/bot.db', 'file:./bot.db', 'postgres:db.internal', 'mysql://db/x'])(
    'refuses DATABASE_URL=%j',
    (url) => {
      expect(configError(() => loadConfig({ DATABASE_URL: url })).problems[0]).toMatch(
        /^DATABASE_URL: must be sqlite:<path>/,
      );
    },
  );

  it.each(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'])(
    'accepts DISPLAY_TIMEZONE=%s',
    (tz) => {
      expect(loadConfig({ DISPLAY_TIMEZONE: tz }).DISPLAY_TIMEZONE).toBe(tz);
    },
  );

  it.each(['Mars/Olympus', 'Europe/Berlinn', 'GMT+25'])('refuses DISPLAY_TIMEZONE=%s', (tz) => {
    expect(configError(() => loadConfig({ DISPLAY_TIMEZONE: tz })).problems).toEqual([
      `DISPLAY_TIMEZONE: must be an IANA time zone such as UTC or Europe/Berlin (got "${tz}")`,
    ]);
  });
});

describe('loadConfig: CONFIG_FILE', () => {
  it('loads the YAML file named by CONFIG_FILE', () => {
    const path = tempFile('bot.yml', 'policy:\n  approvers: ["@sre"]\n  expiryMinutes: 5\n');
    const config = loadConfig({ CONFIG_FILE: path });
    expect(config.configFilePath).toBe(path);
    expect(config.file.policy).toEqual({
      approvers: ['@sre'],
      requesters: [],
      twoPersonSeverities: ['SEV1', 'SEV2'],
      expiryMinutes: 5,
    });
  });

  it('names a missing CONFIG_FILE', () => {
    const missing = join(dir, 'missing.yml');
    expect(configError(() => loadConfig({ CONFIG_FILE: missing })).problems).toEqual([
      `CONFIG_FILE: ${missing} does not exist`,
    ]);
  });

  it('reports file errors with the file, line and key path', () => {
    const path = tempFile('bad.yml', 'policy:\n  expiryMinutes: 0\n');
    expect(configError(() => loadConfig({ CONFIG_FILE: path })).problems).toEqual([
      `${path}:2: policy.expiryMinutes: must be at least 0.05 (three seconds)`,
    ]);
  });

  it('reports a missing API_TOKEN and a bad file together', () => {
    const path = tempFile('bad.yml', 'policy:\n  expiryMinutes: 0\n');
    const err = configError(() => loadConfig({ HOST: '0.0.0.0', SANDBOX: 'false', CONFIG_FILE: path }));
    expect(err.problems.map((p) => p.split(':')[0])).toEqual(['API_TOKEN', path]);
  });
});

describe('readDotEnv', () => {
  it('returns {} when the file does not exist', () => {
    expect(readDotEnv(join(dir, 'nope.env'))).toEqual({});
  });

  it('reads comments, quotes, export prefixes, blanks and CRLF', () => {
    const path = tempFile(
      '.env',
      [
        '# a comment',
        '   # an indented comment',
        '',
        'PORT=4000',
        'export HOST=0.0.0.0',
        'API_TOKEN="quoted value with spaces"',
        "LOG_LEVEL='debug'",
        'EMPTY=',
        'EMPTY_QUOTES=""',
        'WITH_EQUALS=a=b=c',
        '  SPACED  =  padded value  ',
        'HASH="a # not a comment"',
        'no equals sign here',
        '=no-key',
        'WINDOWS=crlf\r',
        'LAST=1',
      ].join('\n'),
    );
    expect(readDotEnv(path)).toEqual({
      PORT: '4000',
      HOST: '0.0.0.0',
      API_TOKEN: 'quoted value with spaces',
      LOG_LEVEL: 'debug',
      EMPTY: '',
      EMPTY_QUOTES: '',
      WITH_EQUALS: 'a=b=c',
      SPACED: 'padded value',
      HASH: 'a # not a comment',
      WINDOWS: 'crlf',
      LAST: '1',
    });
  });

  it('keeps unclosed quotes as they are', () => {
    const path = tempFile('.env', `A="open\nB='mixed"\nC="x"y\n`);
    // A closed quote ends the value, as dotenv reads it.
    expect(readDotEnv(path)).toEqual({ A: '"open', B: `'mixed"`, C: 'x' });
  });

  it('feeds loadConfig', () => {
    const path = tempFile('.env', `export PORT=4001\nHOST="0.0.0.0"\nAPI_TOKEN='${TOKEN}'\nSANDBOX=false\n`);
    const config = loadConfig(readDotEnv(path));
    expect(config.PORT).toBe(4001);
    expect(config.requireToken).toBe(true);
    expect(config.API_TOKEN).toBe(TOKEN);
  });
});

describe('parseFileConfig / loadFileConfig', () => {
  it('gives the defaults for an empty file, a comment-only file and no file', () => {
    expect(parseFileConfig('', 'bot.yml')).toEqual(DEFAULT_FILE);
    expect(parseFileConfig('# nothing here\n', 'bot.yml')).toEqual(DEFAULT_FILE);
    expect(loadFileConfig(undefined)).toEqual(DEFAULT_FILE);
  });

  it('parses incident-bot.example.yml to exactly the defaults plus the simulated adapter', () => {
    const text = readFileSync(join(ROOT, 'incident-bot.example.yml'), 'utf8');
    expect(parseFileConfig(text, 'incident-bot.example.yml')).toEqual({
      ...DEFAULT_FILE,
      adapters: [{ type: 'simulated', name: 'simulated' }],
    });
  });

  it('names a missing file', () => {
    const missing = join(dir, 'absent', 'bot.yml');
    const err = configError(() => loadFileConfig(missing));
    expect(err.problems).toEqual([`CONFIG_FILE: ${missing} does not exist`]);
  });

  it('reads a file from disk and reports its path', () => {
    const path = tempFile('typo.yml', 'polcy:\n  approvers: []\n');
    const err = configError(() => loadFileConfig(path));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.slice(0, path.length + 4)).toBe(`${path}:1: `);
    expect(err.problems[0]).toContain('polcy');
  });

  it('reports an unknown top-level key (a typo) with its line', () => {
    const err = configError(() => parseFileConfig('polcy:\n  approvers: []\n', 'bot.yml'));
    expect(err.problems).toEqual(['bot.yml:1: polcy: unknown key (check the spelling)']);
  });

  // Regression: an unknown key is reported at the line where its parent map starts (line 3), not its own.
  it('points an unknown top-level key at its own line', () => {
    const err = configError(() => parseFileConfig('# comment\n\nincidents: {}\npolcy: {}\n', 'bot.yml'));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^bot\.yml:4: /);
    expect(err.problems[0]).toContain('polcy');
  });

  // Regression: reported as `bot.yml:2: policy: Unrecognized key: "twoPerson"` (line of `approvers`, and
  // the key path stops at the parent).
  it('points a nested unknown key at its line and full key path', () => {
    const text = 'policy:\n  approvers: []\n  expiryMinutes: 10\n  twoPerson: []\n';
    const err = configError(() => parseFileConfig(text, 'bot.yml'));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^bot\.yml:4: policy\.twoPerson: /);
  });

  it('reports a wrong type with file:line and key path', () => {
    const text = 'policy:\n  approvers: []\n  expiryMinutes: "ten"\n';
    expect(configError(() => parseFileConfig(text, 'bot.yml')).problems).toEqual([
      'bot.yml:3: policy.expiryMinutes: Invalid input: expected number, received string',
    ]);
  });

  it('reports every schema problem, each with its own line', () => {
    const text = 'policy:\n  expiryMinutes: "ten"\n  approvers: [1]\nincidents:\n  archiveOnClose: "yes"\n';
    const problems = configError(() => parseFileConfig(text, 'bot.yml')).problems;
    expect([...problems].sort()).toEqual([
      'bot.yml:2: policy.expiryMinutes: Invalid input: expected number, received string',
      'bot.yml:3: policy.approvers.0: Invalid input: expected string, received number',
      'bot.yml:5: incidents.archiveOnClose: Invalid input: expected boolean, received string',
    ]);
  });

  it.each([
    [
      'policy:\n  approvers:\n    - "bad user!"\n',
      'bot.yml:3: policy.approvers.0: must be a user id or an @group name such as @sre (a Discord role by its exact name, e.g. "@Hardware On-call")',
    ],
    [
      'policy:\n  approvers:\n    - "@ sre"\n',
      'bot.yml:3: policy.approvers.0: must be a user id or an @group name such as @sre (a Discord role by its exact name, e.g. "@Hardware On-call")',
    ],
    ['policy:\n  expiryMinutes: 1441\n', 'bot.yml:2: policy.expiryMinutes: must be at most 1440 (a day)'],
    [
      'policy:\n  twoPersonSeverities: [SEV5]\n',
      'bot.yml:2: policy.twoPersonSeverities.0: Invalid option: expected one of "SEV1"|"SEV2"|"SEV3"|"SEV4"',
    ],
    [
      'adapters:\n  - type: vmware\n',
      "bot.yml:2: adapters.0.type: Invalid discriminator value. Expected 'simulated' | 'kubernetes' | 'http' | 'ssh'",
    ],
    ['sandbox:\n  users: []\n', 'bot.yml:2: sandbox.users: Too small: expected array to have >=1 items'],
    [
      'sandbox:\n  users:\n    - { id: Alice, name: A }\n',
      'bot.yml:3: sandbox.users.0.id: must be 1-32 characters of a-z, 0-9, . _ -',
    ],
    ['policy: 5\n', 'bot.yml:1: policy: Invalid input: expected object, received number'],
    ['- a\n- b\n', 'bot.yml:1: (top level): Invalid input: expected object, received array'],
  ])('reports %j', (text, problem) => {
    expect(configError(() => parseFileConfig(text, 'bot.yml')).problems).toEqual([problem]);
  });

  it('takes a group by a name with spaces and punctuation (a Discord role)', () => {
    const file = parseFileConfig('policy:\n  approvers: ["@Hardware On-call", "@sre", alice]\n', 'bot.yml');
    expect(file.policy.approvers).toEqual(['@Hardware On-call', '@sre', 'alice']);
  });

  it('reports bad YAML syntax with file:line', () => {
    const err = configError(() => parseFileConfig('policy:\n  approvers: [\n', 'bot.yml'));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(
      /^bot\.yml:3: Flow sequence in block collection must be sufficiently indented/,
    );
    expect(err.problems[0]).not.toContain('\n');
  });

  it('reports duplicate keys and tab indentation as syntax errors with lines', () => {
    expect(configError(() => parseFileConfig('policy: {}\npolicy: {}\n', 'bot.yml')).problems[0]).toMatch(
      /^bot\.yml:2: Map keys must be unique/,
    );
    expect(
      configError(() => parseFileConfig('policy:\n\texpiryMinutes: 5\n', 'bot.yml')).problems[0],
    ).toMatch(/^bot\.yml:2: Tabs are not allowed as indentation/);
  });
});

describe('incident-bot.example.yml', () => {
  it('is a valid configuration whose values are the defaults it claims', () => {
    const text = readFileSync(new URL('../../incident-bot.example.yml', import.meta.url), 'utf8');
    expect(parseFileConfig(text, 'incident-bot.example.yml')).toEqual({
      ...parseFileConfig('', 'empty.yml'),
      adapters: [{ type: 'simulated', name: 'simulated' }],
    });
  });
});

describe('loadConfig: Slack', () => {
  const bot = 'xoxb-1-2-abc';
  it('chooses Socket Mode with an app token and turns the sandbox off', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: bot, SLACK_APP_TOKEN: 'xapp-1-abc' });
    expect(c.platforms.slack).toMatchObject({ mode: 'socket', botToken: bot, appToken: 'xapp-1-abc' });
    expect(c.platforms.sandbox).toBeUndefined();
  });

  it('chooses HTTP mode with only a signing secret, and keeps the sandbox when asked', () => {
    const c = loadConfig({
      SLACK_BOT_TOKEN: bot,
      SLACK_SIGNING_SECRET: '0123456789abcdef0123',
      SANDBOX: 'true',
    });
    expect(c.platforms.slack?.mode).toBe('http');
    expect(c.platforms.sandbox).toBeDefined();
  });

  it('names every Slack mistake at once without echoing tokens', () => {
    const err = configError(() =>
      loadConfig({
        SLACK_BOT_TOKEN: 'xoxp-user-token',
        SLACK_APP_TOKEN: 'secret-app',
        SLACK_API_URL: 'not a url',
      }),
    );
    expect(err.problems.map((p) => p.split(':')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_APP_TOKEN',
      'SLACK_API_URL',
    ]);
    expect(err.message).not.toContain('xoxp-user-token');
    expect(err.message).not.toContain('secret-app');
  });

  it('needs a way to receive events', () => {
    expect(configError(() => loadConfig({ SLACK_BOT_TOKEN: bot })).problems).toEqual([
      'SLACK_BOT_TOKEN: needs SLACK_APP_TOKEN (Socket Mode, the default) or SLACK_SIGNING_SECRET (HTTP mode at /slack/events)',
    ]);
    expect(configError(() => loadConfig({ SLACK_APP_TOKEN: 'xapp-1' })).problems).toEqual([
      'SLACK_APP_TOKEN: set, but SLACK_BOT_TOKEN is missing',
    ]);
  });

  it('ends the API URL with a slash, as WebClient expects', () => {
    const c = loadConfig({
      SLACK_BOT_TOKEN: bot,
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_API_URL: 'http://127.0.0.1:9/api',
    });
    expect(c.platforms.slack?.apiUrl).toBe('http://127.0.0.1:9/api/');
  });
});

describe('loadConfig: Discord', () => {
  const token = 'MTU3NDEwMjk5NDIzMDcwNjE3Ng.1wZpyw.abcdefghijklmnopqrstuvwxyz0123456789';
  const guild = '1574102994230706177';

  it('turns Discord on with a token and a server, and the sandbox off', () => {
    const c = loadConfig({ DISCORD_TOKEN: token, DISCORD_GUILD_ID: guild });
    expect(c.platforms.discord).toEqual({
      token,
      guildId: guild,
      applicationId: undefined,
      apiUrl: undefined,
    });
    expect(c.platforms.sandbox).toBeUndefined();
    expect(
      loadConfig({ DISCORD_TOKEN: token, DISCORD_GUILD_ID: guild, SANDBOX: 'true' }).platforms.sandbox,
    ).toBeDefined();
  });

  it('drops the trailing slash and version from the API URL, as discord.js adds /v10 itself', () => {
    const c = loadConfig({
      DISCORD_TOKEN: token,
      DISCORD_GUILD_ID: guild,
      DISCORD_API_URL: 'http://127.0.0.1:9/api/v10/',
    });
    expect(c.platforms.discord?.apiUrl).toBe('http://127.0.0.1:9/api');
  });

  it('names every Discord mistake at once without echoing the token', () => {
    const err = configError(() =>
      loadConfig({
        DISCORD_TOKEN: 'not-a-token',
        DISCORD_GUILD_ID: 'my-server',
        DISCORD_APPLICATION_ID: '12',
      }),
    );
    expect(err.problems.map((p) => p.split(':')[0])).toEqual([
      'DISCORD_TOKEN',
      'DISCORD_APPLICATION_ID',
      'DISCORD_GUILD_ID',
    ]);
    expect(err.message).not.toContain('not-a-token');
  });

  it('needs the server with the token, and the token with the rest', () => {
    expect(configError(() => loadConfig({ DISCORD_TOKEN: token })).problems).toEqual([
      'DISCORD_GUILD_ID: required with DISCORD_TOKEN: the server the bot works in (right-click it → Copy Server ID)',
    ]);
    expect(configError(() => loadConfig({ DISCORD_GUILD_ID: guild })).problems).toEqual([
      'DISCORD_GUILD_ID: set, but DISCORD_TOKEN is missing',
    ]);
  });

  it('reads the categories and the announcement channel from the YAML file', () => {
    const file = parseFileConfig(
      'discord:\n  category: Ops Incidents\n  announceChannel: "#incidents"\n',
      'bot.yml',
    );
    expect(file.discord).toEqual({
      category: 'Ops Incidents',
      archiveCategory: 'Incidents Archive',
      announceChannel: '#incidents',
    });
    expect(() => parseFileConfig('discord:\n  categroy: x\n', 'bot.yml')).toThrow(
      /bot.yml:2: discord.categroy: unknown key/,
    );
  });
});
