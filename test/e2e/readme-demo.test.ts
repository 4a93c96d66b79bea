import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';

const README = readFileSync(join(resolve(import.meta.dirname, '../..'), 'README.md'), 'utf8');

/** The code blocks of the README's sandbox walk-through, each as the lines a person pastes. */
function demoBlocks(): string[][] {
  const from = README.indexOf('## Try an incident in the sandbox');
  const to = README.indexOf('\n### ', from);
  const section = README.slice(from, to);
  return [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) =>
    m[1]!.split('\n').filter((line) => line.trim() !== ''),
  );
}

/**
 * The README's demo, pasted line by line into the sandbox of a real bot process as the README says:
 * the first block in #general, the others in the incident channel, and the Approve click the prose
 * asks for between them, by another person. Every line must be a command the bot accepts, and what
 * the story claims must be what happened.
 */
describe('the README sandbox demo, verbatim', () => {
  const tmp = tempDir();
  let bot: BotProcess;
  let alice: SandboxClient;
  let bob: SandboxClient;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
    alice = new SandboxClient(bot.url, 'alice');
    bob = alice.as('bob');
  });
  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  it('every pasted line works, and the story is what the bot did', async () => {
    const [declare, investigate, wrapUp, ...more] = demoBlocks();
    expect(more, 'the walk-through has three blocks; teach this test about a new one').toEqual([]);
    const replies: { line: string; text: string }[] = [];
    const paste = async (client: SandboxClient, channelId: string, lines: readonly string[]) => {
      for (const line of lines) {
        expect(line, 'a README line the bot would refuse').toMatch(/^\/\S+/);
        replies.push({ line, text: replyText(await client.send(channelId, line)) });
      }
    };

    const general = (await alice.channel('general')).id;
    await paste(alice, general, declare!);
    const channel = (await alice.channel('inc-1-gpu-node-5-fell-off-the-bus')).id;
    await paste(alice, channel, investigate!);

    // "the drain of gpu-node-5 says its fine-tune job will be moved to gpu-node-8"
    const drain = (await bob.messages(channel)).find(
      (m) => !m.visibleTo && m.message.header?.startsWith('🛠️ drain gpu-node-5'),
    );
    expect(drain, 'triage requested the drain of gpu-node-5').toBeDefined();
    expect(drain.message.sections[0]).toContain('qwen2-72b-finetune-0 (8 GPUs) will be moved to gpu-node-8.');
    // "Switch the user to someone else … and click Approve on the drain."
    const approve = drain.message.buttons.find((b: any) => b.label === 'Approve');
    const approved = replyText(await bob.click(channel, drain.id, approve.id));
    expect(approved).toMatch(/Approved: the drain of gpu-node-5 succeeded/);
    const done = (await bob.messages(channel)).find((m) => m.id === drain.id);
    expect(done.message.context.join('\n')).toMatch(/Approved by Bob/);

    await paste(alice, channel, wrapUp!);
    const refused = replies.filter((r) => r.text.startsWith('❌') || /\bbot\.[a-z_]+\.[a-z_]+/.test(r.text));
    expect(refused, 'README lines the bot answered with an error').toEqual([]);

    // "its fine-tune job now runs on gpu-node-8", as /workload list said.
    const onSpare = replies.find((r) => r.line.startsWith('/workload list --node gpu-node-8'))!.text;
    expect(onSpare).toMatch(/qwen2-72b-finetune-0.*running/);
    const incident = await alice.incident(1);
    expect(incident.incident.status).toBe('closed');
    expect(incident.actions.find((a: any) => a.kind === 'drain')).toMatchObject({
      status: 'succeeded',
      decidedBy: 'bob',
    });
    // "--requests cancel cancels them as it resolves": nothing in the archive waits for approval.
    const others = incident.actions.filter((a: any) => a.kind !== 'drain');
    expect(others.length, 'triage requested more than the drain').toBeGreaterThan(0);
    for (const a of others) expect(a.status).toBe('cancelled');
    const waiting = (await alice.messages(channel)).filter((m) =>
      JSON.stringify(m.message).includes('waiting for approval'),
    );
    expect(waiting.map((m) => m.message.header ?? m.message.text)).toEqual([]);
  });
});
