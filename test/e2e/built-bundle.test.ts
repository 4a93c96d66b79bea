import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * The bot as `npm start` runs it: the esbuild bundle in dist/, its lazily loaded parts in chunks.
 * Every other e2e test runs the sources through tsx, where files sit where the code expects them;
 * this one catches what only the bundle gets wrong (the sandbox page was a 500 there once).
 */
describe('the built bot, as npm start runs it', () => {
  const tmp = tempDir();
  let bot: BotProcess;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` }, { built: true });
  }, 60_000);
  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  it('serves the sandbox page, its script and its style sheet', async () => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/sandbox/app.js', 'text/javascript'],
      ['/sandbox/style.css', 'text/css'],
    ] as const) {
      const res = await fetch(`${bot.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect((await res.text()).length, path).toBeGreaterThan(100);
    }
  });

  it('runs a command in the sandbox', async () => {
    const alice = new SandboxClient(bot.url, 'alice');
    const { number, reply } = await alice.declare('"Built bundle check" --severity SEV3');
    expect(replyText(reply)).toContain(`INC-${number} declared (SEV3)`);
  });
});
