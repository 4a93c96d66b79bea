import { z } from 'zod';
import { defineNodeAdapter } from '../adapter-module.ts';
import { createSimulatedAdapter } from './adapter.ts';

/** `type: simulated`: the demo fleet gpu-node-1…8, the default when no adapter is configured. */
export const simulatedModule = defineNodeAdapter({
  type: 'simulated',
  options: z.object({ type: z.literal('simulated'), name: z.string().min(1).default('simulated') }).strict(),
  create: async (options, { clock }) => createSimulatedAdapter({ clock, name: options.name }),
});
