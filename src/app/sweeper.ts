import type { Logger } from 'pino';

/** Background work the bot repeats: delivering the outbox, carrying alerts, reminders, expiries. */
export interface SweepJob {
  readonly name: string;
  /** How often it runs; it never overlaps itself (a tick that finds it running is skipped). */
  readonly everyMs: number;
  /** Runs once at start, before the first interval (a restart's backlog is not left waiting). */
  readonly atStart?: boolean;
  run(): Promise<unknown>;
}

/**
 * The bot's one background loop: every job on its own interval, none overlapping itself, each
 * failure logged (the next tick tries again), all of them stopped and awaited together. The work
 * itself is in the services (`sweep()`, `expireDue()`); what runs when is only here.
 */
export class Sweeper {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private stopped = true;

  constructor(
    private readonly logger: Logger,
    private readonly jobs: readonly SweepJob[],
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const job of this.jobs) {
      if (job.atStart) this.tick(job);
      const timer = setInterval(() => this.tick(job), job.everyMs);
      // The loop never keeps a process alive that has nothing else to do.
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Stops the ticks and waits for the jobs still running. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.allSettled([...this.running.values()]);
  }

  private tick(job: SweepJob): void {
    if (this.stopped || this.running.has(job.name)) return;
    const run = job
      .run()
      .then(
        () => undefined,
        (err) =>
          this.logger.warn({ err, job: job.name }, `the ${job.name} sweep failed; it runs again shortly`),
      )
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
  }
}
