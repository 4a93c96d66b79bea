import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One fast-check seed for the whole run (FUZZ_SEED to vary it).
    setupFiles: ['test/helpers/fuzz-seed.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // End-to-end tests boot whole bot processes; two cores are all CI has.
    maxWorkers: 2,
  },
});
