import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * The bot process refusing to start: a configuration or runbook it cannot run with stops it with
 * status 2 and one clear message on stderr, before it opens anything. (What loadConfig and the
 * runbook loader answer is tested in process: test/config/, test/runbooks/.)
 */

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'incident-bot-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = '0123456789abcdef0123'; // 20 characters

/**
 * Runs the bot with `env` (on top of PATH and HOME) until it exits: its status and what it printed.
 * A bot that starts anyway is killed after 10 s, so the test fails instead of leaving it running.
 */
async function runBot(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((res) => child.once('close', (c) => res(c)));
  clearTimeout(guard);
  return { code, stdout, stderr };
}

describe('the bot process on a public HOST with the sandbox on', () => {
  it('exits with status 2 at start-up, naming SANDBOX', async () => {
    const { code, stderr } = await runBot({
      PORT: '0',
      HOST: '0.0.0.0',
      API_TOKEN: TOKEN,
      DATABASE_URL: `sqlite:${join(dir, 'never.db')}`,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('SANDBOX: the sandbox is on');
    expect(stderr).toContain('set HOST=127.0.0.1, or SANDBOX=false');
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
  });
});

describe('the bot process with a bad variable', () => {
  it('exits with status 2, names the variable on stderr, prints no stack trace', async () => {
    const { code, stdout, stderr } = await runBot({ PORT: 'abc' });
    expect(code).toBe(2);
    expect(stderr).toContain('PORT: must be a number (got "abc")');
    expect(stderr).toMatch(/^incident-bot: Invalid configuration:\n/);
    expect(stderr).toContain('See .env.example and incident-bot.example.yml.');
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toContain('ConfigError:');
    expect(stdout).toBe('');
  });
});

describe('the bot process with a broken runbook', () => {
  it('exits with status 2 naming the file, line and key, before opening anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'incident-bot-runbooks-'));
    try {
      const runbooks = join(dir, 'runbooks');
      mkdirSync(runbooks);
      writeFileSync(
        join(runbooks, 'bad.yml'),
        readFileSync(join(ROOT, 'runbooks/gpu-xid.yml'), 'utf8').replace(
          'diagnostics: [gpu,',
          'diagnostics: [gpu, smart,',
        ),
      );
      writeFileSync(join(dir, 'bot.yml'), `runbooks:\n  dir: ${runbooks}\n`);
      const { code, stderr } = await runBot({
        PORT: '0',
        CONFIG_FILE: join(dir, 'bot.yml'),
        DATABASE_URL: `sqlite:${join(dir, 'bot.db')}`,
      });
      expect(code).toBe(2);
      expect(stderr).toMatch(/^incident-bot: Invalid runbooks:\n/);
      expect(stderr).toMatch(/bad\.yml:\d+: diagnostics\.1: unknown diagnostic "smart"/);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(join(dir, 'bot.db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
