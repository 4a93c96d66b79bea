import { describe, expect, it } from 'vitest';
import type { Action, Incident, TimelineEntry } from '../../src/core/index.ts';
import { buildFacts } from '../../src/postmortem/facts.ts';
import type { AlertRecord } from '../../src/store/port.ts';

const t = (hm: string) => new Date(`2026-11-22T${hm}:00Z`);

const incident: Incident = {
  id: 'i1',
  number: 7,
  title: 'NCCL timeouts on rack r2',
  description: '',
  severity: 'SEV1',
  status: 'resolved',
  private: false,
  platform: 'sandbox',
  channelId: 'c1',
  channelName: 'inc-7',
  cardMessageId: null,
  createdBy: 'alice',
  createdAt: t('03:05'),
  updatedAt: t('04:00'),
  acknowledgedAt: t('03:06'),
  mitigatedAt: t('03:40'),
  resolvedAt: t('04:00'),
  closedAt: null,
  version: 9,
};

let nextId = 1;
function entry(kind: TimelineEntry['kind'], hm: string, over: Partial<TimelineEntry> = {}): TimelineEntry {
  return {
    id: nextId++,
    incidentId: 'i1',
    kind,
    at: t(hm),
    actorId: 'alice',
    actorName: 'Alice',
    text: kind,
    data: {},
    key: false,
    sourceMessageId: null,
    editedAt: null,
    deletedAt: null,
    ...over,
  };
}

function action(id: string, over: Partial<Action>): Action {
  return {
    id,
    incidentId: 'i1',
    kind: 'drain',
    target: 'gpu-node-9',
    params: {},
    preview: '',
    status: 'succeeded',
    requestedBy: 'alice',
    requestedByName: 'Alice',
    requestedAt: t('03:20'),
    expiresAt: t('03:30'),
    decidedBy: 'bob',
    decidedByName: 'Bob',
    decidedAt: t('03:22'),
    startedAt: t('03:22'),
    finishedAt: t('03:25'),
    result: { ok: true, summary: 'drained', output: '' },
    messageId: null,
    runner: null,
    severity: 'SEV2',
    ...over,
  };
}

const timeline = [
  entry('alert', '03:04', { actorId: 'bot:alertmanager', actorName: 'Alertmanager', key: true }),
  entry('declared', '03:05', { key: true }),
  entry('status', '03:06', { data: { from: 'declared', to: 'investigating' }, key: true }),
  entry('message', '03:10', { actorId: 'carol', actorName: 'Carol', deletedAt: t('03:11') }),
  entry('message', '03:12', { actorId: 'dave', actorName: 'Dave', key: true }),
  entry('action_requested', '03:15', { data: { actionId: 'a1' } }),
  entry('action_cancelled', '03:16', { actorId: 'bob', actorName: 'Bob', data: { actionId: 'a1' } }),
  entry('action_requested', '03:20', { data: { actionId: 'a2' } }),
  entry('action_approved', '03:22', { actorId: 'bob', actorName: 'Bob', data: { actionId: 'a2' } }),
  entry('action_result', '03:25', {
    actorId: null,
    actorName: 'incident-bot',
    data: { actionId: 'a2', ok: true },
    key: true,
  }),
  entry('status', '03:40', { data: { from: 'investigating', to: 'mitigated' }, key: true }),
  entry('status', '04:00', { data: { from: 'mitigated', to: 'resolved' }, key: true }),
];

const alert = (startsAt: Date, nodes: string[]): AlertRecord => ({
  groupKey: 'am:g',
  fingerprint: nodes.join(),
  source: 'alertmanager',
  name: 'NcclTimeout',
  status: 'firing',
  labels: {},
  annotations: {},
  nodes,
  startsAt,
  endsAt: null,
  firstReceivedAt: t('03:04'),
  lastReceivedAt: t('03:04'),
  receivedCount: 1,
  incidentId: 'i1',
  postedStatus: 'firing',
});

describe('buildFacts', () => {
  const facts = buildFacts({
    incident,
    timeline,
    actions: [
      action('a2', {}),
      action('a1', {
        target: 'gpu-node-10',
        kind: 'cordon',
        status: 'cancelled',
        requestedAt: t('03:15'),
        decidedAt: t('03:16'),
        startedAt: null,
        finishedAt: null,
        result: null,
      }),
    ],
    roles: [
      { incidentId: 'i1', role: 'commander', userId: 'alice', userName: 'Alice', assignedAt: t('03:06') },
      { incidentId: 'i1', role: 'responder', userId: 'bob', userName: 'Bob', assignedAt: t('03:06') },
    ],
    alerts: [alert(t('03:01'), ['gpu-node-9']), alert(t('03:02'), ['gpu-node-11'])],
    now: t('05:00'),
  });

  it('takes milestones from the incident, the alerts and the action log, each with its entry', () => {
    expect(facts.milestones.map((m) => [m.kind, m.at.toISOString().slice(11, 16), m.entryId])).toEqual([
      ['first_alert', '03:01', 1],
      ['declared', '03:05', 2],
      ['acknowledged', '03:06', 3],
      ['mitigation_started', '03:22', 9],
      ['mitigated', '03:40', 11],
      ['resolved', '04:00', 12],
    ]);
  });

  it('measures from the first alert when it came before the declaration', () => {
    expect(facts.start).toEqual(t('03:01'));
    expect(facts.durations).toEqual({
      total: 59 * 60_000,
      ongoing: false,
      toDeclare: 4 * 60_000,
      toAcknowledge: 60_000,
      toMitigate: 35 * 60_000,
      toResolve: 55 * 60_000,
    });
  });

  it('leaves deleted entries out, and keeps key events', () => {
    expect(facts.entries.map((e) => e.id)).not.toContain(4);
    expect(facts.keyEvents.map((e) => e.id)).toEqual([1, 2, 3, 5, 10, 11, 12]);
  });

  it('lists actions in request order with who decided and their entries', () => {
    expect(
      facts.actions.map((a) => [a.kind, a.target, a.status, a.requestedBy, a.decidedBy, a.ok, a.entryIds]),
    ).toEqual([
      ['cordon', 'gpu-node-10', 'cancelled', 'Alice', 'Bob', null, [6, 7]],
      ['drain', 'gpu-node-9', 'succeeded', 'Alice', 'Bob', true, [8, 9, 10]],
    ]);
  });

  it('names the people: roles first, then everyone who acted; bots and deleted messages left out', () => {
    expect(facts.people).toEqual([
      { name: 'Alice', roles: ['commander'] },
      { name: 'Bob', roles: ['responder'] },
      { name: 'Dave', roles: [] },
    ]);
    expect(facts.nodes).toEqual(['gpu-node-9', 'gpu-node-10', 'gpu-node-11']);
    expect(facts.alerts).toEqual([
      { name: 'NcclTimeout', count: 2, nodes: ['gpu-node-9', 'gpu-node-11'], firstAt: t('03:01') },
    ]);
  });

  it('an open incident runs until now', () => {
    const open = buildFacts({
      incident: { ...incident, status: 'investigating', mitigatedAt: null, resolvedAt: null },
      timeline: timeline.slice(0, 3),
      actions: [],
      roles: [],
      alerts: [],
      now: t('03:35'),
    });
    // The alert entry (03:04) came before the declaration: it starts the clock.
    expect(open.durations).toMatchObject({ total: 31 * 60_000, ongoing: true, toDeclare: 60_000 });
    expect(open.milestones.map((m) => m.kind)).toEqual(['first_alert', 'declared', 'acknowledged']);
    expect(open.milestones[0]!.at).toEqual(t('03:04'));
  });
});
