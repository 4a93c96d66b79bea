import fc from 'fast-check';
import { beforeEach } from 'vitest';

/*
 * Every fast-check property in the suite runs from one seed (vitest.config.ts loads this file
 * before each test file), so a run is the same run on every machine and a red test stays red:
 * `FUZZ_SEED=<n> npm test` tries other inputs, and a failure says how to replay it.
 */
const DEFAULT_SEED = 20_261_122;

function seedFrom(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEED;
  const seed = Number(raw);
  // fast-check takes any 32-bit integer.
  if (!Number.isInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) {
    throw new Error(`FUZZ_SEED must be a 32-bit integer, not ${JSON.stringify(raw)}`);
  }
  return seed;
}

export const FUZZ_SEED = seedFrom(process.env.FUZZ_SEED);

fc.configureGlobal({ seed: FUZZ_SEED });

beforeEach(({ onTestFailed }) => {
  onTestFailed(({ task }) => {
    // fast-check's own message has the property's seed and path; this is the run's.
    if (!task.result?.errors?.some((e) => /Property failed after/.test(String(e.message)))) return;
    console.error(
      `fuzz: "${task.name}" failed with FUZZ_SEED=${FUZZ_SEED}; replay it with FUZZ_SEED=${FUZZ_SEED} npx vitest run ${task.file.name}`,
    );
  });
});
