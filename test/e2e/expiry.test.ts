import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';

/** Expiry and per-action approvers, end to end in the sandbox with a 3-second expiry. */
describe('approval policy in the sandbox', () => {
  const tmp = tempDir();
  let bot: BotProcess;
  let alice: SandboxClient;
  let channel: string;

  beforeAll(async () => {
    writeFileSync(
      `${tmp.dir}/bot.yml`,
      'policy:\n  expiryMinutes: 0.05\n  actions:\n    drain: { approvers: ["@sre"] }\n',
    );
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      CONFIG_FILE: `${tmp.dir}/bot.yml`,
    });
    alice = new SandboxClient(bot.url, 'alice');
    await alice.send(
      (await alice.channel('general')).id,
      '/incident declare Slow checkpoints --severity SEV3',
    );
    channel = (await alice.channel('inc-1-slow-checkpoints')).id;
  });

  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  const request = async (header: string) =>
    (await alice.messages(channel)).find((m) => !m.visibleTo && m.message.header === header);

  it('lets only the drain approvers approve a drain', async () => {
    await alice.send(channel, '/node drain gpu-node-2');
    const m = await request('🛠️ drain gpu-node-2: waiting for approval');
    const approve = m.message.buttons[0];
    expect(replyText(await alice.as('dave').click(channel, m.id, approve.id))).toContain(
      'Dave (support) may not approve a drain',
    );
    expect(replyText(await alice.as('bob').click(channel, m.id, approve.id))).toContain('succeeded');
  });

  it('refuses a click after the expiry and takes the buttons away', async () => {
    await alice.send(channel, '/node cordon gpu-node-4');
    const m = await request('🛠️ cordon gpu-node-4: waiting for approval');
    await new Promise((r) => setTimeout(r, 3300));
    const reply = await alice.as('bob').click(channel, m.id, m.message.buttons[0].id);
    expect(replyText(reply)).toContain('expired without approval');
    const after = await request('🛠️ cordon gpu-node-4: expired without approval');
    expect(after.message.buttons).toBeUndefined();
    const { actions } = await alice.incident(1);
    expect(actions.find((a: any) => a.kind === 'cordon').status).toBe('expired');
  });
});
