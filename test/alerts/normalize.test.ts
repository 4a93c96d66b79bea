import { describe, expect, it } from 'vitest';
import {
  incidentKeyFor,
  type NormalizedBatch,
  nodesFromAlerts,
  normalizeAlertPayload,
  parseAlertPayload,
  severityOfAlerts,
} from '../../src/alerts/index.ts';
import { fixture, RECEIVED_AT } from './fixtures.ts';

const opts = { receivedAt: RECEIVED_AT };

const XID_LABELS = {
  alertname: 'GpuXidError',
  cluster: 'train-a',
  gpu: '3',
  instance: 'gpu-node-5:9400',
  job: 'dcgm-exporter',
  node: 'gpu-node-5',
  severity: 'critical',
  xid: '79',
};
const XID_ANNOTATIONS = {
  description: 'GPU 3 on gpu-node-5 reported Xid 79 (GPU has fallen off the bus).',
  runbook_url: 'https://runbooks.example.com/gpu-xid',
  summary: 'Xid 79 on gpu-node-5 GPU 3',
};
const XID_GROUP_KEY =
  '{}/{severity=~"critical|page"}:{alertname="GpuXidError", cluster="train-a", node="gpu-node-5"}';

describe('Alertmanager v4', () => {
  it('normalises a firing alert exactly', () => {
    const batch = normalizeAlertPayload('alertmanager', fixture('alertmanager-firing'), opts);
    expect(batch).toEqual<NormalizedBatch>({
      source: 'alertmanager',
      groupKey: XID_GROUP_KEY,
      status: 'firing',
      receiver: 'incident-bot',
      externalUrl: 'http://alertmanager.monitoring.svc:9093',
      truncatedAlerts: 0,
      alerts: [
        {
          fingerprint: '4f1a2c9d8e7b6a50',
          status: 'firing',
          name: 'GpuXidError',
          labels: XID_LABELS,
          annotations: XID_ANNOTATIONS,
          // Nanoseconds on the wire; a Date keeps milliseconds.
          startsAt: new Date('2026-03-14T02:58:41.312Z'),
          endsAt: null,
          generatorUrl:
            'http://prometheus.monitoring.svc:9090/graph?g0.expr=DCGM_FI_DEV_XID_ERRORS+%3E+0&g0.tab=1',
          runbookUrl: 'https://runbooks.example.com/gpu-xid',
          summary: 'Xid 79 on gpu-node-5 GPU 3',
        },
      ],
    });
    expect(severityOfAlerts(batch.alerts)).toBe('SEV2');
    expect(nodesFromAlerts(batch.alerts)).toEqual(['gpu-node-5']);
  });

  it('normalises the resolution of the same alert to the same keys, with endsAt set', () => {
    const firing = normalizeAlertPayload('alertmanager', fixture('alertmanager-firing'), opts);
    const resolved = normalizeAlertPayload('alertmanager', fixture('alertmanager-resolved'), opts);
    expect(resolved.status).toBe('resolved');
    expect(resolved.groupKey).toBe(firing.groupKey);
    expect(resolved.alerts).toHaveLength(1);
    expect(resolved.alerts[0]!.status).toBe('resolved');
    expect(resolved.alerts[0]!.fingerprint).toBe(firing.alerts[0]!.fingerprint);
    expect(resolved.alerts[0]!.startsAt).toEqual(firing.alerts[0]!.startsAt);
    expect(resolved.alerts[0]!.endsAt).toEqual(new Date('2026-03-14T03:41:11.312Z'));
  });

  it('normalises a resend to exactly the first delivery (the dedupe keys match)', () => {
    const first = normalizeAlertPayload('alertmanager', fixture('alertmanager-firing'), opts);
    const resent = normalizeAlertPayload('alertmanager', fixture('alertmanager-resent'), {
      receivedAt: new Date(RECEIVED_AT.getTime() + 4 * 3600_000),
    });
    expect(resent).toEqual(first);
    expect(incidentKeyFor(resent)).toBe(incidentKeyFor(first));
    expect(incidentKeyFor(first)).toBe(`alertmanager:${XID_GROUP_KEY}`);
  });

  it('normalises a batch of 10 alerts over four nodes', () => {
    const batch = normalizeAlertPayload('alertmanager', fixture('alertmanager-batched'), opts);
    expect(batch.groupKey).toBe('{}:{alertname="GPUHighTemperature", cluster="train-a"}');
    expect(batch.status).toBe('firing');
    expect(batch.alerts).toHaveLength(10);
    expect(batch.alerts.map((a) => a.status)).toEqual([
      'firing',
      'firing',
      'resolved',
      'firing',
      'firing',
      'firing',
      'firing',
      'firing',
      'resolved',
      'firing',
    ]);
    expect(new Set(batch.alerts.map((a) => a.fingerprint)).size).toBe(10);
    expect(batch.alerts.every((a) => a.name === 'GPUHighTemperature')).toBe(true);
    expect(batch.alerts[0]).toMatchObject({
      fingerprint: '0a1b2c3d4e5f6071',
      startsAt: new Date('2026-03-14T03:10:00.500Z'),
      endsAt: null,
      summary: 'GPU 0 on gpu-node-1 is running hot',
    });
    expect(batch.alerts[0]!.runbookUrl).toBeUndefined();
    expect(batch.alerts[2]!.endsAt).toEqual(new Date('2026-03-14T03:42:00.500Z'));
    expect(nodesFromAlerts(batch.alerts)).toEqual(['gpu-node-1', 'gpu-node-2', 'gpu-node-3', 'gpu-node-4']);
    // Two of the ten say critical: the batch is as severe as its worst alert.
    expect(severityOfAlerts(batch.alerts)).toBe('SEV2');
    expect(severityOfAlerts(batch.alerts.filter((a) => a.labels.severity === 'warning'))).toBe('SEV3');
  });

  it('keeps the wire payload available to callers that want the raw fields', () => {
    const payload = parseAlertPayload('alertmanager', fixture('alertmanager-batched'));
    expect(payload.version).toBe('4');
    expect(payload.groupLabels).toEqual({ alertname: 'GPUHighTemperature', cluster: 'train-a' });
    expect(payload.alerts[0]!.endsAt).toBe('0001-01-01T00:00:00Z');
  });

  it('reports truncated alerts and fills defaults Alertmanager may leave out', () => {
    const body = fixture('alertmanager-firing');
    body.truncatedAlerts = 3;
    delete body.receiver;
    delete body.externalURL;
    delete body.alerts[0].annotations;
    delete body.alerts[0].fingerprint;
    body.alerts[0].generatorURL = '';
    delete body.alerts[0].labels.alertname;
    const batch = normalizeAlertPayload('alertmanager', body, opts);
    expect(batch.truncatedAlerts).toBe(3);
    expect(batch).not.toHaveProperty('receiver');
    expect(batch).not.toHaveProperty('externalUrl');
    const [alert] = batch.alerts;
    expect(alert!.annotations).toEqual({});
    expect(alert!.name).toBe('unnamed');
    expect(alert!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(alert).not.toHaveProperty('generatorUrl');
    expect(alert).not.toHaveProperty('summary');
  });
});

describe('Grafana', () => {
  const GRAFANA_GROUP_KEY =
    '{}/{__grafana_autogenerated__="true"}/{__grafana_receiver__="incident-bot"}:{alertname="GPU memory near full", grafana_folder="GPU fleet"}';
  const LABELS = {
    alertname: 'GPU memory near full',
    grafana_folder: 'GPU fleet',
    hostname: 'gpu-node-3',
    severity: 'warning',
    team: 'ml-infra',
  };

  it('normalises a firing alert exactly', () => {
    const batch = normalizeAlertPayload('grafana', fixture('grafana-firing'), opts);
    expect(batch).toEqual<NormalizedBatch>({
      source: 'grafana',
      groupKey: GRAFANA_GROUP_KEY,
      status: 'firing',
      receiver: 'incident-bot',
      externalUrl: 'https://grafana.example.com/',
      truncatedAlerts: 0,
      alerts: [
        {
          fingerprint: 'a81f3e2cd0b94e17',
          status: 'firing',
          name: 'GPU memory near full',
          labels: LABELS,
          annotations: {
            summary: 'GPU memory on gpu-node-3 is 97% used',
            runbook_url: 'https://runbooks.example.com/gpu-oom',
          },
          startsAt: new Date('2026-03-14T04:05:10.000Z'),
          endsAt: null,
          generatorUrl: 'https://grafana.example.com/alerting/grafana/bdk2m1x9q0s3ke/view?orgId=1',
          runbookUrl: 'https://runbooks.example.com/gpu-oom',
          summary: 'GPU memory on gpu-node-3 is 97% used',
        },
      ],
    });
    expect(severityOfAlerts(batch.alerts)).toBe('SEV3');
    expect(nodesFromAlerts(batch.alerts)).toEqual(['gpu-node-3']);
  });

  it('normalises the resolution exactly', () => {
    const batch = normalizeAlertPayload('grafana', fixture('grafana-resolved'), opts);
    expect(batch.status).toBe('resolved');
    expect(batch.groupKey).toBe(GRAFANA_GROUP_KEY);
    expect(batch.alerts[0]).toMatchObject({
      fingerprint: 'a81f3e2cd0b94e17',
      status: 'resolved',
      startsAt: new Date('2026-03-14T04:05:10.000Z'),
      endsAt: new Date('2026-03-14T04:20:10.000Z'),
    });
  });

  it('keeps the Grafana extras in the parsed payload', () => {
    const payload = parseAlertPayload('grafana', fixture('grafana-firing'));
    expect(payload.orgId).toBe(1);
    expect(payload.state).toBe('alerting');
    expect(payload.alerts[0]!.values).toEqual({ A: 0.9712, B: 1 });
  });

  it('accepts values: null (Go marshals an empty map so) and derives a group key when none is sent', () => {
    const body = fixture('grafana-firing');
    body.alerts[0].values = null;
    delete body.groupKey;
    const batch = normalizeAlertPayload('grafana', body, opts);
    expect(batch.groupKey).toBe('{alertname="GPU memory near full"}');
  });
});

describe('generic', () => {
  it('normalises exactly, deriving the group key and fingerprints', () => {
    const batch = normalizeAlertPayload('generic', fixture('generic'), opts);
    const base = { alertname: 'GpuFellOffBus', cluster: 'train-b', node: 'gpu-node-7', severity: 'page' };
    expect(batch).toEqual<NormalizedBatch>({
      source: 'generic',
      origin: 'gpu-health-cron',
      groupKey: '{alertname="GpuFellOffBus",cluster="train-b",node="gpu-node-7"}',
      status: 'firing',
      truncatedAlerts: 0,
      alerts: [
        {
          fingerprint: 'd1a27d67b2885757ceb85767a2589fcd94242d127b01a4e3911270f15d88f176',
          status: 'firing',
          name: 'GpuFellOffBus',
          labels: { ...base, gpu: '2' },
          annotations: {
            summary: 'GPU 2 on gpu-node-7 no longer answers nvidia-smi',
            runbook_url: 'https://runbooks.example.com/gpu-xid',
          },
          startsAt: new Date('2026-03-14T05:00:00.000Z'),
          endsAt: null,
          runbookUrl: 'https://runbooks.example.com/gpu-xid',
          summary: 'GPU 2 on gpu-node-7 no longer answers nvidia-smi',
        },
        {
          fingerprint: '97323845e2cc6de95021a1eb5bb52968798966f614ea7a06bce0b0d707123700',
          status: 'firing',
          name: 'GpuFellOffBus',
          labels: { ...base, gpu: '5' },
          annotations: { description: 'GPU 5 on gpu-node-7 no longer answers nvidia-smi' },
          // No startsAt: the moment it reached the bot.
          startsAt: RECEIVED_AT,
          endsAt: null,
          summary: 'GPU 5 on gpu-node-7 no longer answers nvidia-smi',
        },
      ],
    });
    expect(severityOfAlerts(batch.alerts)).toBe('SEV1');
    expect(nodesFromAlerts(batch.alerts)).toEqual(['gpu-node-7']);
  });

  it('uses a given groupKey, a configured label set, and resolves when every alert has', () => {
    const body = { groupKey: 'cron:gpu-7', alerts: [{ name: 'A', status: 'resolved', node: 'n1' }] };
    expect(normalizeAlertPayload('generic', body, opts)).toMatchObject({
      groupKey: 'cron:gpu-7',
      status: 'resolved',
    });
    const { groupKey: _drop, ...withoutKey } = body;
    expect(normalizeAlertPayload('generic', withoutKey, { ...opts, groupBy: ['node'] }).groupKey).toBe(
      '{node="n1"}',
    );
  });

  it('lets the named fields win over labels and annotations', () => {
    const batch = normalizeAlertPayload(
      'generic',
      {
        alerts: [
          {
            name: 'Real',
            status: 'firing',
            severity: 'sev1',
            labels: { alertname: 'Other', severity: 'info' },
            endsAt: null,
          },
        ],
      },
      opts,
    );
    expect(batch.alerts[0]!.labels).toEqual({ alertname: 'Real', severity: 'sev1' });
    expect(batch.alerts[0]!.endsAt).toBeNull();
  });

  it('never links a non-http runbook, generator or external URL', () => {
    const batch = normalizeAlertPayload(
      'generic',
      {
        externalUrl: 'javascript:alert(1)',
        alerts: [
          {
            name: 'A',
            status: 'firing',
            runbookUrl: 'javascript:alert(1)',
            generatorUrl: 'file:///etc/passwd',
          },
        ],
      },
      opts,
    );
    expect(batch).not.toHaveProperty('externalUrl');
    expect(batch.alerts[0]).not.toHaveProperty('runbookUrl');
    expect(batch.alerts[0]).not.toHaveProperty('generatorUrl');
  });
});
