import { readFileSync } from 'node:fs';

export type FixtureName =
  | 'alertmanager-firing'
  | 'alertmanager-resolved'
  | 'alertmanager-batched'
  | 'alertmanager-resent'
  | 'grafana-firing'
  | 'grafana-resolved'
  | 'generic';

/** A fresh copy each time, so a test may mutate it into a bad payload. */
export function fixture(name: FixtureName): any {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
}

export const RECEIVED_AT = new Date('2026-03-14T06:00:00.000Z');
