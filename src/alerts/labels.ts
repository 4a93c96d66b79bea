import { createHash } from 'node:crypto';
import type { Labels } from './types.ts';

/** The labels that make a group key when the sender gives none. */
export const DEFAULT_GROUP_BY: readonly string[] = ['alertname', 'cluster', 'node'];

function sortedEntries(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A group key from the labels in `labelSet`, in Alertmanager's style: `{alertname="Xid",node="n5"}`.
 * Keys are sorted and values JSON-quoted, so neither label order nor odd characters change or
 * confuse it; labels the alert lacks are left out.
 */
export function groupKeyFor(labels: Labels, labelSet: readonly string[] = DEFAULT_GROUP_BY): string {
  const wanted = new Set(labelSet);
  const parts = sortedEntries(labels)
    .filter(([k]) => wanted.has(k))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}

/** sha256 (hex) of the sorted labels as canonical JSON: same labels, any order, same fingerprint. */
export function fingerprintFor(labels: Labels): string {
  return createHash('sha256')
    .update(JSON.stringify(sortedEntries(labels)))
    .digest('hex');
}

/** The labels every one of `sets` carries with the same value. */
export function commonLabels(sets: readonly Labels[]): Record<string, string> {
  const [first, ...rest] = sets;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) {
    if (rest.every((s) => Object.hasOwn(s, k) && s[k] === v)) out[k] = v;
  }
  return out;
}

/** The URL when it is http(s); anything else (javascript:, empty, junk) must not become a chat link. */
export function httpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function summaryFrom(annotations: Labels): string | undefined {
  for (const key of ['summary', 'description', 'message']) {
    const v = annotations[key]?.trim();
    if (v) return v;
  }
  return undefined;
}

export function runbookUrlFrom(annotations: Labels): string | undefined {
  return httpUrl(annotations.runbook_url?.trim());
}
