import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';

/**
 * An approval-gated drain in the sandbox: preview, refusal of the requester at SEV2, approval by a
 * second person, one execution however many clicks, and the record on the timeline. One bot
 * process (and one simulated fleet) for the file: each test declares its own incident, and the
 * tests that change a node each change their own.
 */
describe('confirmed mitigation in the sandbox', () => {
  const tmp = tempDir();
  let bot: BotProcess;
  let alice: SandboxClient;
  let carol: SandboxClient;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
    alice = new SandboxClient(bot.url, 'alice');
    carol = alice.as('carol');
  });

  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  /** A SEV2 incident declared by alice, with carol as a responder (so she may see and approve). */
  const incident = async (title: string) => {
    const { number, channel } = await alice.declare(`"${title}" --severity SEV2`);
    await alice.send(channel.id, '/incident assign responder @carol');
    return { number, channel: channel.id as string };
  };

  const actionMessage = async (client: SandboxClient, channel: string, header: string) =>
    (await client.messages(channel)).find((m) => !m.visibleTo && m.message.header?.startsWith(header));

  it('shows the fleet', async () => {
    const { channel } = await incident('Fleet check');
    const text = replyText(await alice.send(channel, '/node list'));
    expect(text).toMatch(/^Fleet: 13 nodes \(/);
    // No test here changes these two.
    expect(text).toMatch(/gpu-node-5` not ready · 8 GPU/);
    expect(text).toMatch(/gpu-node-1` ready · 8 GPU/);
  });

  it('previews a drain and waits for approval', async () => {
    const { channel } = await incident('NCCL rendezvous hangs on gpu-node-6');
    const reply = await alice.send(channel, '/node drain gpu-node-6');
    expect(replyText(reply)).toContain('Requested drain of gpu-node-6');
    expect(replyText(reply)).toContain('a second person');
    const m = await actionMessage(alice, channel, '🛠️ drain gpu-node-6');
    expect(m.message.header).toBe('🛠️ drain gpu-node-6: waiting for approval');
    expect(m.message.sections[0]).toContain('qwen2-72b-finetune-1');
    expect(m.message.sections[0]).toMatch(/Left in place: .*system workload/);
    const approve = m.message.buttons.find((b: any) => b.label === 'Approve');
    expect(approve.id).toMatch(/^act:approve:[0-9a-f-]{36}$/);
    expect(approve.confirm.title).toBe('Run drain on gpu-node-6?');
  });

  it('refuses the requester as approver at SEV2 and changes nothing', async () => {
    const { number, channel } = await incident('Drain gpu-node-6, asked and approved by one person');
    await alice.send(channel, '/node drain gpu-node-6');
    const m = await actionMessage(alice, channel, '🛠️ drain gpu-node-6');
    const approve = m.message.buttons.find((b: any) => b.label === 'Approve');
    const reply = await alice.click(channel, m.id, approve.id);
    expect(replyText(reply)).toMatch(/SEV2 needs a second person/);
    expect((await alice.incident(number)).actions[0].status).toBe('requested');
  });

  it('runs once when a second person approves, however many clicks arrive', async () => {
    const { number, channel } = await incident('Drain gpu-node-8');
    await alice.send(channel, '/node drain gpu-node-8');
    const m = await actionMessage(carol, channel, '🛠️ drain gpu-node-8');
    const approve = m.message.buttons.find((b: any) => b.label === 'Approve');
    const clicks = await Promise.all([
      carol.click(channel, m.id, approve.id),
      carol.click(channel, m.id, approve.id),
      carol.click(channel, m.id, approve.id, 'same-event-id-1'),
      carol.click(channel, m.id, approve.id, 'same-event-id-1'),
    ]);
    const texts = clicks.map(replyText);
    expect(texts.filter((t) => t.includes('Approved: the drain of gpu-node-8 succeeded'))).toHaveLength(1);

    const { actions, timeline } = await alice.incident(number);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ status: 'succeeded', decidedBy: 'carol', requestedBy: 'alice' });
    expect(actions[0].result.summary).toMatch(/^Drained gpu-node-8/);
    const kinds = timeline.map((e: any) => e.kind).filter((k: string) => k.startsWith('action_'));
    expect(kinds).toEqual(['action_requested', 'action_approved', 'action_result']);

    const done = await actionMessage(carol, channel, '🛠️ drain gpu-node-8');
    expect(done.message.header).toBe('🛠️ drain gpu-node-8: succeeded');
    expect(done.message.buttons).toBeUndefined();
    expect(replyText(await alice.send(channel, '/node list'))).toMatch(/gpu-node-8` cordoned/);
  });

  it('lets the requester cancel, and refuses a stale click after that', async () => {
    const { channel } = await incident('Cordon gpu-node-2, then not');
    await alice.send(channel, '/node cordon gpu-node-2');
    const m = await actionMessage(alice, channel, '🛠️ cordon gpu-node-2');
    const [approve, cancel] = m.message.buttons;
    expect(replyText(await alice.click(channel, m.id, cancel.id))).toContain(
      'Cancelled the cordon of gpu-node-2',
    );
    const late = await carol.request('POST', '/sandbox/api/click', {
      user: 'carol',
      channelId: channel,
      messageId: m.id,
      buttonId: approve.id,
    });
    // A click from a view drawn before the cancel: the bot says who cancelled it, and when.
    expect(late.status).toBe(200);
    expect(replyText(late.body)).toMatch(
      /^❌ Alice \(SRE\) cancelled this cordon of gpu-node-2 at \d{2}:\d{2}/,
    );
    expect(replyText(late.body)).toContain('Nothing was done for this click.');
  });

  it('triages nodes from the channel and lists workloads', async () => {
    const { number, channel } = await incident('Crash loop and OOM kills');
    const reply = await alice.send(channel, '/node triage gpu-node-3 gpu-node-7');
    expect(replyText(reply)).toContain('Triage finished: 2 nodes');
    const posts = (await alice.messages(channel))
      .filter((m) => !m.visibleTo)
      .map((m) => m.message.header ?? m.message.text);
    expect(posts).toEqual(expect.arrayContaining(['🔎 Triage of 2 nodes: 2/2 done ✅']));
    expect(posts.some((p) => /^🟠 gpu-node-3: \d+ warning/.test(p))).toBe(true);
    const workloads = replyText(await alice.send(channel, '/workload list --node gpu-node-3'));
    expect(workloads).toMatch(/restarting · \d+ GPU · \d+ restarts · last exit \d+/);
    const id = /`(gpu-node-3\/[^`]+)` restarting/.exec(workloads)![1];
    const logs = await alice.send(channel, `/workload logs ${id} --tail 5`);
    expect(logs.reply.visibility).toBe('ephemeral');
    expect(replyText(logs)).toContain(`📜 ${id}: last 5 lines`);
    expect(replyText(await alice.send(channel, '/workload logs no-such-thing'))).toMatch(/No workload/);
    expect(replyText(await alice.send(channel, '/node triage'))).toMatch(
      /Name the nodes to triage, or use --all/,
    );
    expect(replyText(await alice.send(channel, '/node triage gpu-node-09'))).toMatch(
      /Did you mean gpu-node-/,
    );
    // What the triage found that calls for a mitigation became a request.
    expect((await alice.incident(number)).actions.map((a: any) => [a.kind, a.target])).toEqual([
      ['restart', 'gpu-node-3/vllm-llama3-8b'],
    ]);
  });

  it('answers unknown nodes and unsafe names clearly, and requests nothing', async () => {
    const { number, channel } = await incident('Typos');
    expect(replyText(await alice.send(channel, '/node drain gpu-node-99'))).toMatch(
      /No node named gpu-node-99/,
    );
    expect(replyText(await alice.send(channel, '/node cordon "gpu-node-1; rm -rf /"'))).toMatch(
      /is not a valid node name/,
    );
    expect((await alice.incident(number)).actions).toEqual([]);
  });
});
