/** A Web API outcome: Slack answers `{ ok: true, … }` or `{ ok: false, error }`, both with HTTP 200. */
export type SlackResult<T> =
  | { readonly ok: true; readonly value: T; readonly warning?: string }
  | { readonly ok: false; readonly error: string; readonly extra?: Record<string, unknown> };

export function ok<T>(value: T, warning?: string): SlackResult<T> {
  return warning ? { ok: true, value, warning } : { ok: true, value };
}

export function fail<T>(error: string, extra?: Record<string, unknown>): SlackResult<T> {
  return extra ? { ok: false, error, extra } : { ok: false, error };
}
