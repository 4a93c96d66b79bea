import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import type { NodeAdapter } from '../../src/nodes/port.ts';
import { simulatedModule } from '../../src/nodes/simulated/module.ts';
import { openStore } from '../../src/store/index.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { freshSchema, pgSuite, TEST_DATABASE_URL } from '../store/postgres-db.ts';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const build = (db: Kysely<unknown>, clock: ManualClock): Promise<NodeAdapter> =>
  simulatedModule.create({ type: 'simulated', name: 'simulated' }, { clock, logger, env: {}, db });

/** A drain, a restart and a cordon, a "restart of the bot" (a new adapter on the same database), and the fleet as they left it. */
async function survivesARestart(db: Kysely<unknown>) {
  const clock = new ManualClock(new Date('2026-12-07T03:00:00Z'));
  const first = await build(db, clock);
  const faultAt = (await first.diagnose('gpu-node-5', 'xid')).stdout;
  await first.drain('gpu-node-5');
  await first.restartWorkload('gpu-node-3/vllm-llama3-8b');
  await first.cordon('gpu-node-2');

  clock.advance(10 * 60_000);
  const second = await build(db, clock);
  const nodes = Object.fromEntries((await second.listNodes()).map((n) => [n.name, n.state]));
  expect(nodes).toMatchObject({ 'gpu-node-5': 'cordoned', 'gpu-node-2': 'cordoned', 'gpu-node-1': 'ready' });
  const moved = (await second.listWorkloads('gpu-node-8')).find((w) => w.name === 'qwen2-72b-finetune-0');
  expect(moved?.state).toBe('running');
  expect((await second.listWorkloads('gpu-node-5')).map((w) => w.name).sort()).toEqual([
    'dcgm-exporter',
    'node-exporter',
  ]);
  const vllm = (await second.listWorkloads('gpu-node-3')).find((w) => w.name === 'vllm-llama3-8b');
  expect(vllm).toMatchObject({ state: 'running', restartCount: 12 });
  // The faults keep their times: the Xid happened when it happened, not at the second start.
  expect((await second.diagnose('gpu-node-5', 'xid')).stdout).toBe(faultAt);
  // And the drain triage would ask for again has nothing left to move.
  expect((await second.planDrain('gpu-node-5')).evict).toEqual([]);
}

describe('the simulated fleet in the database', () => {
  it('comes back after a restart as people left it (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-saved-'));
    dirs.push(dir);
    const url = `sqlite:${join(dir, 'bot.db')}`;
    const opened = await openStore(url);
    try {
      await survivesARestart(opened.db as unknown as Kysely<unknown>);
    } finally {
      await opened.close();
    }
  });

  /** The simulated fleet started over a saved `state` it cannot read, and what it warned. */
  async function fromUnreadable(db: Kysely<unknown>, state: string, clock: ManualClock) {
    await sql`insert into simulated_fleet (name, state, updated_at) values ('simulated', ${state}, 'x')`.execute(
      db,
    );
    const warnings: { msg?: string; reason?: string }[] = [];
    const sim = await simulatedModule.create(
      { type: 'simulated', name: 'simulated' },
      {
        clock,
        logger: pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) }),
        env: {},
        db,
      },
    );
    return { sim, warnings };
  }

  it.each([
    [
      'saved before the research nodes existed',
      '{"version":1,"t0":0,"cordoned":["gpu-node-1"],"workloads":[]}',
      'it was saved by an older version of the simulated fleet (the seed has changed since)',
    ],
    ['that does not fit', '{"version":2,"t0":"soon"}', expect.any(String)],
  ])('starts from a fresh seed, and says why, when the saved state is %s', async (_what, state, reason) => {
    const opened = await openStore('sqlite::memory:');
    try {
      const db = opened.db as unknown as Kysely<unknown>;
      const clock = new ManualClock(new Date('2026-12-07T03:00:00Z'));
      const { sim, warnings } = await fromUnreadable(db, state, clock);
      expect(warnings).toEqual([
        expect.objectContaining({
          msg: 'the saved simulated fleet could not be read; starting from a fresh seed',
          reason,
        }),
      ]);
      const nodes = await sim.listNodes();
      expect(nodes.find((n) => n.name === 'gpu-node-1')?.state).toBe('ready');
      expect(nodes.find((n) => n.name === 'gpu-node-5')?.state).toBe('not_ready');
      expect((await sim.listWorkloads('gpu-node-9')).map((w) => w.name)).toContain('mixtral-8x22b-sft-0');
      // The next change overwrites it with one that reads.
      await sim.cordon('gpu-node-1');
      const again = await build(db, clock);
      expect((await again.listNodes()).find((n) => n.name === 'gpu-node-1')?.state).toBe('cordoned');
    } finally {
      await opened.close();
    }
  });
});

const pgDescribe = await pgSuite(describe, 'the simulated fleet on PostgreSQL');
pgDescribe('the simulated fleet in the database (PostgreSQL)', () => {
  it('comes back after a restart as people left it', async () => {
    const { schema, drop } = await freshSchema();
    const opened = await openPostgresStore(TEST_DATABASE_URL, { schema });
    try {
      await survivesARestart(opened.db as unknown as Kysely<unknown>);
    } finally {
      await opened.close();
      await drop();
    }
  });
});
