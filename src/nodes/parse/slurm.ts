import type { SchedulerJob } from '../port.ts';

/**
 * `squeue -h -o '%i %u %T %M %j'` (the `jobs` template): job id, user, state, time used, then the
 * job name, which may hold spaces and so comes last. Lines that do not have all five are not jobs
 * (a warning squeue printed) and are left out.
 */
export function parseSqueue(stdout: string): SchedulerJob[] {
  const jobs: SchedulerJob[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^\s*(\S+)\s+(\S+)\s+([A-Z_]+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    const [, id = '', user = '', state = '', elapsed = '', name = ''] = m;
    jobs.push({ id, user, state, elapsed, name });
  }
  return jobs;
}

/** `4121 train-llama (alice, RUNNING 2:03:11)`: one job as a preview line names it. */
export function describeJob(job: SchedulerJob): string {
  return `${job.id} ${job.name} (${job.user}, ${job.state} ${job.elapsed})`;
}
