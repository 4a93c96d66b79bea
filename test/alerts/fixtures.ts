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

/** The firing Alertmanager notification as an Xid 79 on gpu-node-5 (runbook gpu-xid, a drain). */
export function xid79Notification(): any {
  const body = fixture('alertmanager-firing');
  body.alerts[0].labels.alertname = 'GPUXidError';
  body.commonLabels.alertname = 'GPUXidError';
  body.groupLabels.alertname = 'GPUXidError';
  body.groupKey = '{}:{alertname="GPUXidError", node="gpu-node-5"}';
  return body;
}

export const RECEIVED_AT = new Date('2026-03-14T06:00:00.000Z');
