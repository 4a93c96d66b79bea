import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The two-person rule against someone who moves the severity to get round it, in the real bot
 * process through the sandbox, as the attack was made: lower the incident, approve one's own
 * drain, raise it back.
 */
describe('two-person rule when the severity moves', () => {
  const tmp = tempDir();
  let bot: BotProcess;
  let alice: SandboxClient;
  let bob: SandboxClient;
  let carol: SandboxClient;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
    alice = new SandboxClient(bot.url, 'alice');
    bob = alice.as('bob');
    carol = alice.as('carol');
  });

  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  async function declare(title: string, severity: string): Promise<{ channel: string; number: number }> {
    const general = (await alice.channel('general')).id;
    await alice.send(general, `/incident declare ${title} --severity ${severity}`);
    const incidents = (await alice.request('GET', '/api/incidents')).body.incidents;
    const incident = incidents.find((i: any) => i.title === title);
    const channel = (await alice.channel(incident.channelName)).id;
    // Responders, so the private-incident and sandbox membership rules let them in.
    await alice.send(channel, '/incident assign responder @bob');
    await alice.send(channel, '/incident assign responder @carol');
    return { channel, number: incident.number };
  }

  const approveButton = async (client: SandboxClient, channel: string, header: string) => {
    const m = await waitFor(
      async () =>
        (await client.messages(channel)).find((x) => !x.visibleTo && x.message.header?.startsWith(header)),
      header,
      15_000,
    );
    return {
      messageId: m.id as string,
      buttonId: m.message.buttons.find((b: any) => b.label === 'Approve').id,
    };
  };

  const statusOf = async (number: number) => (await alice.incident(number)).actions[0].status;

  it('a SEV1 drain stays two-person when its requester lowers the incident to approve it, and raises it back', async () => {
    const { channel, number } = await declare('NCCL ring broken on gpu-node-2', 'SEV1');
    await alice.send(channel, '/node drain gpu-node-2');
    const { messageId, buttonId } = await approveButton(alice, channel, '🛠️ drain gpu-node-2');

    expect(replyText(await alice.send(channel, '/incident severity SEV3'))).not.toMatch(/error|✋/i);
    expect((await alice.incident(number)).incident.severity).toBe('SEV3');
    const lowered = replyText(await alice.click(channel, messageId, buttonId));
    expect(lowered).toContain('SEV1 needs a second person');
    expect(lowered).toContain('it was requested at SEV1');
    expect(await statusOf(number)).toBe('requested');

    await alice.send(channel, '/incident severity SEV1');
    expect(replyText(await alice.click(channel, messageId, buttonId))).toContain(
      'SEV1 needs a second person',
    );
    expect(await statusOf(number)).toBe('requested');

    expect(replyText(await carol.click(channel, messageId, buttonId))).toContain(
      'Approved: the drain of gpu-node-2',
    );
    const { actions, timeline } = await alice.incident(number);
    expect(actions[0]).toMatchObject({ severity: 'SEV1', requestedBy: 'alice', decidedBy: 'carol' });
    expect(timeline.filter((e: any) => e.kind === 'action_approved')).toHaveLength(1);
  });

  it('whoever lowered the incident below SEV2 cannot approve their own request alone for ten minutes', async () => {
    const { channel, number } = await declare('Disk pressure on gpu-node-4', 'SEV2');
    await alice.send(channel, '/incident severity SEV3');
    await alice.send(channel, '/node cordon gpu-node-4');
    const { messageId, buttonId } = await approveButton(alice, channel, '🛠️ cordon gpu-node-4');
    const refused = replyText(await alice.click(channel, messageId, buttonId));
    expect(refused).toMatch(
      new RegExp(`You lowered INC-${number} from SEV2 to SEV3 (just now|1 min ago), so a second person`),
    );
    expect(await statusOf(number)).toBe('requested');
    expect(replyText(await bob.click(channel, messageId, buttonId))).toContain(
      'Approved: the cordon of gpu-node-4',
    );
  });

  it('a runbook’s drain at SEV1 needs one human, not the one who just raised the incident to SEV1', async () => {
    const res = await fetch(`${bot.url}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        source: 'gpu-health-cron',
        alerts: [
          {
            name: 'GPUXidError',
            status: 'firing',
            severity: 'warning',
            node: 'gpu-node-5',
            labels: { xid: '79' },
            summary: 'Xid 79 on gpu-node-5',
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const incident = await waitFor(
      async () =>
        (await alice.request('GET', '/api/incidents')).body.incidents.find(
          (i: any) => i.title.startsWith('GPUXidError') && i.channelName,
        ),
      'the alert incident',
      15_000,
    );
    expect(incident.severity).toBe('SEV3');
    const channel = (await alice.channel(incident.channelName)).id;
    const { messageId, buttonId } = await approveButton(alice, channel, '🛠️ drain gpu-node-5');
    expect((await alice.incident(incident.number)).actions[0]).toMatchObject({
      requestedBy: 'bot:alerts',
      severity: 'SEV3',
    });

    await bob.send(channel, '/incident severity SEV1');
    const refused = replyText(await bob.click(channel, messageId, buttonId));
    expect(refused).toMatch(
      new RegExp(
        `You raised INC-${incident.number} from SEV3 to SEV1 (just now|1 min ago), so at SEV1 someone else`,
      ),
    );
    expect((await alice.incident(incident.number)).actions[0].status).toBe('requested');
    expect(replyText(await alice.click(channel, messageId, buttonId))).toContain(
      'Approved: the drain of gpu-node-5',
    );
  });
});
