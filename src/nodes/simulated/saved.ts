import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { FleetSnapshot, SimWorkload } from './model.ts';

/**
 * The simulated fleet's state, kept in the bot's database beside the incidents (table
 * `simulated_fleet`, one row per simulated adapter), so a restart, even `kill -9`, finds the
 * cordons, drains and restarts people made: triage then does not ask for the same drain again.
 */
export interface SimulatedFleetTable {
  simulated_fleet: { name: string; state: string; updated_at: string };
}

const profile = z.object({
  gpus: z.number().int().nonnegative(),
  system: z.boolean(),
  memMiB: z.number().nonnegative(),
  load: z.number().nonnegative(),
  gpuUtilPct: z.number().nonnegative(),
  gpuMemMiB: z.number().nonnegative(),
  ports: z.array(z.number().int()),
});

const workload = z.object({
  id: z.string(),
  name: z.string(),
  node: z.string(),
  profile,
  state: z.enum(['running', 'restarting', 'exited', 'stopped']),
  restartCount: z.number().int().nonnegative(),
  lastExitCode: z.number().int().nullable(),
  gpuIndices: z.array(z.number().int().nonnegative()),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  crashLoop: z.object({ exitCode: z.number().int(), firstExitAt: z.number() }).nullable(),
  created: z.number().int().nonnegative(),
});

/**
 * 2: the seed gained the research nodes gpu-node-9…13; a version-1 state has none of their
 * workloads, so it is read as unreadable and the fleet starts from the new seed.
 */
const SNAPSHOT_VERSION = 2;

// Checked against the model's own types: a field added to SimWorkload and not here fails to compile.
const snapshot = z.object({
  version: z.literal(SNAPSHOT_VERSION, {
    error: () => `it was saved by an older version of the simulated fleet (the seed has changed since)`,
  }),
  t0: z.number(),
  cordoned: z.array(z.string()),
  workloads: z.array(workload satisfies z.ZodType<SimWorkload>),
});

export class SavedFleet {
  constructor(
    private readonly db: Kysely<SimulatedFleetTable>,
    private readonly name: string,
  ) {}

  /**
   * The saved state, if there is one this version can read; `unreadable` says why one was not
   * (the fleet then starts from its seed, and the next change overwrites it).
   */
  async load(): Promise<{ snapshot?: FleetSnapshot; unreadable?: string }> {
    const row = await this.db
      .selectFrom('simulated_fleet')
      .select('state')
      .where('name', '=', this.name)
      .executeTakeFirst();
    if (!row) return {};
    let json: unknown;
    try {
      json = JSON.parse(row.state);
    } catch {
      return { unreadable: 'it is not JSON' };
    }
    const parsed = snapshot.safeParse(json);
    if (!parsed.success) return { unreadable: parsed.error.issues[0]?.message ?? 'it does not fit' };
    const { version: _, ...rest } = parsed.data;
    return { snapshot: rest };
  }

  async save(state: FleetSnapshot, at: Date): Promise<void> {
    const row = {
      state: JSON.stringify({ version: SNAPSHOT_VERSION, ...state }),
      updated_at: at.toISOString(),
    };
    await this.db
      .insertInto('simulated_fleet')
      .values({ name: this.name, ...row })
      .onConflict((oc) => oc.column('name').doUpdateSet(row))
      .execute();
  }
}
