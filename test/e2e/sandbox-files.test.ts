import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxChat } from '../../src/chat/sandbox/adapter.ts';
import { registerSandboxRoutes } from '../../src/chat/sandbox/routes.ts';
import { type SandboxTables, SandboxWorkspace } from '../../src/chat/sandbox/workspace.ts';
import { Router } from '../../src/http/router.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { openSqliteStore } from '../../src/store/index.ts';

/**
 * Files the bot uploads, as a person finds them on the sandbox page in a real Chromium: a binary
 * bundle by name and size, downloaded byte for byte; the Markdown draft as before. The bot's side
 * is the sandbox adapter itself on the bot's HTTP server (no command makes a binary file yet);
 * browser.test.ts covers the draft a whole bot process writes on resolve. Never downloads a
 * browser: it uses the system one, and fails (not skips) when it is missing.
 */
const CHROMIUM = '/usr/bin/chromium';
const MISSING_CHROMIUM = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing: the browser test drives the system Chromium and never downloads one. ` +
    'Install it with: apt-get install -y chromium';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('files on the sandbox page', () => {
  let browser: Browser | undefined;
  let page: Page;
  let close: () => Promise<void> = async () => undefined;
  let chat: SandboxChat;
  let channelId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (MISSING_CHROMIUM) return;
    const opened = await openSqliteStore(':memory:');
    const workspace = new SandboxWorkspace(opened.db as unknown as Kysely<SandboxTables>, () => new Date());
    chat = new SandboxChat(
      workspace,
      [{ id: 'alice', name: 'Alice (SRE)', groups: ['sre'] }],
      () => new Date(),
    );
    await chat.start(async () => undefined);
    channelId = (await chat.createChannel({ name: 'inc-5-gpu-node-5', topic: 'SEV2', private: false })).id;
    const router = new Router();
    registerSandboxRoutes(router, chat);
    const server = createHttpServer({ router, logger: pino({ level: 'silent' }), apiToken: undefined });
    const { url } = await listen(server, 0, '127.0.0.1');
    close = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await opened.close();
    };
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    const context = await browser.newContext({ acceptDownloads: true, locale: 'en-US' });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(url);
    await page.getByTestId('channel-inc-5-gpu-node-5').click();
  });

  afterAll(async () => {
    await browser?.close();
    await close();
  });

  it('shows a binary bundle by name and size, and downloads it byte for byte', async () => {
    if (MISSING_CHROMIUM) throw new Error(MISSING_CHROMIUM);
    // 1.2 MiB of bytes that are not text, as a gzip bundle is.
    const bytes = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xc0]),
      randomBytes(1_258_291 - 6),
    ]);
    await chat.uploadFile(channelId, {
      filename: 'nvidia-bug-report-gpu-node-5.tar.gz',
      title: 'Diagnostic bundle of gpu-node-5',
      content: bytes.toString('base64'),
      encoding: 'base64',
      contentType: 'application/gzip',
    });
    const file = page.getByTestId('file').filter({ hasText: 'nvidia-bug-report-gpu-node-5.tar.gz' });
    await file.waitFor({ timeout: 10_000 });
    const message = page.getByTestId('message').filter({ has: file });
    expect(await message.locator('.msg-header').textContent()).toBe('📎 Diagnostic bundle of gpu-node-5');
    expect(await file.getByTestId('file-size').textContent()).toBe('· 1.2 MiB');
    // Not text: nothing to read in place.
    expect(await file.getByTestId('file-view').count()).toBe(0);

    const link = file.getByTestId('file-download');
    expect(await link.getAttribute('download')).toBe('nvidia-bug-report-gpu-node-5.tar.gz');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('nvidia-bug-report-gpu-node-5.tar.gz');
    const got = readFileSync((await download.path())!);
    expect([got.length, sha256(got)]).toEqual([bytes.length, sha256(bytes)]);
    expect(pageErrors).toEqual([]);
  });

  it('keeps the Markdown draft as it was: inline, with its rendered view behind a toggle', async () => {
    if (MISSING_CHROMIUM) throw new Error(MISSING_CHROMIUM);
    const markdown = '# Post-mortem INC-5\n\n**Date:** today\n';
    await chat.uploadFile(channelId, {
      filename: 'INC-5-postmortem.md',
      title: 'INC-5 draft v1',
      content: markdown,
    });
    const file = page.getByTestId('file').filter({ hasText: 'INC-5-postmortem.md' });
    await file.waitFor({ timeout: 10_000 });
    const href = (await file.getByTestId('file-download').getAttribute('href'))!;
    expect(href.startsWith('data:text/markdown;charset=utf-8,')).toBe(true);
    expect(decodeURIComponent(href.slice(href.indexOf(',') + 1))).toBe(markdown);
    const view = file.getByTestId('file-view');
    await view.locator('summary').click();
    expect(await view.locator('h1').textContent()).toBe('Post-mortem INC-5');
    expect(pageErrors).toEqual([]);
  });
});
