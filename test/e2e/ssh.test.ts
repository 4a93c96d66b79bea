import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshFleet, startSshFleet } from '../fakes/ssh/index.ts';
import { type BotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';
import { startBotOnSshFleet } from '../helpers/ssh-bot.ts';

/**
 * The bot process with an SSH inventory (real ssh2 client, pinned host keys) against in-process
 * ssh2 servers: triage, a preview, second-person approval, one execution, the result recorded.
 */
describe('SSH fleet through the sandbox', () => {
  const tmp = tempDir();
  let fleet: SshFleet;
  let bot: BotProcess;
  let alice: SandboxClient;
  let bob: SandboxClient;

  beforeAll(async () => {
    // Node i answers as the simulated gpu-node-i: 3 crash-loops, 5 lost a GPU (Xid 79).
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

  it('lists the SSH fleet and triages over SSH', async () => {
    const channel = (await alice.declare('"GPU fell off the bus on gpu-node-5" --severity SEV1')).channel.id;
    expect(replyText(await alice.send(channel, '/node list'))).toMatch(/Fleet: 5 nodes/);
    const reply = await alice.send(channel, '/node triage gpu-node-5 gpu-node-3');
    expect(replyText(reply)).toContain('Triage finished: 2 nodes');
    const headers = (await alice.messages(channel))
      .filter((m) => !m.visibleTo)
      .map((m) => m.message.header ?? '');
    expect(headers.some((h) => /^🔴 gpu-node-5: \d+ critical/.test(h))).toBe(true);
    expect(headers).toContain('🛠️ drain gpu-node-5: waiting for approval');
  });

  it('runs the approved drain once, over SSH, with the node name quoted and the incident as Slurm reason', async () => {
    const { number, channel: ch } = await alice.declare('"gpu-node-4 keeps failing jobs" --severity SEV1');
    const channel = ch.id as string;
    await alice.send(channel, '/node drain gpu-node-4');
    const request = (await alice.messages(channel)).find(
      (m) => m.message.header === '🛠️ drain gpu-node-4: waiting for approval',
    );
    const approve = request.message.buttons.find((b: any) => b.label === 'Approve');
    expect(replyText(await alice.click(channel, request.id, approve.id))).toMatch(
      /SEV1 needs a second person/,
    );
    const clicks = await Promise.all([
      bob.click(channel, request.id, approve.id),
      bob.click(channel, request.id, approve.id),
    ]);
    expect(clicks.map(replyText).filter((t) => t.includes('Approved'))).toHaveLength(1);
    const { actions, timeline } = await alice.incident(number);
    const drain = actions.find((a: any) => a.kind === 'drain');
    expect(drain.status).toBe('succeeded');
    expect(timeline.filter((e: any) => e.kind === 'action_result')).toHaveLength(1);
    const cordons = fleet.commands.filter((c) => c.command.includes('scontrol update nodename='));
    expect(cordons.map((c) => c.command)).toEqual([
      `scontrol update nodename='gpu-node-4' state=drain reason='incident-bot INC-${number}: gpu-node-4 keeps failing jobs'`,
    ]);
  });
});
