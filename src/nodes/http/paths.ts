import { invalidNodeNameError } from '../errors.ts';

/**
 * Path templates such as `/v2/nodes/{node}/drain`. The values put into them come from chat (a
 * node name, a workload id), so each becomes exactly one path segment: percent-encoded, and never
 * empty, `.` or `..` — the URL parser would fold a dot segment (even spelled `%2e%2e`) into its
 * parent and the request would reach another endpoint.
 */
export const PLACEHOLDERS = ['node', 'workload'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PLACEHOLDER = /\{([^{}]*)\}/g;
/** RFC 3986 path characters (pchar and `/`), percent escapes, and `{placeholder}`s. */
const TEMPLATE = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2}|\{[a-z]+\})*$/;
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Why `template` is unusable, or undefined when it is fine. Never echoes anything secret: paths are not. */
export function templateProblem(
  template: string,
  allowed: readonly Placeholder[],
  required: readonly Placeholder[],
): string | undefined {
  if (!TEMPLATE.test(template)) {
    return 'must be a path starting with / made of URL path characters and {placeholders}, without ? or #';
  }
  if (template.split('/').some((s) => DOT_SEGMENT.test(s))) return 'must not contain . or .. segments';
  const used = placeholdersOf(template);
  const unknown = used.filter((p) => !(allowed as readonly string[]).includes(p));
  if (unknown.length) {
    return `unknown placeholder ${unknown.map((p) => `{${p}}`).join(', ')}; allowed here: ${allowed.map((p) => `{${p}}`).join(', ') || 'none'}`;
  }
  const missing = required.filter((p) => !used.includes(p));
  if (missing.length) return `must contain ${missing.map((p) => `{${p}}`).join(' and ')}`;
  return undefined;
}

/** One path segment for `value`; throws bot.node.invalid_name when no segment can carry it. */
export function encodeSegment(value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // A lone surrogate: no UTF-8 spelling, so no URL either.
    throw invalidNodeNameError(value);
  }
  if (encoded === '' || DOT_SEGMENT.test(encoded)) throw invalidNodeNameError(value);
  return encoded;
}

/** The template with every placeholder replaced by its encoded value. */
export function expandPath(template: string, values: Partial<Record<Placeholder, string>>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name as Placeholder];
    // Options validation makes this unreachable; a template bug must not turn into a request.
    if (value === undefined) throw new Error(`path template ${template} needs a value for {${name}}`);
    return encodeSegment(value);
  });
}
