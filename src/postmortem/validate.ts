import type { Claim } from './narrative.ts';
import type { TimeFormat } from './time.ts';

/**
 * The times a draft may mention: every instant of the record, as the prompt showed them (display
 * zone, minute or second precision), plus the absolute instants for ISO times with an offset.
 */
export class KnownTimes {
  private readonly localMinutes = new Set<string>();
  private readonly localSeconds = new Set<string>();
  private readonly localDateMinutes = new Set<string>();
  private readonly localDateSeconds = new Set<string>();
  private readonly epochMinutes = new Set<number>();
  private readonly epochSeconds = new Set<number>();

  constructor(instants: readonly Date[], fmt: TimeFormat) {
    for (const at of instants) {
      const t = fmt.local(at);
      this.localMinutes.add(t.hm);
      this.localSeconds.add(t.hms);
      this.localDateMinutes.add(`${t.date} ${t.hm}`);
      this.localDateSeconds.add(`${t.date} ${t.hms}`);
      this.epochMinutes.add(Math.floor(at.getTime() / 60_000));
      this.epochSeconds.add(Math.floor(at.getTime() / 1000));
    }
  }

  /** A clock time in the display zone: `03:12`, `03:12:41`. */
  hasClock(hm: string, seconds?: string): boolean {
    return seconds ? this.localSeconds.has(`${hm}:${seconds}`) : this.localMinutes.has(hm);
  }

  hasLocalDateTime(date: string, hm: string, seconds?: string): boolean {
    return seconds
      ? this.localDateSeconds.has(`${date} ${hm}:${seconds}`)
      : this.localDateMinutes.has(`${date} ${hm}`);
  }

  hasInstant(at: Date, withSeconds: boolean): boolean {
    return withSeconds
      ? this.epochSeconds.has(Math.floor(at.getTime() / 1000))
      : this.epochMinutes.has(Math.floor(at.getTime() / 60_000));
  }
}

// `2026-11-22T03:12Z`, `2026-11-22 03:12:41 UTC`, `2026-11-22T04:12+01:00`.
const ISO =
  /\b(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})(?![\w:]))?/gi;
// `03:12`, `3:12`, `03:12:41`, `3:12 am`; not part of a longer number run (`10:20:30:40`, `1.2:30`).
const CLOCK = /(?<![\d:.])(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([ap])\.?m\b\.?)?(?![\d:])/gi;
const INLINE_REF = /#(\d+)\b/g;

const pad = (n: number) => String(n).padStart(2, '0');

/** Times written in `text` that the record does not hold; each as written. */
export function unknownTimes(text: string, known: KnownTimes): string[] {
  const bad: string[] = [];
  const rest = text.replace(ISO, (match, date: string, h: string, m: string, s?: string, zone?: string) => {
    const hm = `${pad(Number(h))}:${m}`;
    let ok: boolean;
    if (zone) {
      const offset = /^(Z|UTC|GMT)$/i.test(zone)
        ? 'Z'
        : zone.length === 5
          ? `${zone.slice(0, 3)}:${zone.slice(3)}`
          : zone;
      const at = new Date(`${date}T${hm}:${s ?? '00'}${offset}`);
      ok = !Number.isNaN(at.getTime()) && known.hasInstant(at, s !== undefined);
    } else {
      ok = known.hasLocalDateTime(date, hm, s);
    }
    if (!ok) bad.push(match.trim());
    return ' ';
  });
  for (const m of rest.matchAll(CLOCK)) {
    let hour = Number(m[1]);
    const minute = Number(m[2]);
    const ampm = m[4]?.toLowerCase();
    if (ampm === 'p' && hour < 12) hour += 12;
    if (ampm === 'a' && hour === 12) hour = 0;
    // `27:99` is not a time of day; ratios like `1:30` are (we cannot tell, and the model was told
    // not to write times at all).
    if (hour > 23 || minute > 59) continue;
    if (!known.hasClock(`${pad(hour)}:${m[2]}`, m[3])) bad.push(m[0].trim());
  }
  return bad;
}

export interface Evidence {
  /** Entry ids the model was shown; the only ones it may cite. */
  readonly ids: ReadonlySet<number>;
  readonly times: KnownTimes;
  readonly zoneLabel: string;
}

/** Reasons to reject, one line each; empty when every claim holds. */
export function checkClaims(claims: readonly { path: string; claim: Claim }[], evidence: Evidence): string[] {
  const reasons: string[] = [];
  for (const { path, claim } of claims) {
    const cited = [...claim.cites, ...[...claim.text.matchAll(INLINE_REF)].map((m) => Number(m[1]))];
    for (const id of new Set(cited)) {
      if (!evidence.ids.has(id)) reasons.push(`${path}: cites #${id}, which is not an entry you were given`);
    }
    for (const t of unknownTimes(claim.text, evidence.times)) {
      reasons.push(
        `${path}: mentions the time "${t}", which is not the time of any entry or milestone (${evidence.zoneLabel}); leave times out and cite the entry instead`,
      );
    }
  }
  return reasons;
}
