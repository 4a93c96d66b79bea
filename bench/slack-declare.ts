/**
 * Declare → channel ready in Slack, printed, never asserted. The bot runs as `npm start` does
 * (dist/main.mjs, Socket Mode) against the in-repo fake Slack, which adds a fixed 50 ms to every
 * Web API call. "Ready" means: channel created, topic set, declarer invited, card posted.
 *
 * The critical path is two round trips (create the channel, then topic, invitations, card and
 * announcement in parallel) = 100 ms; the goal is p50 ≤ 1.3× and p99 ≤ 1.6× of it.
 *
 * Declares are spaced so conversations.create and conversations.setTopic (Slack Tier 2, about 20
 * a minute) stay within Slack's budget: past it the bot waits on purpose, and that would measure
 * Slack's rate limit rather than the bot.
 *
 * Run: npm run bench:slack
 */
import { performance } from 'node:perf_hooks';
import { startFakeSlack } from '../test/fakes/slack/index.ts';
import { startBotProcess, tempDir } from '../test/helpers/bot-process.ts';

const LATENCY_MS = 50;
const SAMPLES = Number(process.env.SAMPLES ?? 20);
const SPACING_MS = 6_500;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const tmp = tempDir('incident-bot-bench-slack-');
  const fake = await startFakeSlack({ latencyMs: LATENCY_MS });
  const bot = await startBotProcess(
    {
      DATABASE_URL: `sqlite:${tmp.dir}/bot.db`,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_APP_TOKEN: fake.appToken,
      SLACK_API_URL: fake.url,
      SLACK_ANNOUNCE_CHANNEL: '#incidents',
      LOG_LEVEL: 'info',
    },
    { built: true },
  );
  try {
    await fake.waitForConnection();
    const alice = fake.as('U0ALICE');
    // Warm-up: the first declare also looks up alice and the user groups (cached afterwards).
    await alice.command('C0GENERAL', 'declare warm up');
    await new Promise((r) => setTimeout(r, SPACING_MS));

    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const number = i + 2;
      const t0 = performance.now();
      await alice.command('C0GENERAL', `declare bench incident ${number} --severity SEV2`);
      for (;;) {
        const ch = fake.channels().find((c) => c.name.startsWith(`inc-${number}-`));
        if (ch?.topic && ch.members.includes('U0ALICE') && fake.messages(ch.id).some((m) => m.byBot)) break;
        await new Promise((r) => setTimeout(r, 1));
      }
      samples.push(performance.now() - t0);
      if (i < SAMPLES - 1) await new Promise((r) => setTimeout(r, SPACING_MS));
    }
    samples.sort((a, b) => a - b);
    const critical = 2 * LATENCY_MS;
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    console.log(
      `declare → channel ready in Slack (fake Slack, +${LATENCY_MS} ms per call), ${SAMPLES} declares:`,
    );
    console.log(
      `  p50 ${p50.toFixed(0)} ms = ${(p50 / critical).toFixed(2)}× the ${critical} ms critical path (goal ≤ 1.3×)`,
    );
    console.log(`  p99 ${p99.toFixed(0)} ms = ${(p99 / critical).toFixed(2)}× (goal ≤ 1.6×)`);
    console.log(`  all (ms, sorted): ${samples.map((x) => x.toFixed(0)).join(' ')}`);
  } finally {
    await bot.stop();
    await fake.close();
    tmp.remove();
  }
}

await main();
