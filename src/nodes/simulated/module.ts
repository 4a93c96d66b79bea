import type { Kysely } from 'kysely';
import { z } from 'zod';
import { defineNodeAdapter } from '../adapter-module.ts';
import { createSimulatedAdapter } from './adapter.ts';
import { SavedFleet, type SimulatedFleetTable } from './saved.ts';

/**
 * `type: simulated`: the demo fleet gpu-node-1…13, the default when no adapter is configured. Its
 * state is kept in the bot's database, so a restart finds the fleet as people left it.
 */
export const simulatedModule = defineNodeAdapter({
  type: 'simulated',
  options: z.object({ type: z.literal('simulated'), name: z.string().min(1).default('simulated') }).strict(),
  create: async (options, { clock, logger, db }) => {
    if (!db) return createSimulatedAdapter({ clock, name: options.name });
    const saved = new SavedFleet(db as unknown as Kysely<SimulatedFleetTable>, options.name);
    const { snapshot, unreadable } = await saved.load();
    if (unreadable) {
      logger.warn(
        { adapter: options.name, reason: unreadable },
        'the saved simulated fleet could not be read; starting from a fresh seed',
      );
    } else if (snapshot) {
      logger.info(
        { adapter: options.name, cordoned: snapshot.cordoned },
        'simulated fleet restored as the last run left it',
      );
    }
    return createSimulatedAdapter({
      clock,
      name: options.name,
      saved: {
        ...(snapshot ? { initial: snapshot } : {}),
        // A failed save is logged, not thrown: the change itself was made and its result stands.
        save: (state) =>
          saved.save(state, clock.now()).catch((err: unknown) => {
            logger.warn({ err, adapter: options.name }, 'could not save the simulated fleet');
          }),
      },
    });
  },
});
