import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');

/** The node flags of `npm start` (package.json), so benchmarks measure what users run. */
const START_FLAGS: string[] = (() => {
  const start = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts.start!;
  return start.split(/\s+/).filter((a) => a.startsWith('--'));
})();

export interface BotProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: string[];
  /** SIGKILL: no shutdown handler runs, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
}

/** A temporary directory for a test's database; removed by the returned function. */
export function tempDir(prefix = 'incident-bot-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Boots the real composition root (`src/main.ts`) as its own process, the way `npm start` does,
 * on a free port, and resolves once it logs that it is ready.
 */
export async function startBotProcess(
  env: Record<string, string>,
  { timeoutMs = 15_000, built = false }: { timeoutMs?: number; built?: boolean } = {},
): Promise<BotProcess> {
  // `built`: run dist/main.mjs as `npm start` does (after `npm run build`); otherwise the sources through tsx.
  const args = built ? [...START_FLAGS, 'dist/main.mjs'] : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`bot not ready in ${timeoutMs} ms:\n${output.join('\n')}`)),
      timeoutMs,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      try {
        const rec = JSON.parse(line) as { url?: string };
        if (rec.url) {
          clearTimeout(timer);
          res(rec.url);
        }
      } catch {
        // not a log line
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`bot exited with ${code} before it was ready:\n${output.join('\n')}`));
    });
  });
  return {
    url,
    child,
    output,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
