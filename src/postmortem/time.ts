/**
 * Times as the draft and the prompt show them, in one display time zone. The model sees the same
 * strings the validator accepts, so "a time the model may write" is exactly "a time it was shown".
 */
export interface LocalTime {
  /** `2026-11-22` */
  readonly date: string;
  /** `03:02` */
  readonly hm: string;
  /** `03:02:41` */
  readonly hms: string;
  /** `Z` for UTC, else `+01:00`. */
  readonly offset: string;
}

export interface TimeFormat {
  readonly timeZone: string;
  /** `UTC`, or the IANA name. */
  readonly zoneLabel: string;
  local(at: Date): LocalTime;
  /** Compact ISO at minute precision in the display zone: `2026-11-22T03:02Z`, `2026-11-22T04:02+01:00`. */
  iso(at: Date): string;
}

export function timeFormat(timeZone: string): TimeFormat {
  // Throws a RangeError for an unknown zone: config must name a real one.
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  });
  // Intl is the slow part of formatting thousands of entries; many share a second.
  const cache = new Map<number, LocalTime>();
  const local = (at: Date): LocalTime => {
    const key = Math.floor(at.getTime() / 1000);
    const hit = cache.get(key);
    if (hit) return hit;
    const p: Record<string, string> = {};
    for (const part of fmt.formatToParts(at)) p[part.type] = part.value;
    const gmt = (p.timeZoneName ?? 'GMT').replace('GMT', '');
    const value: LocalTime = {
      date: `${p.year}-${p.month}-${p.day}`,
      hm: `${p.hour}:${p.minute}`,
      hms: `${p.hour}:${p.minute}:${p.second}`,
      offset: gmt === '' || gmt === '+00:00' ? 'Z' : gmt,
    };
    if (cache.size > 50_000) cache.clear();
    cache.set(key, value);
    return value;
  };
  const utc = timeZone.toUpperCase() === 'UTC' || timeZone === 'Etc/UTC';
  return {
    timeZone,
    zoneLabel: utc ? 'UTC' : timeZone,
    local,
    iso(at) {
      const t = local(at);
      return `${t.date}T${t.hm}${t.offset}`;
    },
  };
}
