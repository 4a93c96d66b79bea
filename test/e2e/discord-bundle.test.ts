import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../scripts/discord-register.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The diagnostic bundle on Discord, through the real bot process and the simulated fleet: the
 * answer to the upload is lost after Discord stored it (the connection drops), the outbox tries
 * again with the same nonce, and the channel holds the archive once, byte for byte a tar.gz.
 */
const CHANNEL_MESSAGES = /^\/channels\/\d+\/messages$/;

describe('a diagnostic bundle attached on Discord', () => {
  const tmp = tempDir();
  let fake: FakeDiscord;
  let bot: BotProcess;

  beforeAll(async () => {
    fake = await startFakeDiscord();
    await registerCommands({ token: fake.token, guildId: fake.guildId, apiUrl: fake.apiUrl });
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      DISCORD_TOKEN: fake.token,
      DISCORD_GUILD_ID: fake.guildId,
      DISCORD_API_URL: fake.apiUrl,
    });
    await fake.waitForConnection();
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  it('is uploaded once when the answer to the upload is lost, and is the archive', async () => {
    const declared = fake.as(fake.users.alice).command(fake.channels.general, 'incident', 'declare', {
      title: 'Xid 79 on gpu-node-5',
      severity: 'SEV2',
    });
    const answer = await waitFor(() => fake.answer(declared), 'the declaration', 15_000);
    const n = Number(/^INC-(\d+) declared/.exec(answer.text)?.[1]);
    const channelId = await waitFor(
      async () => {
        const r = await fetch(`${bot.url}/api/incidents/${n}`);
        const inc = ((await r.json()) as { incident: { channelId?: string; cardMessageId?: string } })
          .incident;
        return inc.channelId && inc.cardMessageId ? inc.channelId : undefined;
      },
      'the incident channel',
      15_000,
    );
    // Discord stores the upload, and the bot never hears back.
    fake.failNext('POST', CHANNEL_MESSAGES, { drop: true, applied: true, withFiles: true });
    const asked = fake.as(fake.users.alice).command(channelId, 'node', 'collect', { node: 'gpu-node-5' });
    const reply = await waitFor(() => fake.answer(asked), 'the answer to /node collect', 15_000);
    expect(reply.text).toContain('Collecting the diagnostic bundle of gpu-node-5');
    expect(reply.ephemeral).toBe(true);

    const withFiles = () => fake.messages(channelId).filter((m) => m.attachments.length > 0);
    await waitFor(() => withFiles().length > 0 && fake.pendingFaults === 0, 'the bundle upload', 20_000);
    // The outbox tries again (after 5 s) with the same nonce: Discord answers with the first upload.
    const uploads = () =>
      fake
        .callsTo('POST', CHANNEL_MESSAGES)
        .filter((c) => String((c.body as { content?: string })?.content).startsWith('📎 Diagnostic bundle'));
    await waitFor(() => uploads().length === 2, 'the retried upload', 20_000);
    expect(uploads().map((c) => c.status)).toEqual([0, 200]);
    expect(new Set(uploads().map((c) => (c.body as { nonce?: string }).nonce)).size).toBe(1);
    expect(withFiles()).toHaveLength(1);
    const [file] = withFiles()[0]!.attachments;
    expect(file!.filename).toMatch(/^diagnostics-gpu-node-5-\d{8}T\d{4}Z\.tar\.gz$/);
    expect(file!.contentType).toBe('application/gzip');
    const dir = mkdtempSync(join(tmpdir(), 'discord-bundle-'));
    try {
      writeFileSync(join(dir, 'b.tar.gz'), file!.bytes);
      const names = execFileSync('tar', ['-tzf', join(dir, 'b.tar.gz')], { encoding: 'utf8' });
      expect(names).toMatch(/\/README\.txt\n/);
      expect(names).toMatch(/\/dmesg\.txt\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const summaries = fake
      .messages(channelId)
      .filter((m) => JSON.stringify(m).includes('📦 Diagnostic bundle of gpu-node-5:'));
    expect(summaries).toHaveLength(1);
  }, 60_000);
});
