import type { SchedulerJob } from '../port.ts';

/**
 * What `%b` prints for a job's generic resources: `gres/gpu:8` (Slurm 21.08 and later), `gpu:8`,
 * `gres/gpu:h100:8`, several comma-separated, or `N/A` / `(null)` for none.
 */
const GRES_PART = String.raw`(?:gres\/)?[a-z_]+(?::[\w.-]+)*:\d+(?:\(IDX:[^)]*\))?`;
const GRES = new RegExp(`^(?:N\\/A|\\(null\\)|${GRES_PART}(?:,${GRES_PART})*)$`);

/** The GPUs a `%b` value asks for, or undefined when it names none it can count. */
function gpusOf(gres: string): number | undefined {
  let total: number | undefined;
  for (const part of gres.split(',')) {
    const m = /^(?:gres\/)?gpu(?::[\w.-]+)*?:(\d+)(?:\(IDX:[^)]*\))?$/.exec(part);
    if (m) total = (total ?? 0) + Number(m[1]);
  }
  return total;
}

/**
 * `squeue -h -o '%i %u %T %M %b %j'` (the `jobs` template): job id, user, state, time used, the
 * generic resources (where the template asks for them, for the job's GPU count), then the job
 * name, which may hold spaces and so comes last. The older default without `%b` reads too. Lines
 * that do not have all the fields are not jobs (a warning squeue printed) and are left out.
 */
export function parseSqueue(stdout: string): SchedulerJob[] {
  const jobs: SchedulerJob[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^\s*(\S+)\s+(\S+)\s+([A-Z_]+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    const [, id = '', user = '', state = '', elapsed = ''] = m;
    let name = m[5] ?? '';
    let gpus: number | undefined;
    const g = /^(\S+)\s+(.+)$/.exec(name);
    if (g && GRES.test(g[1] ?? '')) {
      gpus = gpusOf(g[1] ?? '');
      name = g[2] ?? '';
    }
    jobs.push({ id, user, state, elapsed, name, ...(gpus === undefined ? {} : { gpus }) });
  }
  return jobs;
}

/** `4121 train-llama (alice, 8 GPUs, RUNNING 2:03:11)`: one job as a preview line names it. */
export function describeJob(job: SchedulerJob): string {
  const gpus = job.gpus === undefined ? '' : `${job.gpus} ${job.gpus === 1 ? 'GPU' : 'GPUs'}, `;
  return `${job.id} ${job.name} (${job.user}, ${gpus}${job.state} ${job.elapsed})`;
}

/** `sinfo -o %E`: the reason an admin (or the bot) gave for the node's state; `none` is none. */
export function parseSlurmReason(stdout: string): string | undefined {
  const line = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  return !line || line.toLowerCase() === 'none' ? undefined : line;
}
