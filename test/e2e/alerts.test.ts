import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xid79Notification } from '../alerts/fixtures.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';
import { waitFor } from '../helpers/wait.ts';

const WEBHOOK_TOKEN = 'e2e-webhook-token-0123456789';

/**
 * The whole path a user gets from adding the bot as an Alertmanager receiver: an Xid 79 on
 * gpu-node-5 of the simulated fleet, posted as Alertmanager posts it, ends in an incident channel
 * with the alert, the runbook, the triage and an approval-gated drain, in the real bot process.
 * Each test sends an alert group of its own, so each has its own incident.
 */
describe('Alertmanager webhook → incident channel with triage and a recommended drain', () => {
  const tmp = tempDir();
  let bot: BotProcess;
  let alice: SandboxClient;

  beforeAll(async () => {
    bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db`, WEBHOOK_TOKEN });
    alice = new SandboxClient(bot.url, 'alice');
  });

  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  const send = (body: unknown, token = WEBHOOK_TOKEN) =>
    fetch(`${bot.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });

  /** The Xid 79 notification, about `node`'s GPU `gpu`: its own alert group and fingerprint. */
  const xid79On = (node: string, gpu: string) =>
    JSON.parse(
      JSON.stringify(xid79Notification())
        .replaceAll('gpu-node-5', node)
        .replaceAll('GPU 3', `GPU ${gpu}`)
        .replace('"gpu":"3"', `"gpu":"${gpu}"`)
        .replaceAll('4f1a2c9d8e7b6a50', `4f1a2c9d8e7b6a${node.slice(-1)}${gpu}`),
    );

  /** The incident an alert opened, by its title, once the worker has opened it. */
  const openedFor = (title: string) =>
    waitFor(async () => {
      const { incidents } = (await alice.request('GET', '/api/incidents')).body;
      const found = incidents.filter((i: any) => i.title === title);
      return found.length > 0 && found;
    }, title);

  it('refuses a call without the token and opens nothing', async () => {
    const count = async () => (await alice.request('GET', '/api/incidents')).body.incidents.length;
    const before = await count();
    const res = await send(xid79On('gpu-node-4', '0'), 'not-the-token-0123456789');
    expect(res.status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('opens the incident with the alert, the runbook, triage results and a drain waiting for approval', async () => {
    const res = await send(xid79On('gpu-node-5', '3'));
    expect(res.status).toBe(200);
    const [{ number }] = await openedFor('GPUXidError: Xid 79 on gpu-node-5 GPU 3');
    const { incident } = await alice.incident(number);
    expect(incident).toMatchObject({ severity: 'SEV2', title: 'GPUXidError: Xid 79 on gpu-node-5 GPU 3' });
    const channel = await alice.channel(incident.channelName);
    const messages = await waitFor(
      async () => {
        const all = await alice.messages(channel.id);
        return all.some((m) => m.message.header?.startsWith('🛠️ drain gpu-node-5')) && all;
      },
      'the drain request',
      15_000,
    );
    const headers = messages.map((m: any) => m.message.header ?? m.message.text);
    expect(headers).toContain('🔥 1 alert firing');
    expect(headers).toContain('📘 Runbook: GPU Xid error');
    const triage = messages.find((m: any) => m.message.header?.startsWith('🔴 gpu-node-5'));
    expect(triage.message.sections.join('\n')).toContain('Xid 79');
    const drain = messages.find((m: any) => m.message.header?.startsWith('🛠️ drain gpu-node-5'));
    expect(drain.message.header).toBe('🛠️ drain gpu-node-5: waiting for approval');
    expect(drain.message.buttons.map((b: any) => b.label)).toEqual(['Approve', 'Cancel']);
    // The bot requested it, so one person's approval is the second pair of eyes.
    expect(drain.message.context[0]).toBe(
      `Requested by Alertmanager (runbook recommendation) · INC-${number}`,
    );
    expect(drain.message.context[1]).not.toContain('second person');
    const detail = await alice.incident(number);
    expect(detail.actions.map((a: any) => [a.kind, a.target, a.status])).toEqual([
      ['drain', 'gpu-node-5', 'requested'],
    ]);
    expect(detail.timeline.map((e: any) => e.kind)).toEqual(
      expect.arrayContaining(['declared', 'alert', 'action_requested', 'command']),
    );
  });

  it('counts the firing alert against its node in /node list', async () => {
    expect((await send(xid79On('gpu-node-2', '1'))).status).toBe(200);
    await openedFor('GPUXidError: Xid 79 on gpu-node-2 GPU 1');
    const general = (await alice.channel('general')).id;
    const text = replyText(await alice.send(general, '/node list'));
    expect(text).toMatch(/^Fleet: 13 nodes \(11 ready · 2 not ready\) · 🔥 \d+ with firing alerts/);
    expect(text).toMatch(/`gpu-node-2` ready · 8 GPU · 🔥 1 alert firing · simulated/);
    // No test here fires an alert on gpu-node-1.
    expect(text).toMatch(/`gpu-node-1` ready · 8 GPU · no alerts · simulated/);
  });

  it('treats a resend as the same incident, and offers to resolve when the alert resolves', async () => {
    const title = 'GPUXidError: Xid 79 on gpu-node-7 GPU 0';
    expect((await send(xid79On('gpu-node-7', '0'))).status).toBe(200);
    const [{ number }] = await openedFor(title);
    expect((await send(xid79On('gpu-node-7', '0'))).status).toBe(200);
    const resolved = xid79On('gpu-node-7', '0');
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = '2026-03-14T03:30:00Z';
    expect((await send(resolved)).status).toBe(200);
    const incident = (await alice.incident(number)).incident;
    const channel = await alice.channel(incident.channelName);
    const offer = await waitFor(
      async () =>
        (await alice.messages(channel.id)).find((m) =>
          m.message.buttons?.some((b: any) => b.label === `Resolve INC-${number}`),
        ),
      'the offer to resolve',
    );
    expect(await openedFor(title)).toHaveLength(1);
    const button = offer.message.buttons[0];
    const reply = await alice.click(channel.id, offer.id, button.id);
    expect(replyText(reply)).toContain(`INC-${number} resolved.`);
    expect((await alice.incident(number)).incident.status).toBe('resolved');
  });
});
