import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../scripts/discord-register.ts';
import { fixture } from '../alerts/fixtures.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord/index.ts';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * One bot on Slack and Discord at once: an incident lives where it was declared, and an alert
 * opens its incident on the platform `alerts.platform` names.
 */
describe('Slack and Discord in one bot', () => {
  const tmp = tempDir();
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let bot: BotProcess;

  beforeAll(async () => {
    slack = await startFakeSlack();
    discord = await startFakeDiscord();
    await registerCommands({ token: discord.token, guildId: discord.guildId, apiUrl: discord.apiUrl });
    writeFileSync(`${tmp.dir}/bot.yml`, 'alerts:\n  platform: discord\n');
    bot = await startBotProcess({
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      CONFIG_FILE: `${tmp.dir}/bot.yml`,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.url,
      DISCORD_TOKEN: discord.token,
      DISCORD_GUILD_ID: discord.guildId,
      DISCORD_API_URL: discord.apiUrl,
    });
    await Promise.all([slack.waitForConnection(), discord.waitForConnection()]);
  });

  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
    await discord?.close();
    tmp.remove();
  });

  const incidents = async () =>
    ((await (await fetch(`${bot.url}/api/incidents`)).json()) as { incidents: any[] }).incidents;

  it('keeps each incident on the platform it was declared on', async () => {
    const titled = (title: string) =>
      waitFor(async () => (await incidents()).find((i) => i.title === title && i.channelName), title);
    await slack.as('U0ALICE').command('C0GENERAL', 'declare Slack-side incident --severity SEV3');
    const onSlack = await titled('Slack-side incident');
    await waitFor(() => slack.channel(onSlack.channelName), 'the Slack channel');
    discord.as(discord.users.alice).command(discord.channels.general, 'incident', 'declare', {
      title: 'Discord-side incident',
      severity: 'SEV3',
    });
    const onDiscord = await titled('Discord-side incident');
    await waitFor(() => discord.channel(onDiscord.channelName), 'the Discord channel');
    expect(onSlack).toMatchObject({
      platform: 'slack',
      channelName: `inc-${onSlack.number}-slack-side-incident`,
    });
    expect(onDiscord).toMatchObject({
      platform: 'discord',
      channelName: `inc-${onDiscord.number}-discord-side-incident`,
    });
    // Neither platform got the other's channel.
    expect(slack.channel(onDiscord.channelName)).toBeUndefined();
    expect(discord.channel(onSlack.channelName)).toBeUndefined();
  });

  it('opens alert incidents on the configured platform', async () => {
    const res = await fetch(`${bot.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fixture('alertmanager-firing')),
    });
    expect(res.status).toBe(200);
    const incident = await waitFor(
      async () => (await incidents()).find((i) => i.createdBy === 'bot:alerts' && i.channelName),
      'the alert incident',
      10_000,
    );
    expect(incident.platform).toBe('discord');
    await waitFor(() => discord.channel(incident.channelName), 'its Discord channel');
  });
});
