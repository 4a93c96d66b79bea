import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Reminders through the real composition: a SEV2 asks for an update after 3 seconds (drill
 * settings), the reminder is stored, so a bot killed before it was due posts it after the restart,
 * and its snooze button answers.
 */
describe('reminders in the sandbox', () => {
  const tmp = tempDir();
  let bot: BotProcess | undefined;
  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  it('posts a due update reminder after a kill -9 and restart, and snoozes it', async () => {
    writeFileSync(
      `${tmp.dir}/bot.yml`,
      'reminders:\n  update: { SEV2: 0.05 }\n  commanderAfterMinutes: null\n  sweepSeconds: 1\n',
    );
    const env = { DATABASE_URL: `sqlite:${tmp.dir}/bot.db`, CONFIG_FILE: `${tmp.dir}/bot.yml` };
    bot = await startBotProcess(env);
    let alice = new SandboxClient(bot.url, 'alice');
    await alice.send(
      (await alice.channel('general')).id,
      '/incident declare Slow checkpoints --severity SEV2',
    );
    const channel = (await alice.channel('inc-1-slow-checkpoints')).id;
    await bot.kill();

    bot = await startBotProcess(env);
    alice = new SandboxClient(bot.url, 'alice');
    const reminder = await waitFor(
      async () =>
        (await alice.messages(channel)).find((m) => !m.visibleTo && m.message.text.startsWith('⏰')),
      'the update reminder',
      10_000,
    );
    expect(reminder.message.text).toContain('⏰ INC-1 needs a status update.');
    const snooze = reminder.message.buttons.find((b: { label: string }) => b.label === 'Snooze 15 min');
    const reply = await alice.as('bob').click(channel, reminder.id, snooze.id);
    expect(replyText(reply)).toMatch(/^Snoozed the update reminder for INC-1 until \d\d:\d\d UTC\.$/m);
  });
});
