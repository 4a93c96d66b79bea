/**
 * One webhook body of 60,000 alerts (an Alertmanager group in a storm, just under the 4 MiB body
 * limit), printed, never asserted: how long the bot takes to answer it (the 200 comes once every
 * alert is committed) and how long its event loop stalls meanwhile, seen from outside as the
 * slowest answer to `GET /healthz`, polled back to back by a second client during the request and
 * for a while after it (when the worker carries the alerts to their incident).
 *
 * Runs the built bot (dist/main.mjs, as `npm start` does) on a fresh SQLite file. Run with
 * `npm run build && npx tsx bench/webhook-big-body.ts`; `ALERTS=` changes the count, `ROUNDS=` the
 * number of bodies (each on a group of its own).
 */
import { performance } from 'node:perf_hooks';
import { startBotProcess, tempDir } from '../test/helpers/bot-process.ts';

const ALERTS = Number(process.env.ALERTS ?? 60_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TOKEN = 'bench-webhook-token-0123456789';
/** How long /healthz is still watched after the 200: the worker's share of the work begins. */
const AFTER_MS = 3_000;

/** The generic webhook's shape, compact: one alert per node of a big fleet, 3.5 MiB for 60,000. */
export function bigBody(alerts: number, group: string): string {
  return JSON.stringify({
    source: 'bench',
    groupKey: group,
    alerts: Array.from({ length: alerts }, (_, i) => ({
      name: 'GpuXidError',
      status: 'firing',
      node: `gpu-${i}`,
    })),
  });
}

interface Probe {
  /** The longest the bot left a /healthz unanswered before `at` and after it (ms). */
  stop(at: number): Promise<{ before: number; after: number; errors: number }>;
}

/**
 * `GET /healthz` back to back: the slowest answer is the longest the bot answered nobody. Split
 * at the moment the 200 arrived, so the worker carrying the alerts afterwards is told apart from
 * the receive path (validate, normalise, store) that the 200 waits for.
 */
function probe(url: string): Probe {
  let running = true;
  const spans: [number, number][] = [];
  let errors = 0;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
      } catch {
        // A kept-alive connection the server closed while it was stalled: counted, the next is new.
        errors++;
      }
      spans.push([t0, performance.now()]);
    }
  })();
  return {
    async stop(at) {
      running = false;
      await loop;
      let before = 0;
      let after = 0;
      for (const [t0, t1] of spans) {
        if (t0 < at) before = Math.max(before, Math.min(t1, at) - t0);
        if (t1 > at) after = Math.max(after, t1 - Math.max(t0, at));
      }
      return { before, after, errors };
    },
  };
}

/** Until the worker has carried every stored alert (so one round's worker does not stall the next). */
async function settled(url: string): Promise<void> {
  for (;;) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (/^incident_bot_alert_groups_pending 0$/m.test(metrics)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const tmp = tempDir('incident-bot-bench-');
  const bot = await startBotProcess(
    { DATABASE_URL: `sqlite:${tmp.dir}/bot.db`, WEBHOOK_TOKEN: TOKEN },
    { built: true },
  );
  try {
    console.log(
      `One webhook body of ${ALERTS.toLocaleString('en')} alerts, ${ROUNDS} rounds (built bot, SQLite)`,
    );
    console.log('round   body      answer   total     max /healthz stall (during / after the 200)');
    for (let round = 1; round <= ROUNDS; round++) {
      const body = bigBody(ALERTS, `bench-big-${round}`);
      const watch = probe(bot.url);
      const t0 = performance.now();
      const res = await fetch(`${bot.url}/webhooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body,
      });
      const answered = performance.now();
      const answer = (await res.json()) as { alerts?: number; error?: { message: string } };
      const totalMs = answered - t0;
      await new Promise((r) => setTimeout(r, AFTER_MS));
      const stall = await watch.stop(answered);
      await settled(bot.url);
      const status =
        res.status === 200 ? `${answer.alerts} stored` : `${res.status} ${answer.error?.message}`;
      const errors = stall.errors ? `, ${stall.errors} probe connections reset` : '';
      console.log(
        `${String(round).padEnd(7)} ${(body.length / 1024 / 1024).toFixed(2)} MiB  ${res.status}      ${totalMs.toFixed(0).padStart(5)} ms  ${stall.before.toFixed(0).padStart(5)} ms / ${stall.after.toFixed(0).padStart(5)} ms   (${status}${errors})`,
      );
    }
  } finally {
    await bot.stop();
    tmp.remove();
  }
}

if (process.argv[1]?.endsWith('webhook-big-body.ts')) await main();
