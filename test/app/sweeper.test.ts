import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { Sweeper } from '../../src/app/sweeper.ts';

describe('Sweeper', () => {
  it('runs each job on its interval, the atStart ones at once, never one job twice at a time', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const sweeper = new Sweeper(pino({ level: 'silent' }), [
      { name: 'fast', everyMs: 10, run: async () => runs.push('fast') },
      {
        name: 'slow',
        everyMs: 10,
        atStart: true,
        run: () => {
          runs.push('slow');
          return slow;
        },
      },
    ]);
    sweeper.start();
    expect(runs).toEqual(['slow']);
    await vi.waitFor(() => expect(runs.filter((r) => r === 'fast').length).toBeGreaterThanOrEqual(3));
    // The slow one is still running: its ticks were skipped, not stacked.
    expect(runs.filter((r) => r === 'slow')).toEqual(['slow']);
    release();
    await vi.waitFor(() => expect(runs.filter((r) => r === 'slow').length).toBeGreaterThanOrEqual(2));
    await sweeper.stop();
    const after = runs.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(runs.length).toBe(after);
  });

  it('logs a failing job and runs it again on the next tick', async () => {
    const warn = vi.fn();
    const logger = pino({ level: 'warn' }, { write: (line: string) => warn(JSON.parse(line)) });
    let calls = 0;
    const sweeper = new Sweeper(logger, [
      {
        name: 'flaky',
        everyMs: 10,
        run: async () => {
          calls++;
          if (calls === 1) throw new Error('database busy');
        },
      },
    ]);
    sweeper.start();
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(2));
    await sweeper.stop();
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ job: 'flaky', msg: 'the flaky sweep failed; it runs again shortly' }),
    );
  });

  it('stop waits for a job that is running', async () => {
    let done = false;
    const sweeper = new Sweeper(pino({ level: 'silent' }), [
      {
        name: 'long',
        everyMs: 60_000,
        atStart: true,
        run: async () => {
          await new Promise((r) => setTimeout(r, 50));
          done = true;
        },
      },
    ]);
    sweeper.start();
    await sweeper.stop();
    expect(done).toBe(true);
  });
});
