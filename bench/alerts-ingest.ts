/**
 * Alert ingestion, printed, never asserted (goal: ≥ 5,000 alerts/s in Alertmanager batches of 10,
 * p99 acknowledgement ≤ 50 ms, on SQLite).
 *
 * Runs the built bot (dist/main.mjs, as `npm start` does) on a fresh SQLite file and posts
 * Alertmanager v4 payloads of 10 alerts each from CONCURRENCY senders: first every group firing,
 * then the same payloads again (resends), then every alert resolved, so the three kinds of write
 * a real Alertmanager makes are all in the mix. Figures are printed for 8 and for 16 concurrent senders. The bot's worker carries the alerts to incidents
 * (the storm guard bounds the channels) while the webhooks are being hit. An acknowledgement is
 * the 200 the webhook sends once the batch is committed to disk (WAL, synchronous=FULL).
 *
 * Run with `npm run bench:alerts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBotProcess, tempDir } from '../test/helpers/bot-process.ts';

const GROUPS = Number(process.env.GROUPS ?? 500);
const BATCH = 10;
/** Senders posting at once; each level runs on a fresh bot. Latency grows with it (Little's law). */
const CONCURRENCY_LEVELS = (process.env.CONCURRENCY ?? '8,16').split(',').map(Number);
const TOKEN = 'bench-webhook-token-0123456789';

function payload(group: number, status: 'firing' | 'resolved') {
  const node = `gpu-node-${(group % 8) + 1}`;
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="GpuHighTemperature", group="${group}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'incident-bot',
    groupLabels: { alertname: 'GpuHighTemperature', group: String(group) },
    commonLabels: { alertname: 'GpuHighTemperature', severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: Array.from({ length: BATCH }, (_, i) => ({
      status,
      labels: {
        alertname: 'GpuHighTemperature',
        severity: 'warning',
        node,
        gpu: String(i),
        group: String(group),
      },
      annotations: { summary: `GPU ${i} on ${node} above 85°C` },
      startsAt: '2026-11-22T03:00:00Z',
      endsAt: status === 'resolved' ? '2026-11-22T03:20:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: `${group.toString(16)}-${i}`,
    })),
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function phase(url: string, bodies: readonly string[], concurrency: number) {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const sender = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const t0 = performance.now();
      const res = await fetch(`${url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: bodies[i],
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    alertsPerSecond: (bodies.length * BATCH) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1]!,
  };
}

async function run(concurrency: number): Promise<void> {
  const tmp = tempDir('incident-bot-bench-');
  const configFile = join(tmp.dir, 'bot.yml');
  writeFileSync(configFile, 'stormGuard:\n  maxNewPerMinute: 5\n');
  const bot = await startBotProcess(
    { DATABASE_URL: `sqlite:${tmp.dir}/bot.db`, WEBHOOK_TOKEN: TOKEN, CONFIG_FILE: configFile },
    { built: true },
  );
  try {
    const groups = Array.from({ length: GROUPS }, (_, g) => g);
    // Warm-up (JIT, connections): 100 deliveries of one group, which opens one incident; the
    // measured phases still open the storm guard's other new incidents and the storm incident.
    await phase(
      bot.url,
      Array.from({ length: 100 }, () => payload(1_000_000, 'firing')),
      concurrency,
    );
    const firing = groups.map((g) => payload(g, 'firing'));
    const rows: [string, Awaited<ReturnType<typeof phase>>][] = [
      ['new alerts (firing)', await phase(bot.url, firing, concurrency)],
      ['resends (no change)', await phase(bot.url, firing, concurrency)],
      [
        'resolved',
        await phase(
          bot.url,
          groups.map((g) => payload(g, 'resolved')),
          concurrency,
        ),
      ],
    ];
    console.log(
      `\n${concurrency} concurrent senders, ${GROUPS} groups × ${BATCH} alerts per phase, SQLite (WAL, synchronous=FULL)`,
    );
    console.log('phase                  alerts/s   ack p50    ack p99    ack max');
    for (const [name, r] of rows) {
      console.log(
        `${name.padEnd(22)} ${Math.round(r.alertsPerSecond).toString().padStart(8)}   ${r.p50.toFixed(1).padStart(6)} ms ${r.p99.toFixed(1).padStart(6)} ms ${r.max.toFixed(1).padStart(7)} ms`,
      );
    }
  } finally {
    await bot.stop();
    tmp.remove();
  }
}

console.log('Alert ingestion (goal: ≥ 5,000 alerts/s with ack p99 ≤ 50 ms)');
for (const c of CONCURRENCY_LEVELS) await run(c);
