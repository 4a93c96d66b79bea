import { afterEach, describe, expect, it } from 'vitest';
import type { AlertService, AlertServiceOptions } from '../../src/incidents/alerts.ts';
import { loadRunbooks } from '../../src/runbooks/loader.ts';
import { fixture } from '../alerts/fixtures.ts';
import { waitFor } from '../helpers/wait.ts';
import { alertService } from './alert-service.ts';
import { alice, harness, simulatedWith } from './harness.ts';

const runbooks = loadRunbooks('runbooks');

type Harness = Awaited<ReturnType<typeof harness>>;

async function setup(options: Partial<AlertServiceOptions> = {}) {
  const h = await harness();
  const alerts = alertService(h, { runbooks, ...options });
  alerts.start();
  /** Receive, then wait for the worker and any triage it started. */
  const post = async (source: 'alertmanager' | 'grafana' | 'generic', body: unknown) => {
    const r = await alerts.receive(source, body);
    await alerts.idle();
    return r;
  };
  return { ...h, alerts, post };
}

let current: (Harness & { alerts: AlertService }) | undefined;
afterEach(async () => {
  await current?.alerts.stop();
  await current?.close();
  current = undefined;
});

/** An Alertmanager payload with one alert per entry, in one group. */
function amPayload(
  groupKey: string,
  alerts: { name?: string; node?: string; status?: 'firing' | 'resolved'; severity?: string; fp: string }[],
) {
  return {
    version: '4',
    groupKey,
    status: alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved',
    receiver: 'incident-bot',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    truncatedAlerts: 0,
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: {
        alertname: a.name ?? 'NodeDown',
        ...(a.node ? { node: a.node } : {}),
        severity: a.severity ?? 'warning',
      },
      annotations: { summary: `${a.name ?? 'NodeDown'} ${a.fp}` },
      startsAt: '2026-11-22T02:59:00Z',
      endsAt: a.status === 'resolved' ? '2026-11-22T03:10:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: a.fp,
    })),
  };
}

describe('alerts into incidents', () => {
  it('opens one incident per alert group, with the alerts, the runbook, triage and a drain request', async () => {
    const t = await setup();
    current = t;
    const body = fixture('alertmanager-firing');
    body.alerts[0].labels.alertname = 'GPUXidError';
    body.commonLabels.alertname = 'GPUXidError';
    const r = await t.post('alertmanager', body);
    expect(r.alerts).toBe(1);
    const [incident] = await t.incidents.list();
    expect(incident).toMatchObject({ number: 1, severity: 'SEV2', createdBy: 'bot:alerts' });
    expect(incident!.title).toBe('GPUXidError: Xid 79 on gpu-node-5 GPU 3');
    const messages = await t.messages(incident!.channelId!);
    const texts = messages.map((m) => `${m.message.header ?? ''} ${m.message.text}`);
    expect(texts.some((x) => x.includes('🔥 1 alert firing'))).toBe(true);
    expect(texts.some((x) => x.includes('Runbook: GPU Xid error'))).toBe(true);
    expect(texts.some((x) => x.includes('gpu-node-5') && x.includes('critical'))).toBe(true);
    const actions = await t.store.listActions(incident!.id);
    expect(actions.map((a) => [a.kind, a.target, a.status, a.requestedBy])).toEqual([
      ['drain', 'gpu-node-5', 'requested', 'bot:alerts'],
    ]);
    // The bot requested it; a person approves (alice is not the requester, so SEV2 allows her).
    const approved = await t.actions.approve(actions[0]!.id, alice);
    expect(approved.status).toBe('succeeded');
  });

  it('carries a resend as nothing new and a second alert of the group to the same incident', async () => {
    const t = await setup();
    current = t;
    await t.post('alertmanager', amPayload('g1', [{ node: 'gpu-node-2', fp: 'a' }]));
    await t.post('alertmanager', amPayload('g1', [{ node: 'gpu-node-2', fp: 'a' }]));
    expect(await t.incidents.list()).toHaveLength(1);
    const [incident] = await t.incidents.list();
    const alertEntries = async () =>
      (await t.store.listTimeline(incident!.id)).filter((e) => e.kind === 'alert').map((e) => e.text);
    expect(await alertEntries()).toEqual(['Firing: NodeDown on gpu-node-2: NodeDown a']);
    await t.post(
      'alertmanager',
      amPayload('g1', [
        { node: 'gpu-node-2', fp: 'a' },
        { node: 'gpu-node-3', fp: 'b' },
      ]),
    );
    expect(await t.incidents.list()).toHaveLength(1);
    expect(await alertEntries()).toEqual([
      'Firing: NodeDown on gpu-node-2: NodeDown a',
      'Firing: NodeDown on gpu-node-3: NodeDown b',
    ]);
    const card = (await t.messages(incident!.channelId!)).find((m) => m.id === incident!.cardMessageId);
    expect(card!.message.fields).toContainEqual({ label: 'Alerts', value: '🔥 2 firing' });
  });

  it('posts resolved alerts and offers to resolve once every alert has resolved', async () => {
    const t = await setup();
    current = t;
    const two = [
      { node: 'gpu-node-2', fp: 'a' },
      { node: 'gpu-node-3', fp: 'b' },
    ];
    await t.post('alertmanager', amPayload('g1', two));
    const [incident] = await t.incidents.list();
    const offers = async () =>
      (await t.messages(incident!.channelId!)).filter((m) =>
        m.message.buttons?.some((b: { label: string }) => b.label === 'Resolve INC-1'),
      );
    await t.post(
      'alertmanager',
      amPayload('g1', [{ node: 'gpu-node-2', fp: 'a', status: 'resolved' }, two[1]!]),
    );
    expect(await offers()).toHaveLength(0);
    await t.post(
      'alertmanager',
      amPayload('g1', [
        { node: 'gpu-node-2', fp: 'a', status: 'resolved' },
        { node: 'gpu-node-3', fp: 'b', status: 'resolved' },
      ]),
    );
    const [offer] = await offers();
    expect(offer!.message.text).toBe('✅ All 2 alerts of INC-1 have resolved. Resolve the incident?');
    expect(offer!.message.buttons![0]).toMatchObject({ id: `card:resolve:${incident!.id}` });
    // A resend of the resolve offers nothing twice.
    await t.post(
      'alertmanager',
      amPayload('g1', [
        { node: 'gpu-node-2', fp: 'a', status: 'resolved' },
        { node: 'gpu-node-3', fp: 'b', status: 'resolved' },
      ]),
    );
    expect(await offers()).toHaveLength(1);
    // The offer does not resolve by itself: a person does.
    expect((await t.incidents.get(incident!.id))!.status).toBe('declared');

    // Once resolved (here by command, not by the offer), the offer loses its button and says who.
    await t.incidents.changeStatus((await t.incidents.get(incident!.id))!, 'resolved', alice);
    await t.app.uow.idle();
    expect(await offers()).toHaveLength(0);
    const retired = (await t.messages(incident!.channelId!)).find((m) => m.id === offer!.id)!;
    expect(retired.message).toMatchObject({
      text: '✅ All 2 alerts of INC-1 have resolved. Resolve the incident?',
      context: ['INC-1 was resolved by Alice.'],
    });
    expect(retired.message.buttons).toBeUndefined();
  });

  it('opens a new incident when the group fires again after its incident was resolved', async () => {
    const t = await setup();
    current = t;
    await t.post('alertmanager', amPayload('g1', [{ node: 'gpu-node-2', fp: 'a' }]));
    const [first] = await t.incidents.list();
    await t.post('alertmanager', amPayload('g1', [{ node: 'gpu-node-2', fp: 'a', status: 'resolved' }]));
    await t.incidents.changeStatus(first!, 'resolved', alice);
    await t.post('alertmanager', amPayload('g1', [{ node: 'gpu-node-2', fp: 'a' }]));
    const all = await t.incidents.list();
    expect(all.map((i) => i.number)).toEqual([2, 1]);
    expect(all[0]!.description).toContain('fired again after INC-1 was resolved');
  });

  it('raises the severity when a more severe alert joins the group, and never lowers it', async () => {
    const t = await setup();
    current = t;
    await t.post('alertmanager', amPayload('g1', [{ node: 'gpu-node-2', fp: 'a', severity: 'warning' }]));
    expect((await t.incidents.list())[0]!.severity).toBe('SEV3');
    await t.post(
      'alertmanager',
      amPayload('g1', [
        { node: 'gpu-node-2', fp: 'a', severity: 'warning' },
        { node: 'gpu-node-3', fp: 'b', severity: 'critical' },
      ]),
    );
    expect((await t.incidents.list())[0]!.severity).toBe('SEV2');
    await t.post('alertmanager', amPayload('g1', [{ node: 'gpu-node-4', fp: 'c', severity: 'info' }]));
    expect((await t.incidents.list())[0]!.severity).toBe('SEV2');
  });

  it('bounds new channels per minute: the rest join one storm incident, and nothing is dropped', async () => {
    const t = await setup({ maxNewPerMinute: 3 });
    current = t;
    for (let i = 0; i < 10; i++) {
      await t.post('alertmanager', amPayload(`g${i}`, [{ name: `Alert${i}`, fp: `f${i}` }]));
    }
    const incidents = await t.incidents.list();
    // Three of their own, and the storm incident.
    expect(incidents).toHaveLength(4);
    const storm = incidents.find((i) => i.title.startsWith('Alert storm'))!;
    expect(storm.title).toBe('Alert storm: more than 3 new alert groups in a minute');
    const stormAlerts = await t.store.listIncidentAlerts(storm.id);
    expect(stormAlerts.map((a) => a.name)).toEqual([
      'Alert3',
      'Alert4',
      'Alert5',
      'Alert6',
      'Alert7',
      'Alert8',
      'Alert9',
    ]);
    // Every alert reached an incident.
    let carried = 0;
    for (const i of incidents) carried += (await t.store.listIncidentAlerts(i.id)).length;
    expect(carried).toBe(10);
    // The announcement channel says so.
    const announce = await t.chat.announceChannelId();
    const said = (await t.messages(announce!)).map((m) => m.message.text);
    expect(said.some((x) => x.includes('Alert storm'))).toBe(true);
    // A minute later, new groups open their own channels again.
    t.clock.advance(61_000);
    await t.post('alertmanager', amPayload('late', [{ name: 'Late', fp: 'late' }]));
    expect((await t.incidents.list())[0]!.title).toBe('Late: Late late');
  });

  it('bounds new channels across replicas: the storm guard counts in the store', async () => {
    const t = await setup({ maxNewPerMinute: 3 });
    current = t;
    // A second replica on the same store (its own process-local count and claims).
    const other = alertService(t, { maxNewPerMinute: 3, runbooks, owner: 'replica-2' });
    other.start();
    try {
      for (let i = 0; i < 10; i++) {
        const replica = i % 2 ? other : t.alerts;
        await replica.receive('alertmanager', amPayload(`r${i}`, [{ name: `Alert${i}`, fp: `f${i}` }]));
        await replica.idle();
      }
      const incidents = await t.incidents.list();
      const own = incidents.filter((i) => !i.title.startsWith('Alert storm'));
      // Three in the minute between both replicas, not three each; the rest in one storm incident.
      expect(own).toHaveLength(3);
      expect(incidents).toHaveLength(4);
    } finally {
      await other.stop();
    }
  });

  it('carries alerts stored before a restart', async () => {
    const t = await setup();
    current = t;
    await t.alerts.stop();
    // Stored, but the worker is stopped (as if the process died right after answering the webhook).
    await t.alerts.receive('alertmanager', amPayload('g1', [{ node: 'gpu-node-2', fp: 'a' }]));
    expect(await t.incidents.list()).toHaveLength(0);
    expect(await t.store.listPendingAlertGroups()).toEqual(['alertmanager:g1']);
    t.alerts.start();
    await t.alerts.idle();
    expect(await t.incidents.list()).toHaveLength(1);
    expect(await t.store.listPendingAlertGroups()).toEqual([]);
  });

  it('stores nothing from a malformed body', async () => {
    const t = await setup();
    current = t;
    const body = amPayload('g1', [
      { node: 'gpu-node-2', fp: 'a' },
      { node: 'gpu-node-3', fp: 'b' },
    ]);
    (body.alerts[1] as any).labels = 'not labels';
    await expect(t.alerts.receive('alertmanager', body)).rejects.toThrow(/alerts\[1\]\.labels/);
    expect(await t.store.listGroupAlerts('alertmanager:g1')).toEqual([]);
  });

  it('names nodes the inventory does not know instead of triaging them', async () => {
    const t = await setup();
    current = t;
    await t.post('alertmanager', amPayload('g1', [{ node: 'db-7', fp: 'a' }]));
    const [incident] = await t.incidents.list();
    const texts = (await t.messages(incident!.channelId!)).map((m) => m.message.text);
    expect(texts).toContain('Not triaged: db-7 is not in the node inventory (or cannot run diagnostics).');
  });

  it('triages at most 32 of the nodes a storm names, and says which it left', async () => {
    // A fleet of racks: the simulated adapter, claiming rack-1 … rack-40 as its nodes.
    const h = await harness({
      adapters: simulatedWith((real) => ({
        hasNode: (node) => /^rack-\d+$/.test(node) || real.hasNode(node),
      })),
    });
    const alerts = alertService(h, { runbooks });
    alerts.start();
    current = { ...h, alerts };
    const racks = Array.from({ length: 40 }, (_, i) => ({ node: `rack-${i + 1}`, fp: `r${i + 1}` }));
    await alerts.receive('alertmanager', amPayload('g-racks', [...racks, { node: 'db-7', fp: 'db' }]));
    await alerts.idle();
    const [incident] = await h.incidents.list();
    // The notes follow the triage through the outbox.
    const texts = await waitFor(async () => {
      const all = (await h.messages(incident!.channelId!)).map((m) => m.message.text);
      return all.some((t) => t.startsWith('Not triaged automatically')) && all;
    }, 'the note on the nodes left');
    expect(texts).toContain(
      'Not triaged automatically: the alerts name 40 nodes, and the bot triages 32 of them by itself. The other 8: rack-33, rack-34, rack-35, rack-36, rack-37, rack-38, rack-39, rack-40. Run `/node triage <node…>` on those that matter.',
    );
    expect(texts).toContain('Not triaged: db-7 is not in the node inventory (or cannot run diagnostics).');
    const note = (await h.store.listTimeline(incident!.id)).find((e) =>
      e.text.startsWith('Automatic triage of'),
    );
    expect(note?.text).toBe(
      `Automatic triage of ${racks
        .slice(0, 20)
        .map((r) => r.node)
        .join(', ')} and 12 more`,
    );
  });

  it('groups by labels when configured, across deliveries with different group keys', async () => {
    const t = await setup({ groupByLabels: true, groupBy: ['alertname'] });
    current = t;
    await t.post('alertmanager', amPayload('k1', [{ name: 'Same', node: 'gpu-node-1', fp: 'a' }]));
    await t.post('alertmanager', amPayload('k2', [{ name: 'Same', node: 'gpu-node-2', fp: 'b' }]));
    expect(await t.incidents.list()).toHaveLength(1);
  });
});
