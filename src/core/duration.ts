const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The one way the bot writes a duration for people: `45 s`, `12 min`, `1 h 30 min`, `2 h`,
 * `3 d 4 h`: the card, status, reminders, approvals, the post-mortem and node facts all use it.
 * Elapsed time is floored (an incident 59 s old has not been open a minute), and a negative one
 * (clock skew between replicas) reads as `0 s`. The shell tools' own words (`Up 3 days` in
 * docker ps) are the adapters' business: src/nodes/human-duration.ts copies Docker's.
 */
export function formatDuration(ms: number): string {
  const t = Math.max(0, ms);
  if (t < MINUTE) return `${Math.floor(t / SECOND)} s`;
  if (t < HOUR) return `${Math.floor(t / MINUTE)} min`;
  if (t < DAY) {
    const m = Math.floor((t % HOUR) / MINUTE);
    return `${Math.floor(t / HOUR)} h${m ? ` ${m} min` : ''}`;
  }
  const h = Math.floor((t % DAY) / HOUR);
  return `${Math.floor(t / DAY)} d${h ? ` ${h} h` : ''}`;
}

/**
 * How long a command took, where seconds matter (a collection of a few seconds): `3 ms`, `4.2 s`,
 * and from a minute on as formatDuration writes it.
 */
export function formatElapsed(ms: number): string {
  const t = Math.max(0, ms);
  if (t < SECOND) return `${Math.round(t)} ms`;
  if (t < MINUTE) return `${(t / SECOND).toFixed(1)} s`;
  return formatDuration(t);
}
