import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

/** Slack's HTTP mode: signed requests to /slack/events on the bot's own server. */
describe('Slack in HTTP mode, end to end', () => {
  const tmp = tempDir();
  let fake: FakeSlack;
  let bot: BotProcess;
  let events: string;

  beforeAll(async () => {
    fake = await startFakeSlack();
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: fake.signingSecret,
      SLACK_API_URL: fake.url,
    });
    events = `${bot.url}/slack/events`;
    fake.useHttp(events);
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    tmp.remove();
  });

  const incidents = async () => ((await (await fetch(`${bot.url}/api/incidents`)).json()) as any).incidents;
  const titles = async () => (await incidents()).map((i: any) => i.title as string);

  /** Declares by a signed slash command as carol; the incident, once its channel has her in it. */
  async function declare(title: string): Promise<{ number: number; channel: string }> {
    await fake.as('U0CAROL').command('C0GENERAL', `declare ${title}`);
    const incident = await waitFor(
      async () => (await incidents()).find((i: any) => i.title === title && i.channelName),
      title,
    );
    await waitFor(() => fake.channel(incident.channelName)?.members.includes('U0CAROL'), 'the channel');
    return { number: incident.number, channel: fake.channel(incident.channelName)!.id };
  }

  it('answers Slack’s URL verification', async () => {
    const r = await fake.postSigned(events, 'event', fake.build.urlVerification('challenge-123'));
    expect(r.status).toBe(200);
    expect(r.body).toContain('challenge-123');
  });

  it('declares from a signed slash command, acked within Slack’s 3 seconds', async () => {
    const cmd = await fake
      .as('U0CAROL')
      .command('C0GENERAL', 'declare NCCL timeouts on rack r2 --severity SEV1');
    expect(cmd.delivery.status).toBe(200);
    expect(cmd.delivery.ms).toBeLessThan(3000);
    const incident = await waitFor(
      async () => (await incidents()).find((i: any) => i.title === 'NCCL timeouts on rack r2'),
      'the incident',
    );
    expect(incident).toMatchObject({ severity: 'SEV1', platform: 'slack' });
    const ch = await waitFor(
      () => fake.channel(`inc-${incident.number}-nccl-timeouts-on-rack-r2`)?.members.includes('U0CAROL'),
      'channel',
    );
    expect(ch).toBe(true);
  });

  it('refuses a forged signature and a replayed (stale) request, and changes nothing', async () => {
    const before = await titles();
    const forged = fake.build.slashCommand({ user: 'U0CAROL', channel: 'C0GENERAL', text: 'declare forged' });
    const r1 = await fake.postSigned(events, 'command', forged.payload, { forgeSignature: true });
    expect(r1.status).toBe(401);
    const stale = fake.build.slashCommand({
      user: 'U0CAROL',
      channel: 'C0GENERAL',
      text: 'declare replayed',
    });
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    const r2 = await fake.postSigned(events, 'command', stale.payload, { timestamp: tenMinutesAgo });
    expect(r2.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(await titles()).toEqual(before);
  });

  // Bolt only refuses timestamps in the past: one an hour ahead would stay "fresh" for an hour.
  it('refuses a request signed with a timestamp from the future, and an unsigned one, changing nothing', async () => {
    const before = await titles();
    const ahead = fake.build.slashCommand({
      user: 'U0CAROL',
      channel: 'C0GENERAL',
      text: 'declare from the future',
    });
    const r1 = await fake.postSigned(events, 'command', ahead.payload, {
      timestamp: Math.floor(Date.now() / 1000) + 3600,
    });
    expect(r1.status).toBe(401);
    expect((r1.json as any).error.code).toBe('bot.slack.stale');
    const r2 = await fetch(events, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'event_callback' }),
    });
    expect(r2.status).toBe(401);
    expect(((await r2.json()) as any).error.code).toBe('bot.slack.unsigned');
    await new Promise((r) => setTimeout(r, 300));
    expect(await titles()).toEqual(before);
  });

  it('acts once on an event Slack retries (X-Slack-Retry-Num)', async () => {
    const { number, channel } = await declare('ib0 flapping on gpu-node-6');
    const said = await fake.as('U0CAROL').post(channel, 'ib0 link flapping on gpu-node-6');
    await fake.redeliver(said, { retryAttempt: 1, retryReason: 'http_timeout' });
    await waitFor(async () => {
      const detail = (await (await fetch(`${bot.url}/api/incidents/${number}`)).json()) as any;
      return detail.timeline.some((e: any) => e.kind === 'message');
    }, 'the message on the timeline');
    await new Promise((r) => setTimeout(r, 200));
    const detail = (await (await fetch(`${bot.url}/api/incidents/${number}`)).json()) as any;
    expect(detail.timeline.filter((e: any) => e.kind === 'message')).toHaveLength(1);
  });
});

describe('Slack start-up errors', () => {
  it('stops at once with a clear line when Slack refuses the token', async () => {
    const fake = await startFakeSlack();
    const tmp = tempDir();
    try {
      const err = await startBotProcess({
        DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
        SLACK_BOT_TOKEN: 'xoxb-0000-wrong-token',
        SLACK_APP_TOKEN: fake.appToken,
        SLACK_API_URL: fake.url,
      }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain('incident-bot: Slack did not accept SLACK_BOT_TOKEN');
      expect((err as Error).message).toContain('OAuth & Permissions');
      expect((err as Error).message).not.toContain('xoxb-0000-wrong-token');
    } finally {
      await fake.close();
      tmp.remove();
    }
  });
});
