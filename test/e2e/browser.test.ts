import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The sandbox page driven by a real Chromium against the real bot process. Never downloads a
 * browser: it uses the system one, and fails (not skips) when it is missing.
 */
const CHROMIUM = '/usr/bin/chromium';
// The README's picture comes from here: copy test-results/sandbox.png to docs/ when the page changes.
const SCREENSHOT = resolve(import.meta.dirname, '../../test-results/sandbox.png');
const TIME_ZONE = 'America/New_York';
const MISSING_CHROMIUM = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing: the browser test drives the system Chromium and never downloads one. ` +
    'Install it with: apt-get install -y chromium';

/** Every test fails with the same clear message when there is no browser; none is skipped. */
function requireChromium(): void {
  if (MISSING_CHROMIUM) throw new Error(MISSING_CHROMIUM);
}

interface IncidentDetail {
  incident: { status: string };
  roles: { role: string; userId: string }[];
  timeline: { kind: string; data: Record<string, unknown> }[];
}

describe('sandbox page in a browser', () => {
  const tmp = tempDir('incident-bot-browser-');
  let bot: BotProcess | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const posts: { url: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    if (MISSING_CHROMIUM) return;
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      timezoneId: TIME_ZONE,
    });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (req) => {
      if (req.method() === 'POST')
        posts.push({ url: req.url(), body: req.postDataJSON() as Record<string, unknown> });
    });
    await page.goto(bot.url);
    await page.getByTestId('channel-general').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await bot?.stop();
    tmp.remove();
  });

  async function incident(number: number): Promise<IncidentDetail> {
    const res = await fetch(`${bot!.url}/api/incidents/${number}`);
    expect(res.status).toBe(200);
    return (await res.json()) as IncidentDetail;
  }

  async function send(text: string): Promise<void> {
    await page.getByTestId('composer').fill(text);
    await page.getByTestId('composer').press('Enter');
  }

  /** Each test starts as `user` in #general: none relies on where an earlier one left the page. */
  async function atGeneral(user = 'alice'): Promise<void> {
    await page.getByTestId('user-select').selectOption(user);
    await page.getByTestId('channel-general').click();
  }

  it('runs an incident: declare as alice, take command as bob, resolve behind a confirmation', async () => {
    requireChromium();
    await atGeneral('alice');
    const typed = '/incident declare GPU node 5 fell off the bus --severity SEV2';
    await send(typed);
    const number = await waitFor(async () => {
      const { incidents } = (await (await fetch(`${bot!.url}/api/incidents`)).json()) as {
        incidents: { number: number; title: string }[];
      };
      return incidents.find((i) => i.title === 'GPU node 5 fell off the bus')?.number;
    }, 'the declared incident');
    const card = () =>
      page.getByTestId('message').filter({ hasText: `INC-${number}: GPU node 5 fell off the bus` });

    // The stream announces the new channel; it is one click away.
    const channelItem = page.getByTestId(`channel-inc-${number}-gpu-node-5-fell-off-the-bus`);
    await channelItem.waitFor({ timeout: 10_000 });
    const declare = posts.find((p) => p.url.endsWith('/sandbox/api/send') && p.body.text === typed);
    expect(declare?.body).toMatchObject({ user: 'alice', timeZone: TIME_ZONE });
    expect(declare?.body.eventId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );

    await channelItem.click();
    await card().waitFor();
    expect(await card().getByTestId('field-Status').textContent()).toContain('declared');
    expect(await card().getByTestId('field-Commander').textContent()).toContain('unassigned');
    expect(await card().textContent()).toContain('APP');

    // Message times are in the browser's zone.
    const time = card().locator('time:not(.ago)');
    const iso = (await time.getAttribute('datetime'))!;
    const expected = new Intl.DateTimeFormat('en-US', {
      timeZone: TIME_ZONE,
      hour: 'numeric',
      minute: '2-digit',
    });
    expect(await time.textContent()).toBe(expected.format(new Date(iso)));

    // The card's age is drawn by the page and kept current, not frozen at "0s" when it was posted.
    const age = card().locator('time.ago');
    expect(await age.textContent()).toBe('just now');
    // Runs in the page (no DOM types here): move the card's declared time back, then refocus.
    await age.evaluate((t: any) => {
      t.dataset.ago = String(Date.now() - 16 * 60_000);
      t.ownerDocument.defaultView.dispatchEvent(new Event('focus'));
    });
    expect(await age.textContent()).toBe('16 minutes ago');

    await page.getByTestId('user-select').selectOption('bob');
    await card().getByTestId('button-Take command').click();
    await expect
      .poll(() => card().getByTestId('field-Commander').textContent(), { timeout: 10_000 })
      .toContain('@bob');
    await card().getByTestId('button-Take over command').waitFor();
    await page
      .getByTestId('message')
      .filter({ hasText: 'Only visible to you' })
      .filter({ hasText: 'commander' })
      .waitFor();

    const afterCommand = await incident(number);
    expect(afterCommand.roles).toContainEqual(expect.objectContaining({ role: 'commander', userId: 'bob' }));
    expect(afterCommand.timeline.some((e) => e.kind === 'role')).toBe(true);

    await page.mouse.move(5, 795);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // A double click is one click: the button is disabled while its request is in flight.
    await card().getByTestId('button-Investigating').dblclick();
    await expect
      .poll(async () => (await incident(number)).incident.status, { timeout: 10_000 })
      .toBe('investigating');
    await card().getByTestId('button-Investigating').waitFor({ state: 'detached' });
    const toInvestigating = (await incident(number)).timeline.filter(
      (e) => e.kind === 'status' && e.data.to === 'investigating',
    );
    expect(toInvestigating).toHaveLength(1);
    expect(await page.locator('.message.is-error').count()).toBe(0);

    // "Resolve" asks first; the safe answer changes nothing.
    const dialog = page.getByTestId('confirm-dialog');
    await card().getByTestId('button-Resolve').click();
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`Resolve INC-${number}?`);
    await page.getByTestId('confirm-deny').click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await incident(number)).incident.status).toBe('investigating');

    await card().getByTestId('button-Resolve').click();
    await dialog.waitFor();
    await page.getByTestId('confirm-ok').click();
    await expect
      .poll(async () => (await incident(number)).incident.status, { timeout: 10_000 })
      .toBe('resolved');
    await card().getByTestId('button-Close incident').waitFor();
    expect(await card().getByTestId('field-Status').textContent()).toContain('resolved');

    // The post-mortem drafted on resolve: a download, the Markdown rendered behind a toggle, and
    // the API path a link.
    const file = page.getByTestId('file').filter({ hasText: `INC-${number}-postmortem.md` });
    await file.waitFor({ timeout: 15_000 });
    const download = file.getByTestId('file-download');
    expect(await download.getAttribute('download')).toBe(`INC-${number}-postmortem.md`);
    const href = (await download.getAttribute('href'))!;
    const markdown = await (await fetch(`${bot!.url}/api/incidents/${number}/postmortem`)).text();
    expect(decodeURIComponent(href.slice(href.indexOf(',') + 1))).toBe(markdown);
    const view = file.getByTestId('file-view');
    expect(await view.getAttribute('open')).toBeNull();
    await view.locator('summary').click();
    await view.locator('h1').waitFor();
    expect(await view.locator('h1').textContent()).toBe(
      `Post-mortem INC-${number}: GPU node 5 fell off the bus`,
    );
    expect(await view.locator('h2').count()).toBeGreaterThan(2);
    expect(await view.locator('table th').first().textContent()).toBe('Time');
    expect(await view.locator('strong').first().textContent()).toBe('Date:');
    expect(await view.textContent()).not.toContain('**');
    const api = page.locator('a.api-link').filter({ hasText: `/api/incidents/${number}/postmortem` });
    expect(await api.getAttribute('href')).toBe(`/api/incidents/${number}/postmortem`);
    // Opened stays opened when the page redraws (a new message arrives).
    await send('/incident timeline --last 1');
    await page.getByTestId('message').filter({ hasText: 'Only visible to you' }).last().waitFor();
    expect(await file.getByTestId('file-view').getAttribute('open')).not.toBeNull();
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('does not ask the requester to confirm an approval they cannot give, and says why where they clicked; resolving asks about the request', async () => {
    requireChromium();
    await atGeneral('alice');
    await send('/incident declare "NCCL hangs on gpu-node-6" --severity SEV2');
    const channelItem = page.getByTestId('channel-inc-2-nccl-hangs-on-gpu-node-6');
    await channelItem.waitFor({ timeout: 10_000 });
    await channelItem.click();
    await send('/node cordon gpu-node-6');
    const request = page
      .getByTestId('message')
      .filter({ hasText: 'cordon gpu-node-6: waiting for approval' });
    await request.waitFor({ timeout: 10_000 });
    expect(await request.textContent()).toContain('SEV2: someone other than Alice (SRE) must approve');

    const dialog = page.getByTestId('confirm-dialog');
    await request.getByTestId('button-Approve').click();
    const note = request.locator('.click-note');
    await note.waitFor();
    expect(await note.textContent()).toBe(
      '❌ You requested this cordon; at SEV2 someone else must approve it.',
    );
    expect(await dialog.isVisible()).toBe(false);

    // Someone else gets the confirmation, and the note is not theirs.
    await page.getByTestId('user-select').selectOption('bob');
    await request.getByTestId('button-Approve').click();
    await dialog.waitFor();
    expect(await request.locator('.click-note').count()).toBe(0);
    await page.getByTestId('confirm-deny').click();
    await dialog.waitFor({ state: 'hidden' });

    // Resolving with the cordon still waiting asks, where the person clicked; the answer resolves,
    // the question goes, and the request says it was cancelled.
    const card = page.getByTestId('message').filter({ hasText: 'INC-2: NCCL hangs on gpu-node-6' }).first();
    await card.getByTestId('button-Resolve').click();
    await dialog.waitFor();
    await page.getByTestId('confirm-ok').click();
    const question = page
      .getByTestId('message')
      .filter({ hasText: 'still waiting for approval: cordon of gpu-node-6' });
    await question.waitFor({ timeout: 10_000 });
    expect(await question.textContent()).toContain('Only visible to you');
    expect((await incident(2)).incident.status).toBe('declared');
    await question.getByTestId('button-Resolve, cancel requests').click();
    await expect.poll(async () => (await incident(2)).incident.status, { timeout: 10_000 }).toBe('resolved');
    await question.waitFor({ state: 'detached', timeout: 10_000 });
    await page
      .getByTestId('message')
      .filter({ hasText: 'INC-2 resolved; cancelled cordon of gpu-node-6' })
      .waitFor({ timeout: 10_000 });
    // The request's own header (the post-mortem file, drafted on resolve, names it too).
    await page
      .locator('.msg-header', { hasText: 'cordon gpu-node-6: cancelled' })
      .waitFor({ timeout: 10_000 });
    expect(await page.locator('.msg-header', { hasText: 'waiting for approval' }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('escapes HTML and renders the chat markup', async () => {
    requireChromium();
    await atGeneral();
    await send(
      '<img src=x onerror="window.__xss=1"> *loud* _soft_ `gpu_5` <https://example.com/runbook|runbook>',
    );
    const message = page.getByTestId('message').filter({ hasText: 'loud' });
    await message.waitFor();
    expect(await message.locator('img').count()).toBe(0);
    expect(await message.textContent()).toContain('<img src=x onerror="window.__xss=1">');
    expect(await message.locator('strong').textContent()).toBe('loud');
    expect(await message.locator('em').textContent()).toBe('soft');
    expect(await message.locator('code').textContent()).toBe('gpu_5');
    expect(await message.locator('a').getAttribute('href')).toBe('https://example.com/runbook');
    expect(await page.evaluate('window.__xss')).toBeUndefined();
  });

  it('renders a post-mortem whose title is hostile as text: no markup, no script, no javascript: link', async () => {
    requireChromium();
    await atGeneral();
    await send(
      '/incident declare "<img src=x onerror=window.__xss3=1> [click](javascript:window.__xss3=2) | **x** `y`" --severity SEV4',
    );
    const channelItem = page
      .locator('[data-testid^="channel-inc-"]')
      .filter({ hasText: 'img-src-x' })
      .first();
    await channelItem.waitFor({ timeout: 10_000 });
    await channelItem.click();
    await send('/incident resolve');
    const view = page.getByTestId('file-view').first();
    await view.waitFor({ timeout: 15_000 });
    await view.locator('summary').click();
    const h1 = view.locator('h1');
    await h1.waitFor();
    expect(await h1.textContent()).toContain('<img src=x onerror=window.__xss3=1>');
    expect(await view.locator('img').count()).toBe(0);
    const hrefs = await view.locator('a').evaluateAll((as: any[]) => as.map((a) => a.getAttribute('href')));
    expect(hrefs.filter((h: string | null) => !h || !/^https?:\/\//.test(h))).toEqual([]);
    expect(await page.evaluate('window.__xss3')).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });

  it('edits, reacts to, pins and deletes a message', async () => {
    requireChromium();
    await atGeneral();
    await send('node 5 is back');
    const message = page.getByTestId('message').filter({ hasText: 'node 5 is back' });
    await message.waitFor();

    await message.hover();
    await message.getByTestId('action-edit').click();
    await page.getByTestId('edit-text').fill('node 5 is back online');
    await page.getByTestId('edit-save').click();
    const edited = page.getByTestId('message').filter({ hasText: 'node 5 is back online' });
    await edited.filter({ hasText: '(edited)' }).waitFor();

    await edited.getByTestId('action-react').click();
    await edited.getByTestId('reaction-📌').waitFor();
    expect(await edited.getByTestId('reaction-📌').textContent()).toContain('1');
    await edited.getByTestId('action-pin').click();
    await edited.getByTestId('pinned').waitFor();

    await edited.getByTestId('action-delete').click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('message').filter({ hasText: '(message deleted)' }).waitFor();
    expect(await page.getByTestId('message').filter({ hasText: 'node 5 is back online' }).count()).toBe(0);
  });

  it('shows an HTTP error with its hint and keeps what was typed', async () => {
    requireChromium();
    await atGeneral();
    const tooLong = 'x'.repeat(4001);
    await send(tooLong);
    const bar = page.getByTestId('error-bar');
    await bar.waitFor();
    // Said as a person would, not in the validator's words ("Too big: expected string to have <=4000").
    expect(await page.getByTestId('error-message').textContent()).toBe(
      'The text is longer than 4,000 characters.',
    );
    expect(await page.getByTestId('error-hint').textContent()).toBe('Shorten it, or send it in parts.');
    expect(await bar.textContent()).not.toMatch(/\bat .*\.ts:\d+/);
    expect(await page.getByTestId('composer').inputValue()).toBe(tooLong);
    await page.getByTestId('composer').fill('');
  });

  it('recalls the last command with the up arrow', async () => {
    requireChromium();
    await atGeneral();
    const composer = page.getByTestId('composer');
    await send('/incident list --all');
    await page
      .getByTestId('message')
      .filter({ hasText: /Incidents \(\d+\)|No incidents yet/ })
      .first()
      .waitFor();
    await composer.fill('');
    await composer.press('ArrowUp');
    expect(await composer.inputValue()).toBe('/incident list --all');
    await composer.press('ArrowDown');
    expect(await composer.inputValue()).toBe('');
  });

  it('falls back to polling when the event stream is unavailable', async () => {
    requireChromium();
    const other = await context.newPage();
    await other.route('**/sandbox/api/events**', (route) =>
      route.fulfill({ status: 503, body: 'no stream' }),
    );
    await other.goto(bot!.url);
    await other.getByTestId('channel-general').click();
    await other.locator('[data-testid="connection"][data-state="polling"]').waitFor({ timeout: 10_000 });

    await atGeneral();
    await send('seen by polling');
    await other.getByTestId('message').filter({ hasText: 'seen by polling' }).waitFor({ timeout: 10_000 });
    await other.close();
  });
  it('is live again within seconds of the bot restarting, without a reload', async () => {
    requireChromium();
    await atGeneral();
    const connection = page.getByTestId('connection');
    await expect.poll(() => connection.getAttribute('data-state'), { timeout: 10_000 }).toBe('live');
    const port = new URL(bot!.url).port;
    await bot!.kill();
    // Down long enough (a rebuild, a slow start) that the page has given up on the stream and polls.
    await expect
      .poll(() => connection.getAttribute('data-state'), { timeout: 20_000 })
      .toMatch(/^(polling|offline)$/);
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db`, PORT: port });
    const back = Date.now();
    await expect.poll(() => connection.getAttribute('data-state'), { timeout: 10_000 }).toBe('live');
    // The page saw the restart through: what is sent now reaches the new process.
    await send('back after the restart');
    await page.getByTestId('message').filter({ hasText: 'back after the restart' }).waitFor();
    expect(Date.now() - back).toBeLessThan(10_000);
  }, 60_000);
});
