import { z } from 'zod';

// RFC 3339 as Go marshals time.Time: any fraction length (Alertmanager sends nanoseconds), Z or offset.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** A timestamp on the wire; normalisation turns it into a Date (or null for Go's zero time). */
export const timestampSchema = z.string().refine((s) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)), {
  message: 'expected an RFC 3339 timestamp like 2026-01-01T00:00:00Z',
});

/**
 * Go's zero time.Time (0001-01-01T00:00:00Z) means "unset": Alertmanager and Grafana send it as the
 * endsAt of an alert still firing. Anything before year 2 is treated the same way.
 */
export function parseTimestamp(s: string | undefined): Date | null {
  if (s === undefined) return null;
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 2) return null;
  return d;
}
