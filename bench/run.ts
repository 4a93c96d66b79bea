/**
 * Figures for the foundation, printed, never asserted:
 *  - start-up: process spawn → first 200 from /healthz (goal ≤ 2 s);
 *  - idle RSS of a bot whose database holds 1,000 incidents (goal ≤ 120 MB).
 * Run with `npm run bench` (it builds first, then runs dist/main.mjs as `npm start` does).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SEVERITIES } from '../src/core/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { startBotProcess, tempDir } from '../test/helpers/bot-process.ts';

async function waitHealthy(url: string): Promise<void> {
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

async function seed(path: string, count: number): Promise<void> {
  const { store, close } = await openSqliteStore(path);
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < count; i++) {
    await store.transaction(async (tx) => {
      const at = new Date(start + i * 3_600_000);
      const incident = await tx.createIncident({
        id: randomUUID(),
        title: `Seeded incident ${i + 1}: Xid 79 on gpu-node-${(i % 8) + 1}`,
        description: 'seeded for the benchmark',
        severity: SEVERITIES[i % 4]!,
        private: false,
        platform: 'sandbox',
        createdBy: 'alice',
        createdAt: at,
      });
      for (let j = 0; j < 10; j++) {
        await tx.appendTimeline({
          incidentId: incident.id,
          kind: j === 0 ? 'declared' : 'message',
          at: new Date(at.getTime() + j * 60_000),
          actorId: 'alice',
          actorName: 'Alice',
          text: `timeline entry ${j} of incident ${i + 1}`,
        });
      }
    });
  }
  await close();
}

async function main(): Promise<void> {
  const tmp = tempDir('incident-bot-bench-');
  try {
    const runs = 5;
    const startups: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const bot = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/startup.db` }, { built: true });
      await waitHealthy(bot.url);
      startups.push(performance.now() - t0);
      await bot.stop();
    }
    startups.sort((a, b) => a - b);
    console.log(
      `start-up to ready /healthz: median ${startups[Math.floor(runs / 2)]!.toFixed(0)} ms, ` +
        `min ${startups[0]!.toFixed(0)} ms, max ${startups[runs - 1]!.toFixed(0)} ms over ${runs} runs (goal ≤ 2000 ms)`,
    );

    const db = `${tmp.dir}/rss.db`;
    const t1 = performance.now();
    await seed(db, 1000);
    console.log(
      `seeded 1,000 incidents with 10,000 timeline entries in ${(performance.now() - t1).toFixed(0)} ms`,
    );
    const bot = await startBotProcess({ DATABASE_URL: `sqlite:${db}` }, { built: true });
    await waitHealthy(bot.url);
    const list = await (await fetch(`${bot.url}/api/incidents?limit=1000`)).json();
    await (await fetch(`${bot.url}/api/incidents/500`)).json();
    await new Promise((r) => setTimeout(r, 2000));
    const pid = bot.child.pid!;
    console.log(
      `idle RSS with ${(list as { incidents: unknown[] }).incidents.length} stored incidents: ` +
        `${rssMiB(pid).toFixed(1)} MiB (goal ≤ 120 MB)`,
    );
    await bot.stop();
  } finally {
    tmp.remove();
  }
}

await main();
