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

  it('refuses a call without the token and opens nothing', async () => {
    const res = await send(xid79Notification(), 'not-the-token-0123456789');
    expect(res.status).toBe(401);
    expect((await alice.request('GET', '/api/incidents')).body.incidents).toEqual([]);
  });

  it('opens the incident with the alert, the runbook, triage results and a drain waiting for approval', async () => {
    const res = await send(xid79Notification());
    expect(res.status).toBe(200);
    const incident = await waitFor(async () => (await alice.incident(1)).incident, 'INC-1');
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
    expect(drain.message.context[0]).toBe('Requested by Alertmanager (runbook recommendation) · INC-1');
    expect(drain.message.context[1]).not.toContain('second person');
    const detail = await alice.incident(1);
    expect(detail.actions.map((a: any) => [a.kind, a.target, a.status])).toEqual([
      ['drain', 'gpu-node-5', 'requested'],
    ]);
    expect(detail.timeline.map((e: any) => e.kind)).toEqual(
      expect.arrayContaining(['declared', 'alert', 'action_requested', 'command']),
    );
  });

  it('counts the firing alert against its node in /node list', async () => {
    const general = (await alice.channel('general')).id;
    const text = replyText(await alice.send(general, '/node list'));
    expect(text).toContain('Fleet: 8 nodes (7 ready · 1 not ready) · 🔥 1 with firing alerts');
    expect(text).toMatch(/`gpu-node-5` not ready · 8 GPU · 🔥 1 alert firing · simulated/);
    expect(text).toMatch(/`gpu-node-1` ready · 8 GPU · no alerts · simulated/);
  });

  it('treats a resend as the same incident, and offers to resolve when the alert resolves', async () => {
    expect((await send(xid79Notification())).status).toBe(200);
    const resolved = xid79Notification();
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = '2026-03-14T03:30:00Z';
    expect((await send(resolved)).status).toBe(200);
    const incident = (await alice.incident(1)).incident;
    const channel = await alice.channel(incident.channelName);
    const offer = await waitFor(
      async () =>
        (await alice.messages(channel.id)).find((m) =>
          m.message.buttons?.some((b: any) => b.label === 'Resolve INC-1'),
        ),
      'the offer to resolve',
    );
    expect((await alice.request('GET', '/api/incidents')).body.incidents).toHaveLength(1);
    const button = offer.message.buttons[0];
    const reply = await alice.click(channel.id, offer.id, button.id);
    expect(replyText(reply)).toContain('INC-1 is resolved.');
    expect((await alice.incident(1)).incident.status).toBe('resolved');
  });
});
