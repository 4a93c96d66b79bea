import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshFleet, startSshFleet } from '../fakes/ssh/index.ts';
import { type BotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';
import { startBotOnSshFleet } from '../helpers/ssh-bot.ts';

/**
 * Issue 8 (item 5): an approved drain over SSH whose node dies mid-command. The built-in drain
 * lists the containers, checks the Slurm state, cordons, then stops each evicted container; the
 * node's connection is reset while `docker stop` runs. The action ends `failed` (actions.ts: a
 * transport error from the adapter is a failed result, not a throw), is reported once in the
 * channel, is not retried (every command reached the node once), the timeline has the request,
 * approval and outcome, and the bot goes on answering. That is one chain of events, so it is one
 * test on its own incident (a node dies once); the preview is another, on a node that never dies.
 */
describe('an approved SSH drain whose node dies mid-command', () => {
  const tmp = tempDir();
  let fleet: SshFleet;
  let bot: BotProcess;
  let alice: SandboxClient;
  let bob: SandboxClient;

  const actionMessage = async (channel: string, node: string) =>
    (await alice.messages(channel)).find(
      (m) => !m.visibleTo && m.message.header?.startsWith(`🛠️ drain ${node}`),
    );
  const resultPosts = async (channel: string) =>
    (await alice.messages(channel)).filter(
      (m) => !m.visibleTo && /^[✅❌] drain of gpu-node-5/u.test(m.message.text ?? ''),
    );

  beforeAll(async () => {
    fleet = await startSshFleet({ count: 5 });
    bot = await startBotOnSshFleet(tmp.dir, fleet);
    alice = new SandboxClient(bot.url, 'alice');
    bob = alice.as('bob');
  });

  afterAll(async () => {
    await bot?.stop();
    await fleet?.close();
    tmp.remove();
  });

  it('previews the drain over SSH and waits for a second person', async () => {
    const channel = (await alice.declare('"Slow steps on gpu-node-1" --severity SEV2')).channel.id;
    const reply = await alice.send(channel, '/node drain gpu-node-1');
    expect(replyText(reply)).toContain('Requested drain of gpu-node-1');
    const m = await actionMessage(channel, 'gpu-node-1');
    expect(m.message.header).toBe('🛠️ drain gpu-node-1: waiting for approval');
    expect(m.message.sections[0]).toContain('llama3-70b-pretrain-0');
  });

  it('ends the drain failed when the node dies during docker stop: reported once, run once, on the timeline, and the bot goes on', async () => {
    const { number, channel: ch } = await alice.declare('"Xid 79 on gpu-node-5" --severity SEV2');
    const channel = ch.id as string;
    await alice.send(channel, '/node drain gpu-node-5');
    const m = await actionMessage(channel, 'gpu-node-5');
    const approve = m.message.buttons.find((b: any) => b.label === 'Approve');
    // The node goes away while the drain is stopping its container: after the cordon went through.
    fleet.setDieOn('gpu-node-5', /^docker stop /);
    // fleet.commands before the approval: what comes after is the drain's own.
    const before = fleet.commands.length;
    const drainCommands = () => fleet.commands.slice(before).filter((c) => c.node === 'gpu-node-5');
    // Bob clicks, the sandbox redelivers that click, and he clicks once more: all in flight together.
    const clicks = await Promise.all([
      bob.click(channel, m.id, approve.id, 'approve-click-1'),
      bob.click(channel, m.id, approve.id, 'approve-click-1'),
      bob.click(channel, m.id, approve.id),
    ]);
    const said = (c: any): string => c.reply?.message?.text ?? '';
    expect(clicks.filter((c) => said(c) === 'Approved: the drain of gpu-node-5 failed.')).toHaveLength(1);
    const others = clicks.filter((c) => said(c) !== 'Approved: the drain of gpu-node-5 failed.');
    expect(others).toHaveLength(2);
    // The redelivery is answered once (no second reply); the extra click hears who approved it and when.
    const texts = others.map(said).sort();
    expect(texts[0]).toBe('');
    expect(texts[1]).toMatch(
      /^❌ Bob .*approved this drain of gpu-node-5 at \d{2}:\d{2}( UTC)?; it (is running|failed)\./,
    );

    const { actions } = await alice.incident(number);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({
      kind: 'drain',
      status: 'failed',
      requestedBy: 'alice',
      decidedBy: 'bob',
    });
    expect(actions[0].result.summary).toBe(
      'Drain of gpu-node-5 interrupted after: cordoned. The SSH connection to gpu-node-5 dropped during Stop of gpu-node-5/qwen2-72b-finetune-0. The command may or may not have run; check the node before trying again.',
    );

    // In the channel: the request message shows the outcome without buttons, and one result post.
    const done = await actionMessage(channel, 'gpu-node-5');
    expect(done.message.header).toBe('🛠️ drain gpu-node-5: failed');
    expect(done.message.buttons).toBeUndefined();
    const posts = await resultPosts(channel);
    expect(posts.map((p) => p.message.text)).toEqual([
      '❌ drain of gpu-node-5: Drain of gpu-node-5 interrupted after: cordoned. The SSH connection to gpu-node-5 dropped during Stop of gpu-node-5/qwen2-72b-finetune-0. The command may or may not have run; check the node before trying again.',
    ]);

    // Not retried: every command of the drain reached the node exactly once, the dying one included.
    await new Promise((r) => setTimeout(r, 1500));
    const sent = drainCommands();
    expect(sent.filter((c) => c.command.startsWith('docker stop '))).toEqual([
      expect.objectContaining({ command: "docker stop 'qwen2-72b-finetune-0'", status: 'closed' }),
    ]);
    expect(sent.filter((c) => c.command.startsWith('scontrol update '))).toEqual([
      expect.objectContaining({
        command: `scontrol update nodename='gpu-node-5' state=drain reason='incident-bot INC-${number}: Xid 79 on gpu-node-5'`,
        status: 'answered',
      }),
    ]);
    // The listing, the Slurm state, the cordon, the stop: four, nothing after the connection died.
    expect(sent).toHaveLength(4);
    expect((await resultPosts(channel)).length).toBe(1);

    // The request, the approval and the outcome are on the timeline.
    const { timeline } = await alice.incident(number);
    const mine = timeline.filter((e: any) => e.data?.actionId === actions[0].id);
    expect(mine.map((e: any) => [e.kind, e.actorId ?? null])).toEqual([
      ['action_requested', 'alice'],
      ['action_approved', 'bob'],
      ['action_result', null],
    ]);
    expect(mine[2].text).toBe(
      'drain of gpu-node-5 failed: Drain of gpu-node-5 interrupted after: cordoned. The SSH connection to gpu-node-5 dropped during Stop of gpu-node-5/qwen2-72b-finetune-0. The command may or may not have run; check the node before trying again.',
    );
    // The person is told the cordon went through and the stop may or may not have run.
    const told = `${actions[0].result.summary}\n${actions[0].result.output}`;
    expect(told).toMatch(/cordoned/);
    expect(told).toMatch(/may or may not have/);

    // It goes on working: the node is still there for other commands (it only dies on docker
    // stop), over a new connection.
    const status = replyText(await alice.send(channel, '/node status gpu-node-5'));
    // The cordon went through before the node died: the status says so.
    expect(status).toMatch(/gpu-node-5.*cordoned/s);
    expect(
      replyText(await alice.send(channel, '/incident update gpu-node-5 cordoned; checking the stop by hand')),
    ).toMatch(/update/i);
    expect(replyText(await alice.send(channel, '/node list'))).toMatch(/Fleet: 5 nodes/);
    // Still once.
    expect(drainCommands().filter((c) => c.command.startsWith('docker stop '))).toHaveLength(1);
    expect(bot.output.filter((l) => l.includes('"level":50'))).toEqual([]);

    // No duplicate channel, no double execution, no lost timeline entry.
    const after = await alice.incident(number);
    expect((await alice.channels()).filter((c: any) => c.name.startsWith(`inc-${number}-`))).toHaveLength(1);
    expect(after.actions).toHaveLength(1);
    expect(fleet.commandsOn('gpu-node-5').filter((c) => c.startsWith('docker stop '))).toHaveLength(1);
    expect(fleet.commandsOn('gpu-node-5').filter((c) => c.startsWith('scontrol update '))).toHaveLength(1);
    const kinds = after.timeline.map((e: any) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['declared', 'action_requested', 'action_approved', 'action_result', 'update']),
    );
    for (const k of ['action_requested', 'action_approved', 'action_result', 'update'])
      expect(kinds.filter((x: string) => x === k)).toHaveLength(1);
  });
});
