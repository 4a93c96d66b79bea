import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident, NewTimelineEntry } from '../../src/core/index.ts';
import type {
  BundleClaim,
  HardwareEvent,
  NewAction,
  NewAlertRecord,
  NewIncident,
  NewOutboxEntry,
  Store,
  TrackedMessage,
} from '../../src/store/port.ts';

export interface OpenedForContract {
  store: Store;
  close(): Promise<void>;
}

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (minutes: number, ms = 0) => new Date(T0.getTime() + minutes * 60_000 + ms);

function newIncident(over: Partial<NewIncident> = {}): NewIncident {
  return {
    id: randomUUID(),
    title: 'GPU node gpu-node-3 down',
    description: 'Xid 79 on gpu-node-3',
    severity: 'SEV2',
    private: false,
    platform: 'slack',
    createdBy: 'U1',
    createdAt: at(0),
    ...over,
  };
}

function newAction(incidentId: string, over: Partial<NewAction> = {}): NewAction {
  return {
    id: randomUUID(),
    incidentId,
    kind: 'drain',
    target: 'gpu-node-3',
    params: { gracePeriodSeconds: 30, pods: ['a', 'b'], nested: { ok: true } },
    preview: '2 pods would be evicted',
    requestedBy: 'U1',
    requestedByName: 'alice',
    requestedAt: at(5),
    expiresAt: at(15),
    severity: 'SEV2',
    ...over,
  };
}

function entry(incidentId: string, over: Partial<NewTimelineEntry> = {}): NewTimelineEntry {
  return {
    incidentId,
    kind: 'message',
    at: at(1),
    actorId: 'U1',
    actorName: 'alice',
    text: 'hello',
    ...over,
  };
}

function alert(over: Partial<NewAlertRecord> = {}): NewAlertRecord {
  return {
    groupKey: 'alertmanager:{}:{alertname="GPUXidError"}',
    fingerprint: 'f1',
    source: 'alertmanager',
    name: 'GPUXidError',
    status: 'firing',
    labels: { alertname: 'GPUXidError', node: 'gpu-node-5', xid: '79' },
    annotations: { summary: 'Xid 79 on gpu-node-5' },
    nodes: ['gpu-node-5'],
    summary: 'Xid 79 on gpu-node-5',
    startsAt: at(0),
    endsAt: null,
    ...over,
  };
}

/** The suite every Store implementation (and every fake of it) must pass. */
export function storeContract(name: string, open: () => Promise<OpenedForContract>): void {
  describe(`Store contract: ${name}`, () => {
    let opened: OpenedForContract;
    let store: Store;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    describe('incidents', () => {
      it('numbers incidents from 1 and returns what it stored', async () => {
        const input = newIncident({ private: true, severity: 'SEV1' });
        const first = await store.createIncident(input);
        const second = await store.createIncident(newIncident({ createdAt: at(1) }));
        const third = await store.createIncident(newIncident({ createdAt: at(2) }));

        expect([first.number, second.number, third.number]).toEqual([1, 2, 3]);
        expect(first).toEqual({
          id: input.id,
          number: 1,
          title: input.title,
          description: input.description,
          severity: 'SEV1',
          status: 'declared',
          private: true,
          platform: 'slack',
          channelId: null,
          channelName: null,
          cardMessageId: null,
          createdBy: 'U1',
          createdAt: input.createdAt,
          updatedAt: input.createdAt,
          acknowledgedAt: null,
          mitigatedAt: null,
          resolvedAt: null,
          closedAt: null,
          version: 1,
        } satisfies Incident);
        expect(await store.getIncident(input.id)).toEqual(first);
        expect(await store.countIncidents()).toBe(3);
      });

      it('gives concurrent creations distinct consecutive numbers', async () => {
        const created = await Promise.all(
          Array.from({ length: 6 }, () => store.createIncident(newIncident())),
        );
        expect(created.map((i) => i.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      });

      it('refuses a second incident with the same id', async () => {
        const input = newIncident();
        await store.createIncident(input);
        await expect(store.createIncident(input)).rejects.toThrow();
        expect(await store.countIncidents()).toBe(1);
      });

      it('finds an incident by id, number and channel, and nothing for unknown keys', async () => {
        const a = await store.createIncident(newIncident());
        const b = await store.createIncident(newIncident({ platform: 'discord' }));
        await store.updateIncident(a.id, a.version, {
          channelId: 'C1',
          channelName: 'inc-1-x',
          updatedAt: at(1),
        });
        await store.updateIncident(b.id, b.version, { channelId: 'C1', updatedAt: at(1) });

        expect((await store.getIncidentByNumber(2))?.id).toBe(b.id);
        expect((await store.getIncidentByChannel('slack', 'C1'))?.id).toBe(a.id);
        expect((await store.getIncidentByChannel('discord', 'C1'))?.id).toBe(b.id);
        expect((await store.getIncidentByChannel('slack', 'C1'))?.channelName).toBe('inc-1-x');
        expect(await store.getIncidentByChannel('slack', 'C2')).toBeUndefined();
        expect(await store.getIncidentByChannel('sandbox', 'C1')).toBeUndefined();
        expect(await store.getIncident('no-such-id')).toBeUndefined();
        expect(await store.getIncidentByNumber(3)).toBeUndefined();
      });

      it('lists newest first, filtered by status and limited', async () => {
        for (let i = 0; i < 4; i++) await store.createIncident(newIncident({ createdAt: at(i) }));
        const byNumber = async (n: number) => (await store.getIncidentByNumber(n))!;
        const two = await byNumber(2);
        await store.updateIncident(two.id, two.version, { status: 'resolved', updatedAt: at(10) });
        const three = await byNumber(3);
        await store.updateIncident(three.id, three.version, { status: 'investigating', updatedAt: at(10) });
        const numbers = (list: Incident[]) => list.map((i) => i.number);

        expect(numbers(await store.listIncidents())).toEqual([4, 3, 2, 1]);
        expect(numbers(await store.listIncidents({ limit: 2 }))).toEqual([4, 3]);
        expect(numbers(await store.listIncidents({ statuses: ['declared'] }))).toEqual([4, 1]);
        expect(
          numbers(await store.listIncidents({ statuses: ['declared', 'investigating'], limit: 2 })),
        ).toEqual([4, 3]);
        expect(numbers(await store.listIncidents({ statuses: ['resolved'] }))).toEqual([2]);
        expect(await store.listIncidents({ statuses: ['closed'] })).toEqual([]);
        expect(await store.listIncidents({ statuses: [] })).toEqual([]);
      });

      it('updates as a compare-and-set on version', async () => {
        const created = await store.createIncident(newIncident());
        const updated = await store.updateIncident(created.id, 1, {
          title: 'Renamed',
          status: 'investigating',
          channelId: 'C9',
          acknowledgedAt: at(3, 7),
          updatedAt: at(3, 7),
        });
        expect(updated).toEqual({
          ...created,
          title: 'Renamed',
          status: 'investigating',
          channelId: 'C9',
          acknowledgedAt: at(3, 7),
          updatedAt: at(3, 7),
          version: 2,
        });

        // A writer that read version 1 lost the race: nothing it asked for is written.
        expect(
          await store.updateIncident(created.id, 1, { title: 'Stale', updatedAt: at(4) }),
        ).toBeUndefined();
        expect(await store.getIncident(created.id)).toEqual(updated);

        // null clears a column; an absent key leaves it alone.
        const cleared = await store.updateIncident(created.id, 2, { channelId: null, updatedAt: at(5) });
        expect(cleared?.channelId).toBeNull();
        expect(cleared?.title).toBe('Renamed');
        expect(cleared?.acknowledgedAt).toEqual(at(3, 7));
        expect(cleared?.version).toBe(3);

        expect(await store.updateIncident('no-such-id', 1, { title: 'x', updatedAt: at(6) })).toBeUndefined();
      });

      it('lets exactly one of two concurrent updates of the same version win', async () => {
        const created = await store.createIncident(newIncident());
        const results = await Promise.all([
          store.updateIncident(created.id, 1, { severity: 'SEV1', updatedAt: at(1) }),
          store.updateIncident(created.id, 1, { severity: 'SEV4', updatedAt: at(1) }),
        ]);
        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        const stored = await store.getIncident(created.id);
        expect(stored?.version).toBe(2);
        expect(stored?.severity).toBe(winners[0]?.severity);
      });
    });

    describe('roles', () => {
      it('keeps one commander and one comms lead: assigning replaces the previous holder', async () => {
        const inc = await store.createIncident(newIncident());
        const assign = (role: 'commander' | 'communications', userId: string, minute: number) =>
          store.assignRole({
            incidentId: inc.id,
            role,
            userId,
            userName: `user-${userId}`,
            assignedAt: at(minute),
          });
        await assign('commander', 'U1', 1);
        await assign('commander', 'U2', 2);
        await assign('communications', 'U3', 3);
        await assign('communications', 'U1', 4);
        // Re-assigning the current holder keeps the original assignment.
        await assign('commander', 'U2', 5);

        expect(await store.listRoles(inc.id)).toEqual([
          { incidentId: inc.id, role: 'commander', userId: 'U2', userName: 'user-U2', assignedAt: at(2) },
          {
            incidentId: inc.id,
            role: 'communications',
            userId: 'U1',
            userName: 'user-U1',
            assignedAt: at(4),
          },
        ]);
      });

      it('keeps many responders; re-assigning the same one changes nothing', async () => {
        const inc = await store.createIncident(newIncident());
        const responder = (userId: string, minute: number) => ({
          incidentId: inc.id,
          role: 'responder' as const,
          userId,
          userName: `user-${userId}`,
          assignedAt: at(minute),
        });
        await store.assignRole(responder('U1', 1));
        await store.assignRole(responder('U2', 2));
        await store.assignRole(responder('U1', 3));
        await store.assignRole({ ...responder('U1', 4), role: 'commander' });

        const roles = await store.listRoles(inc.id);
        expect(roles.filter((r) => r.role === 'responder')).toEqual([responder('U1', 1), responder('U2', 2)]);
        expect(roles.filter((r) => r.role === 'commander').map((r) => r.userId)).toEqual(['U1']);
      });

      it('unassigns a holder once, and keeps incidents apart', async () => {
        const a = await store.createIncident(newIncident());
        const b = await store.createIncident(newIncident());
        const role = { role: 'responder' as const, userId: 'U1', userName: 'alice', assignedAt: at(1) };
        await store.assignRole({ incidentId: a.id, ...role });
        await store.assignRole({ incidentId: b.id, ...role });

        expect(await store.unassignRole(a.id, 'responder', 'U1')).toBe(true);
        expect(await store.unassignRole(a.id, 'responder', 'U1')).toBe(false);
        expect(await store.unassignRole(b.id, 'commander', 'U1')).toBe(false);
        expect(await store.listRoles(a.id)).toEqual([]);
        expect(await store.listRoles(b.id)).toEqual([{ incidentId: b.id, ...role }]);
      });
    });

    describe('timeline', () => {
      it('appends entries with increasing ids and returns what it stored', async () => {
        const inc = await store.createIncident(newIncident());
        const first = await store.appendTimeline(
          entry(inc.id, { kind: 'declared', text: 'declared', data: { severity: 'SEV2', tags: ['gpu'] } }),
        );
        const second = await store.appendTimeline(entry(inc.id, { sourceMessageId: 'M1', at: at(2) }));

        expect(second.id).toBeGreaterThan(first.id);
        expect(first).toEqual({
          id: first.id,
          incidentId: inc.id,
          kind: 'declared',
          at: at(1),
          actorId: 'U1',
          actorName: 'alice',
          text: 'declared',
          data: { severity: 'SEV2', tags: ['gpu'] },
          key: true,
          sourceMessageId: null,
          editedAt: null,
          deletedAt: null,
        });
        // Defaults: no data is {}, a message is not key, the source id is kept.
        expect(second).toMatchObject({ data: {}, key: false, sourceMessageId: 'M1', actorId: 'U1' });
        const explicit = await store.appendTimeline(
          entry(inc.id, { kind: 'status', key: false, actorId: null }),
        );
        expect(explicit).toMatchObject({ key: false, actorId: null });
      });

      it('lists oldest first by time, in append order for equal times, per incident', async () => {
        const a = await store.createIncident(newIncident());
        const b = await store.createIncident(newIncident());
        await store.appendTimeline(entry(a.id, { text: 'third', at: at(3) }));
        await store.appendTimeline(entry(a.id, { text: 'first', at: at(1) }));
        await store.appendTimeline(entry(b.id, { text: 'other incident', at: at(2) }));
        await store.appendTimeline(entry(a.id, { text: 'second-a', at: at(2) }));
        await store.appendTimeline(entry(a.id, { text: 'second-b', at: at(2) }));

        const list = await store.listTimeline(a.id);
        expect(list.map((e) => e.text)).toEqual(['first', 'second-a', 'second-b', 'third']);
        expect((await store.listTimeline(b.id)).map((e) => e.text)).toEqual(['other incident']);
        expect(await store.listTimeline('no-such-incident')).toEqual([]);
      });

      it('follows edits, deletions and key marks of a source message', async () => {
        const a = await store.createIncident(newIncident());
        const b = await store.createIncident(newIncident());
        const e = await store.appendTimeline(
          entry(a.id, { text: 'node is flapping', sourceMessageId: 'M1' }),
        );
        await store.appendTimeline(entry(b.id, { text: 'elsewhere', sourceMessageId: 'M2' }));

        expect(await store.findTimelineBySource(a.id, 'M1')).toEqual(e);
        expect(await store.findTimelineBySource(a.id, 'M2')).toBeUndefined();
        expect(await store.findTimelineBySource(b.id, 'M1')).toBeUndefined();

        await store.editTimelineText(e.id, 'node is down', at(2, 250));
        await store.setTimelineKey(e.id, true);
        expect(await store.findTimelineBySource(a.id, 'M1')).toEqual({
          ...e,
          text: 'node is down',
          editedAt: at(2, 250),
          key: true,
        });

        await store.setTimelineKey(e.id, false);
        await store.markTimelineDeleted(e.id, at(3));
        const [deleted] = await store.listTimeline(a.id);
        expect(deleted).toEqual({ ...e, text: '', editedAt: at(2, 250), deletedAt: at(3), key: false });
        expect((await store.listTimeline(b.id))[0]?.text).toBe('elsewhere');
      });
    });

    describe('actions', () => {
      it('creates an action waiting for approval', async () => {
        const inc = await store.createIncident(newIncident());
        const input = newAction(inc.id);
        const created = await store.createAction(input);
        expect(created).toEqual({
          ...input,
          status: 'requested',
          decidedBy: null,
          decidedByName: null,
          decidedAt: null,
          startedAt: null,
          finishedAt: null,
          result: null,
          messageId: null,
          runner: null,
        });
        expect(await store.getAction(input.id)).toEqual(created);
        expect(await store.getAction('no-such-action')).toBeUndefined();
      });

      it('moves an action only from the expected states', async () => {
        const inc = await store.createIncident(newIncident());
        const { id } = await store.createAction(newAction(inc.id));

        const approved = await store.transitionAction(id, ['requested'], 'approved', {
          decidedBy: 'U2',
          decidedByName: 'bob',
          decidedAt: at(6),
          runner: 'bot-0',
        });
        expect(approved).toMatchObject({
          status: 'approved',
          decidedBy: 'U2',
          decidedByName: 'bob',
          decidedAt: at(6),
          runner: 'bot-0',
        });

        // A second click finds it no longer requested; nothing it carried is written.
        expect(
          await store.transitionAction(id, ['requested'], 'cancelled', { decidedBy: 'U3', decidedAt: at(7) }),
        ).toBeUndefined();
        expect(await store.getAction(id)).toEqual(approved);

        const running = await store.transitionAction(id, ['approved'], 'running', {
          startedAt: at(8),
          runner: 'bot-1',
        });
        expect(running).toMatchObject({
          status: 'running',
          startedAt: at(8),
          decidedBy: 'U2',
          decidedAt: at(6),
          runner: 'bot-1',
        });

        const result = { ok: false, summary: 'drain failed', output: 'error: cannot evict pod "a"\nexit 1' };
        const failed = await store.transitionAction(id, ['running', 'approved'], 'failed', {
          finishedAt: at(9, 1),
          result,
        });
        expect(failed).toMatchObject({ status: 'failed', finishedAt: at(9, 1), result, startedAt: at(8) });

        expect(await store.transitionAction(id, [], 'running')).toBeUndefined();
        expect(await store.transitionAction('no-such-action', ['requested'], 'approved')).toBeUndefined();
        expect((await store.getAction(id))?.status).toBe('failed');
      });

      it('lets exactly one of two concurrent approvals win', async () => {
        const inc = await store.createIncident(newIncident());
        const { id } = await store.createAction(newAction(inc.id));
        const results = await Promise.all(
          ['U2', 'U3'].map((user) =>
            store.transitionAction(id, ['requested'], 'approved', { decidedBy: user, decidedAt: at(6) }),
          ),
        );
        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        expect((await store.getAction(id))?.decidedBy).toBe(winners[0]?.decidedBy);
      });

      it('records the button message and lists actions per incident in request order', async () => {
        const a = await store.createIncident(newIncident());
        const b = await store.createIncident(newIncident());
        const later = await store.createAction(newAction(a.id, { requestedAt: at(9), kind: 'cordon' }));
        const earlier = await store.createAction(newAction(a.id, { requestedAt: at(2), kind: 'restart' }));
        await store.createAction(newAction(b.id));

        await store.setActionMessage(later.id, 'MSG-1');
        expect((await store.getAction(later.id))?.messageId).toBe('MSG-1');
        expect((await store.listActions(a.id)).map((x) => x.id)).toEqual([earlier.id, later.id]);
        expect(await store.listActions('no-such-incident')).toEqual([]);
      });

      it("lists a node's actions across incidents, on it or on its workloads, newest first", async () => {
        const a = await store.createIncident(newIncident());
        const b = await store.createIncident(newIncident());
        const drain = await store.createAction(newAction(a.id, { target: 'gpu_node-5', requestedAt: at(3) }));
        const restart = await store.createAction(
          newAction(b.id, { kind: 'restart', target: 'gpu_node-5/vllm', requestedAt: at(8) }),
        );
        // Not this node: another whose name the first's is a prefix of, and one `_` would match as LIKE.
        await store.createAction(newAction(a.id, { target: 'gpu_node-50', requestedAt: at(4) }));
        await store.createAction(newAction(a.id, { target: 'gpuXnode-5/vllm', requestedAt: at(4) }));
        const old = await store.createAction(newAction(b.id, { target: 'gpu_node-5', requestedAt: at(0) }));
        expect((await store.listNodeActions('gpu_node-5', at(1))).map((x) => x.id)).toEqual([
          restart.id,
          drain.id,
        ]);
        expect((await store.listNodeActions('gpu_node-5', at(0))).map((x) => x.id)).toEqual([
          restart.id,
          drain.id,
          old.id,
        ]);
        expect(await store.listNodeActions('gpu_node-5', at(0), 1)).toHaveLength(1);
      });
    });

    describe('latest timeline entry', () => {
      it('is the newest entry of the kind that was not deleted', async () => {
        const inc = await store.createIncident(newIncident());
        const base = { incidentId: inc.id, actorId: 'U1', actorName: 'Ann' };
        await store.appendTimeline({ ...base, kind: 'update', at: at(1), text: 'first' });
        const second = await store.appendTimeline({ ...base, kind: 'update', at: at(2), text: 'second' });
        await store.appendTimeline({ ...base, kind: 'note', at: at(3), text: 'a note' });
        expect((await store.latestTimelineEntry(inc.id, 'update'))?.text).toBe('second');
        await store.markTimelineDeleted(second.id, at(4));
        expect((await store.latestTimelineEntry(inc.id, 'update'))?.text).toBe('first');
        expect(await store.latestTimelineEntry(inc.id, 'escalation')).toBeUndefined();
      });

      it('lists the entries of one kind since a time, oldest first', async () => {
        const inc = await store.createIncident(newIncident());
        const other = await store.createIncident(newIncident());
        const base = { incidentId: inc.id, actorId: 'U1', actorName: 'alice' };
        await store.appendTimeline({
          ...base,
          kind: 'severity',
          at: at(1),
          text: 'old',
          data: { from: 'SEV1', to: 'SEV3' },
        });
        await store.appendTimeline({ ...base, kind: 'severity', at: at(4), text: 'later' });
        await store.appendTimeline({ ...base, kind: 'severity', at: at(3), text: 'sooner' });
        await store.appendTimeline({ ...base, kind: 'note', at: at(3), text: 'a note' });
        await store.appendTimeline({
          ...base,
          incidentId: other.id,
          kind: 'severity',
          at: at(3),
          text: 'elsewhere',
        });
        expect((await store.listTimelineOfKind(inc.id, 'severity', at(3))).map((e) => e.text)).toEqual([
          'sooner',
          'later',
        ]);
        const all = await store.listTimelineOfKind(inc.id, 'severity', at(0));
        expect(all.map((e) => e.text)).toEqual(['old', 'sooner', 'later']);
        expect(all[0]!.data).toEqual({ from: 'SEV1', to: 'SEV3' });
        expect(await store.listTimelineOfKind(inc.id, 'severity', at(5))).toEqual([]);
      });
    });

    describe('expired actions', () => {
      it('lists requested actions whose expiry has passed, oldest first, and nothing else', async () => {
        const inc = await store.createIncident(newIncident());
        const due1 = await store.createAction(newAction(inc.id, { expiresAt: at(5) }));
        const due2 = await store.createAction(newAction(inc.id, { expiresAt: at(3) }));
        await store.createAction(newAction(inc.id, { expiresAt: at(30) }));
        const approved = await store.createAction(newAction(inc.id, { expiresAt: at(1) }));
        await store.transitionAction(approved.id, ['requested'], 'approved', { decidedAt: at(1) });
        expect((await store.listExpiredActions(at(5))).map((a) => a.id)).toEqual([due2.id, due1.id]);
        expect(await store.listExpiredActions(at(2))).toEqual([]);
        expect(await store.listExpiredActions(at(5), 1)).toHaveLength(1);
      });

      it('counts incidents per status and severity', async () => {
        await store.createIncident(newIncident({ severity: 'SEV1' }));
        await store.createIncident(newIncident({ severity: 'SEV1' }));
        const third = await store.createIncident(newIncident({ severity: 'SEV3' }));
        await store.updateIncident(third.id, third.version, { status: 'resolved', updatedAt: at(9) });
        const counts = await store.countIncidentsByStatusAndSeverity();
        expect(counts.sort((x, y) => x.severity.localeCompare(y.severity))).toEqual([
          { status: 'declared', severity: 'SEV1', count: 2 },
          { status: 'resolved', severity: 'SEV3', count: 1 },
        ]);
      });

      it('lists actions by status across incidents, oldest request first', async () => {
        const one = await store.createIncident(newIncident());
        const two = await store.createIncident(newIncident());
        const a = await store.createAction(newAction(two.id, { requestedAt: at(2) }));
        const b = await store.createAction(newAction(one.id, { requestedAt: at(1) }));
        await store.createAction(newAction(one.id, { requestedAt: at(3) }));
        await store.transitionAction(a.id, ['requested'], 'approved', { decidedAt: at(2) });
        await store.transitionAction(b.id, ['requested'], 'approved', { decidedAt: at(2) });
        await store.transitionAction(b.id, ['approved'], 'running', { startedAt: at(3) });
        const found = await store.listActionsByStatus(['approved', 'running']);
        expect(found.map((x) => [x.id, x.status])).toEqual([
          [b.id, 'running'],
          [a.id, 'approved'],
        ]);
        expect(await store.listActionsByStatus([])).toEqual([]);
      });
    });

    describe('processed events', () => {
      it('is true the first time an event id is seen and false for a redelivery', async () => {
        expect(await store.markEventProcessed('slack', 'Ev1', at(0))).toBe(true);
        expect(await store.markEventProcessed('slack', 'Ev1', at(1))).toBe(false);
        expect(await store.markEventProcessed('discord', 'Ev1', at(1))).toBe(true);
        expect(await store.markEventProcessed('slack', 'Ev2', at(1))).toBe(true);
      });

      it('accepts exactly one of concurrent deliveries of the same event', async () => {
        const results = await Promise.all(
          Array.from({ length: 4 }, () => store.markEventProcessed('alertmanager', 'g1', at(0))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('forgets one source’s ids processed before a time, and only those', async () => {
        await store.markEventProcessed('slack', 'old', at(0));
        await store.markEventProcessed('slack', 'new', at(10));
        await store.markEventProcessed('discord', 'old', at(0));
        expect(await store.pruneProcessedEvents('slack', at(5))).toBe(1);
        // Forgotten: seen as new again. The rest are still remembered.
        expect(await store.markEventProcessed('slack', 'old', at(11))).toBe(true);
        expect(await store.markEventProcessed('slack', 'new', at(11))).toBe(false);
        expect(await store.markEventProcessed('discord', 'old', at(11))).toBe(false);
        expect(await store.pruneProcessedEvents('slack', at(5))).toBe(0);
      });
    });

    describe('transactions', () => {
      it('commits everything the function wrote and returns its value', async () => {
        const value = await store.transaction(async (tx) => {
          const inc = await tx.createIncident(newIncident());
          await tx.appendTimeline(entry(inc.id, { kind: 'declared' }));
          // Reads inside see the transaction's own writes.
          expect((await tx.getIncident(inc.id))?.number).toBe(1);
          return inc.id;
        });
        expect((await store.getIncident(value))?.number).toBe(1);
        expect(await store.listTimeline(value)).toHaveLength(1);
      });

      it('rolls back everything when the function throws', async () => {
        const existing = await store.createIncident(newIncident());
        const boom = new Error('boom');
        let insideId = '';
        await expect(
          store.transaction(async (tx) => {
            const inc = await tx.createIncident(newIncident());
            insideId = inc.id;
            await tx.appendTimeline(entry(existing.id, { text: 'inside' }));
            await tx.createAction(newAction(existing.id));
            await tx.updateIncident(existing.id, existing.version, { title: 'changed', updatedAt: at(1) });
            await tx.assignRole({
              incidentId: existing.id,
              role: 'commander',
              userId: 'U1',
              userName: 'alice',
              assignedAt: at(1),
            });
            expect(await tx.markEventProcessed('slack', 'Ev-tx', at(1))).toBe(true);
            throw boom;
          }),
        ).rejects.toBe(boom);

        expect(insideId).not.toBe('');
        expect(await store.getIncident(insideId)).toBeUndefined();
        expect(await store.countIncidents()).toBe(1);
        expect(await store.getIncident(existing.id)).toEqual(existing);
        expect(await store.listTimeline(existing.id)).toEqual([]);
        expect(await store.listActions(existing.id)).toEqual([]);
        expect(await store.listRoles(existing.id)).toEqual([]);
        expect(await store.markEventProcessed('slack', 'Ev-tx', at(2))).toBe(true);
        // The rolled-back number is free again.
        expect((await store.createIncident(newIncident())).number).toBe(2);
      });

      it('hands its work a Tx, which can neither open another transaction nor close the store', async () => {
        await store.transaction(async (tx) => {
          // Checked by the compiler (npm test typechecks): a nested transaction would not be one
          // commit, and closing the store from inside one would leave it half written.
          // @ts-expect-error Tx has no transaction()
          void tx.transaction;
          // @ts-expect-error Tx has no close()
          void tx.close;
          await tx.createIncident(newIncident());
        });
        expect(await store.countIncidents()).toBe(1);
      });
    });

    describe('dates', () => {
      it('round-trips instants exactly, to the millisecond, whatever zone they were written in', async () => {
        const created = new Date('2026-03-29T01:59:59.999+02:00');
        const inc = await store.createIncident(newIncident({ createdAt: created }));
        const stored = (await store.getIncident(inc.id))!;
        expect(stored.createdAt.getTime()).toBe(created.getTime());
        expect(stored.createdAt.toISOString()).toBe('2026-03-28T23:59:59.999Z');

        const resolvedAt = new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 1));
        await store.updateIncident(inc.id, 1, { resolvedAt, updatedAt: resolvedAt });
        expect((await store.getIncident(inc.id))?.resolvedAt?.toISOString()).toBe('2026-12-31T23:59:59.001Z');

        const action = await store.createAction(
          newAction(inc.id, { expiresAt: new Date(1_767_225_600_123) }),
        );
        expect((await store.getAction(action.id))?.expiresAt.getTime()).toBe(1_767_225_600_123);
      });

      it('round-trips any instant through the timeline', async () => {
        const inc = await store.createIncident(newIncident());
        await fc.assert(
          fc.asyncProperty(
            fc.date({
              min: new Date('1970-01-01T00:00:00.000Z'),
              max: new Date('2999-12-31T23:59:59.999Z'),
              noInvalidDate: true,
            }),
            async (d) => {
              const e = await store.appendTimeline(entry(inc.id, { at: d }));
              const [found] = (await store.listTimeline(inc.id)).filter((x) => x.id === e.id);
              expect(found?.at.getTime()).toBe(d.getTime());
            },
          ),
          { numRuns: 50 },
        );
      });
    });

    describe('alerts', () => {
      const group = alert().groupKey;

      it('records an alert once per group and fingerprint, counting resends', async () => {
        await store.recordAlerts([alert()], at(1));
        await store.recordAlerts([alert()], at(2));
        const [a, ...rest] = await store.listGroupAlerts(group);
        expect(rest).toEqual([]);
        expect(a).toMatchObject({
          fingerprint: 'f1',
          status: 'firing',
          labels: { alertname: 'GPUXidError', node: 'gpu-node-5', xid: '79' },
          nodes: ['gpu-node-5'],
          summary: 'Xid 79 on gpu-node-5',
          receivedCount: 2,
          incidentId: null,
          postedStatus: null,
        });
        expect(a!.firstReceivedAt).toEqual(at(1));
        expect(a!.lastReceivedAt).toEqual(at(2));
        expect(a!.endsAt).toBeNull();
      });

      it('keeps a carried alert settled on a resend and pending again when its status changes', async () => {
        const incident = await store.createIncident(newIncident());
        await store.recordAlerts([alert(), alert({ fingerprint: 'f2' })], at(1));
        expect(await store.listPendingAlertGroups()).toEqual([group]);
        await store.markAlertsPosted(
          group,
          [
            { fingerprint: 'f1', status: 'firing' },
            { fingerprint: 'f2', status: 'firing' },
          ],
          incident.id,
        );
        expect(await store.listPendingAlertGroups()).toEqual([]);
        await store.recordAlerts([alert()], at(2));
        expect(await store.listPendingAlertGroups()).toEqual([]);
        await store.recordAlerts([alert({ status: 'resolved', endsAt: at(3) })], at(3));
        expect(await store.listPendingAlertGroups()).toEqual([group]);
        const alerts = await store.listIncidentAlerts(incident.id);
        expect(alerts.map((a) => [a.fingerprint, a.status, a.postedStatus])).toEqual([
          ['f1', 'resolved', 'firing'],
          ['f2', 'firing', 'firing'],
        ]);
        expect((await store.listFiringAlerts()).map((a) => a.fingerprint)).toEqual(['f2']);
        expect(await store.countIncidentAlerts(incident.id)).toEqual({ firing: 1, resolved: 1 });
        expect(await store.countIncidentAlerts('nothing')).toEqual({ firing: 0, resolved: 0 });
      });

      it('does not settle an alert whose status changed after it was read', async () => {
        const incident = await store.createIncident(newIncident());
        await store.recordAlerts([alert()], at(1));
        await store.recordAlerts([alert({ status: 'resolved' })], at(2));
        // The processor read "firing" before the resolve arrived.
        await store.markAlertsPosted(group, [{ fingerprint: 'f1', status: 'firing' }], incident.id);
        expect(await store.listPendingAlertGroups()).toEqual([group]);
      });

      it('leases pending groups to one owner at a time, taken over when the lease runs out', async () => {
        await store.recordAlerts([alert({ groupKey: 'g:b' })], at(2));
        await store.recordAlerts([alert({ groupKey: 'g:a' })], at(3));
        expect(await store.claimPendingAlertGroups(at(4), 'r1', 60_000)).toEqual(['g:b', 'g:a']);
        // Held by r1: r2 gets nothing until the lease ends, or r1 gives one back.
        expect(await store.claimPendingAlertGroups(at(4, 1), 'r2', 60_000)).toEqual([]);
        await store.releaseAlertGroup('g:a', 'r2'); // not r2's: nothing happens
        expect(await store.claimPendingAlertGroups(at(4, 2), 'r2', 60_000)).toEqual([]);
        await store.releaseAlertGroup('g:a', 'r1');
        expect(await store.claimPendingAlertGroups(at(4, 3), 'r2', 60_000)).toEqual(['g:a']);
        // r1's lease on g:b ran out; r2 takes it, and may claim the g:a it holds again (a
        // restarted single process keeps its owner name).
        expect(await store.claimPendingAlertGroups(at(5, 1), 'r2', 60_000)).toEqual(['g:b', 'g:a']);
        // A group with nothing pending is not offered.
        const incident = await store.createIncident(newIncident());
        await store.markAlertsPosted('g:b', [{ fingerprint: 'f1', status: 'firing' }], incident.id);
        await store.releaseAlertGroup('g:b', 'r2');
        expect(await store.claimPendingAlertGroups(at(9), 'r3', 60_000)).toEqual(['g:a']);
      });

      it('pages through a group’s alerts that are not carried yet, in fingerprint order', async () => {
        const many = Array.from({ length: 25 }, (_, i) =>
          alert({ groupKey: 'g:paged', fingerprint: `p${String(i).padStart(2, '0')}` }),
        );
        await store.recordAlerts(many, at(1));
        await store.markAlertsPosted(
          'g:paged',
          ['p03', 'p10'].map((fingerprint) => ({ fingerprint, status: 'firing' as const })),
          null,
        );
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.listPendingGroupAlerts('g:paged', {
            ...(after ? { after } : {}),
            limit: 10,
          });
          seen.push(...page.map((a) => a.fingerprint));
          if (page.length < 10) break;
          after = page[page.length - 1]!.fingerprint;
        }
        expect(seen).toEqual(many.map((a) => a.fingerprint).filter((f) => f !== 'p03' && f !== 'p10'));
        expect(await store.listPendingGroupAlerts('g:none', { limit: 10 })).toEqual([]);
      });

      it('lists pending groups oldest delivery first', async () => {
        await store.recordAlerts([alert({ groupKey: 'g:b' })], at(2));
        await store.recordAlerts([alert({ groupKey: 'g:a' })], at(3));
        await store.recordAlerts([alert({ groupKey: 'g:c' })], at(1));
        expect(await store.listPendingAlertGroups()).toEqual(['g:c', 'g:b', 'g:a']);
        expect(await store.listPendingAlertGroups(2)).toEqual(['g:c', 'g:b']);
      });

      it('keeps the last of two deliveries of one alert in a call, counting both, and takes large calls', async () => {
        await store.recordAlerts([alert(), alert({ status: 'resolved', endsAt: at(2) })], at(2));
        const [a] = await store.listGroupAlerts(group);
        expect(a).toMatchObject({ status: 'resolved', receivedCount: 2 });
        expect(a!.endsAt).toEqual(at(2));
        const many = Array.from({ length: 450 }, (_, i) =>
          alert({ groupKey: 'g:many', fingerprint: `m${i}` }),
        );
        await store.recordAlerts(many, at(3));
        expect(await store.listGroupAlerts('g:many')).toHaveLength(450);
      });

      it('writes a batch all or nothing', async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.recordAlerts([alert({ fingerprint: 'x1' }), alert({ fingerprint: 'x2' })], at(1));
            throw new Error('disk full');
          }),
        ).rejects.toThrow('disk full');
        expect(await store.listGroupAlerts(group)).toEqual([]);
      });

      it('counts the groups that opened their own incident since a time, not the storm ones', async () => {
        const incident = await store.createIncident(newIncident());
        await store.putAlertGroup({
          groupKey: 'g:1',
          incidentId: incident.id,
          storm: false,
          createdAt: at(1),
        });
        await store.putAlertGroup({
          groupKey: 'g:2',
          incidentId: incident.id,
          storm: false,
          createdAt: at(2),
        });
        await store.putAlertGroup({
          groupKey: 'g:3',
          incidentId: incident.id,
          storm: true,
          createdAt: at(2),
        });
        expect(await store.countOwnAlertGroupsSince(at(0))).toBe(2);
        expect(await store.countOwnAlertGroupsSince(at(2))).toBe(1);
        expect(await store.countOwnAlertGroupsSince(at(3))).toBe(0);
      });

      it('points a group at an incident, and at another one later', async () => {
        const first = await store.createIncident(newIncident());
        const second = await store.createIncident(newIncident());
        expect(await store.getAlertGroup(group)).toBeUndefined();
        await store.putAlertGroup({ groupKey: group, incidentId: first.id, storm: false, createdAt: at(1) });
        expect(await store.getAlertGroup(group)).toEqual({
          groupKey: group,
          incidentId: first.id,
          storm: false,
          createdAt: at(1),
        });
        // Not away from an incident that is still open: two replicas racing open one incident.
        const taken = await store
          .putAlertGroup({ groupKey: group, incidentId: second.id, storm: true, createdAt: at(9) })
          .catch((e: unknown) => e);
        expect(taken).toMatchObject({ code: 'bot.store.alert_group_taken' });
        expect((taken as Error).message).toBe('The alert group already feeds INC-1, which is still open.');
        // Pointing it at the incident it already feeds again is harmless.
        await store.putAlertGroup({ groupKey: group, incidentId: first.id, storm: false, createdAt: at(2) });
        expect(await store.getAlertGroup(group)).toMatchObject({ incidentId: first.id, createdAt: at(2) });

        await store.updateIncident(first.id, first.version, { status: 'resolved', updatedAt: at(8) });
        await store.putAlertGroup({ groupKey: group, incidentId: second.id, storm: true, createdAt: at(9) });
        expect(await store.getAlertGroup(group)).toMatchObject({ incidentId: second.id, storm: true });
      });

      it('refuses to move a group away from an open incident inside a transaction, rolling it back', async () => {
        const first = await store.createIncident(newIncident());
        await store.putAlertGroup({ groupKey: group, incidentId: first.id, storm: false, createdAt: at(1) });
        await expect(
          store.transaction(async (tx) => {
            const second = await tx.createIncident(newIncident());
            await tx.putAlertGroup({
              groupKey: group,
              incidentId: second.id,
              storm: false,
              createdAt: at(2),
            });
          }),
        ).rejects.toMatchObject({ code: 'bot.store.alert_group_taken' });
        expect(await store.countIncidents()).toBe(1);
        expect((await store.getAlertGroup(group))?.incidentId).toBe(first.id);
      });
    });

    describe('timers', () => {
      const timer = (over: Partial<Parameters<Store['scheduleTimer']>[0]> = {}) => ({
        incidentId: 'inc-1',
        kind: 'update',
        dueAt: at(15),
        payload: { every: 15 },
        createdAt: at(0),
        ...over,
      });

      it('keeps one timer per incident and kind, moved by scheduling again', async () => {
        await store.scheduleTimer(timer());
        await store.scheduleTimer(timer({ dueAt: at(30), payload: { every: 30 } }));
        expect(await store.getTimer('inc-1', 'update')).toEqual({
          incidentId: 'inc-1',
          kind: 'update',
          dueAt: at(30),
          payload: { every: 30 },
          createdAt: at(0),
        });
        expect(await store.getTimer('inc-1', 'commander')).toBeUndefined();
      });

      it('leases due timers to one owner at a time until the lease runs out', async () => {
        await store.scheduleTimer(timer({ dueAt: at(15) }));
        await store.scheduleTimer(timer({ kind: 'commander', dueAt: at(5) }));
        await store.scheduleTimer(timer({ incidentId: 'inc-2', dueAt: at(60) }));
        expect(await store.claimDueTimers(at(1), 'a', 60_000)).toEqual([]);
        const claimed = await store.claimDueTimers(at(20), 'a', 60_000);
        expect(claimed.map((t) => [t.incidentId, t.kind])).toEqual([
          ['inc-1', 'commander'],
          ['inc-1', 'update'],
        ]);
        // Held: another replica gets nothing, until the lease has run out.
        expect(await store.claimDueTimers(at(20), 'b', 60_000)).toEqual([]);
        expect((await store.claimDueTimers(at(21, 1), 'b', 60_000)).map((t) => t.kind)).toEqual([
          'commander',
          'update',
        ]);
        // The first owner lost them: it cannot finish them.
        expect(await store.finishTimer('inc-1', 'update', 'a')).toBe(false);
        expect(await store.finishTimer('inc-1', 'update', 'b', { dueAt: at(45) })).toBe(true);
        expect((await store.getTimer('inc-1', 'update'))!.dueAt).toEqual(at(45));
        expect(await store.finishTimer('inc-1', 'commander', 'b')).toBe(true);
        expect(await store.getTimer('inc-1', 'commander')).toBeUndefined();
        // Moved to 45 and free again: not due at 30, due at 45.
        expect(await store.claimDueTimers(at(30), 'c', 60_000)).toEqual([]);
        expect((await store.claimDueTimers(at(45), 'c', 60_000)).map((t) => t.kind)).toEqual(['update']);
      });

      it('leases only the kinds asked for, leaving the others free for their owner', async () => {
        await store.scheduleTimer(timer({ dueAt: at(5) }));
        await store.scheduleTimer(timer({ kind: 'drain_watch', dueAt: at(5) }));
        expect(
          (await store.claimDueTimers(at(10), 'r', 60_000, 50, ['update', 'commander'])).map((t) => t.kind),
        ).toEqual(['update']);
        expect(await store.claimDueTimers(at(10), 'w', 60_000, 50, [])).toEqual([]);
        expect(
          (await store.claimDueTimers(at(10), 'w', 60_000, 50, ['drain_watch'])).map((t) => t.kind),
        ).toEqual(['drain_watch']);
      });

      it("cancels some or all of an incident's timers", async () => {
        await store.scheduleTimer(timer());
        await store.scheduleTimer(timer({ kind: 'commander' }));
        await store.scheduleTimer(timer({ kind: 'action' }));
        await store.scheduleTimer(timer({ incidentId: 'inc-2' }));
        expect(await store.cancelTimers('inc-1', ['commander'])).toBe(1);
        expect(await store.cancelTimers('inc-1', [])).toBe(0);
        expect(await store.cancelTimers('inc-1')).toBe(2);
        expect(await store.getTimer('inc-2', 'update')).toBeDefined();
      });
    });

    describe('tracked messages', () => {
      const tracked = (messageId: string, over: Partial<TrackedMessage> = {}): TrackedMessage => ({
        incidentId: 'inc-1',
        purpose: 'reminder',
        channelId: 'C1',
        messageId,
        message: {
          text: `reminder ${messageId}`,
          buttons: [{ id: 'card:snooze-upd-15:inc-1', label: 'Snooze' }],
        },
        ...over,
      });

      it('remembers messages per incident, forgets one on request, and hands the rest over once, oldest first', async () => {
        await store.trackMessage(tracked('m2'), at(2));
        await store.trackMessage(tracked('m1', { purpose: 'resolve_offer' }), at(1));
        await store.trackMessage(tracked('m3'), at(3));
        await store.trackMessage(tracked('x', { incidentId: 'inc-2' }), at(1));
        // Again: replaced, not doubled.
        await store.trackMessage(tracked('m2', { message: { text: 'redrawn' } }), at(2));
        await store.untrackMessage('C1', 'm3');
        const taken = await store.takeTrackedMessages('inc-1');
        expect(taken.map((m) => [m.messageId, m.purpose, m.message.text])).toEqual([
          ['m1', 'resolve_offer', 'reminder m1'],
          ['m2', 'reminder', 'redrawn'],
        ]);
        expect(taken[0]?.message.buttons).toEqual([{ id: 'card:snooze-upd-15:inc-1', label: 'Snooze' }]);
        expect(await store.takeTrackedMessages('inc-1')).toEqual([]);
        expect((await store.takeTrackedMessages('inc-2')).map((m) => m.messageId)).toEqual(['x']);
      });
    });

    describe('hardware events', () => {
      const event = (key: string, over: Partial<HardwareEvent> = {}): HardwareEvent => ({
        key,
        node: 'gpu-node-5',
        gpu: 'serial 1654923962909',
        xid: 79,
        finding: null,
        incidentId: 'inc-1',
        seenAt: at(0),
        ...over,
      });

      it('remembers each event once, whoever reads it again, and counts them per GPU and Xid since a time', async () => {
        await store.recordHardwareEvents([event('a', { seenAt: at(10) }), event('b', { seenAt: at(20) })]);
        // The same dmesg line read again by a later triage: still one event, first seen at 10.
        await store.recordHardwareEvents([event('a', { seenAt: at(30), incidentId: 'inc-2' })]);
        await store.recordHardwareEvents([
          event('c', { xid: 48, seenAt: at(25) }),
          event('d', { gpu: 'gpu-node-6 0000:18:00', node: 'gpu-node-6', seenAt: at(25) }),
          event('e', { seenAt: at(1) }),
        ]);
        await store.recordHardwareEvents([]);
        expect(await store.countHardwareEvents(['serial 1654923962909'], at(5))).toEqual([
          { gpu: 'serial 1654923962909', xid: 48, finding: null, count: 1, first: at(25) },
          { gpu: 'serial 1654923962909', xid: 79, finding: null, count: 2, first: at(10) },
        ]);
        expect(
          await store.countHardwareEvents(['gpu-node-6 0000:18:00', 'serial 1654923962909'], at(0)),
        ).toEqual([
          { gpu: 'gpu-node-6 0000:18:00', xid: 79, finding: null, count: 1, first: at(25) },
          { gpu: 'serial 1654923962909', xid: 48, finding: null, count: 1, first: at(25) },
          { gpu: 'serial 1654923962909', xid: 79, finding: null, count: 3, first: at(1) },
        ]);
        expect(await store.countHardwareEvents([], at(0))).toEqual([]);
      });

      it('keeps GPU findings beside the Xids: no Xid, counted per finding, after the Xids', async () => {
        await store.recordHardwareEvents([
          event('x', { seenAt: at(5) }),
          event('f1', { xid: null, finding: 'row_remap_pending', seenAt: at(10) }),
          event('f2', { xid: null, finding: 'row_remap_pending', seenAt: at(20) }),
          event('f3', { xid: null, finding: 'nvlink_down', seenAt: at(30) }),
        ]);
        expect(await store.countHardwareEvents(['serial 1654923962909'], at(0))).toEqual([
          { gpu: 'serial 1654923962909', xid: 79, finding: null, count: 1, first: at(5) },
          { gpu: 'serial 1654923962909', xid: null, finding: 'nvlink_down', count: 1, first: at(30) },
          { gpu: 'serial 1654923962909', xid: null, finding: 'row_remap_pending', count: 2, first: at(10) },
        ]);
        const listed = await store.listHardwareEvents('gpu-node-5', at(0));
        expect(listed.map((e) => [e.key, e.xid, e.finding])).toEqual([
          ['f3', null, 'nvlink_down'],
          ['f2', null, 'row_remap_pending'],
          ['f1', null, 'row_remap_pending'],
          ['x', 79, null],
        ]);
      });

      it('keeps the most GPUs triage saw on a node each day, and the most since a day', async () => {
        expect(await store.maxGpuCount('gpu-node-5', at(0))).toBeUndefined();
        const day = (d: number) => new Date(T0.getTime() + d * 24 * 3600_000);
        await store.recordGpuCount('gpu-node-5', 8, day(0));
        await store.recordGpuCount('gpu-node-5', 7, day(0));
        await store.recordGpuCount('gpu-node-5', 7, day(1));
        await store.recordGpuCount('gpu-node-6', 4, day(1));
        const d0 = day(0).toISOString().slice(0, 10);
        const d1 = day(1).toISOString().slice(0, 10);
        // The day keeps its highest count, whatever came later that day.
        expect(await store.maxGpuCount('gpu-node-5', day(0))).toEqual({ gpus: 8, day: d0 });
        expect(await store.maxGpuCount('gpu-node-5', day(1))).toEqual({ gpus: 7, day: d1 });
        await store.recordGpuCount('gpu-node-5', 8, day(1));
        expect(await store.maxGpuCount('gpu-node-5', day(0))).toEqual({ gpus: 8, day: d1 });
        expect(await store.maxGpuCount('gpu-node-6', day(0))).toEqual({ gpus: 4, day: d1 });
        expect(await store.maxGpuCount('gpu-node-5', day(2))).toBeUndefined();
      });

      it("lists a node's events newest first, since a time", async () => {
        await store.recordHardwareEvents([
          event('a', { seenAt: at(10) }),
          event('b', { seenAt: at(20), xid: 48 }),
          event('c', { seenAt: at(30), node: 'gpu-node-6' }),
        ]);
        expect(
          (await store.listHardwareEvents('gpu-node-5', at(0))).map((e) => [e.key, e.xid, e.seenAt]),
        ).toEqual([
          ['b', 48, at(20)],
          ['a', 79, at(10)],
        ]);
        expect((await store.listHardwareEvents('gpu-node-5', at(15))).map((e) => e.key)).toEqual(['b']);
        expect(await store.listHardwareEvents('gpu-node-5', at(0), 1)).toHaveLength(1);
      });
    });

    describe('diagnostic bundle slots', () => {
      const claim = (claimId: string, minutes: number, over: Partial<BundleClaim> = {}): BundleClaim => ({
        node: 'gpu-node-5',
        claimId,
        incidentId: 'inc-1',
        requestedBy: 'alice',
        owner: 'replica-a',
        at: at(minutes),
        // A 15-minute rate limit and a 10-minute time limit (plus a little), as the service asks.
        doneBefore: at(minutes - 15),
        staleBefore: at(minutes - 12),
        ...over,
      });

      it('gives a node to one collection at a time, and again only after the rate limit', async () => {
        expect(await store.claimBundleSlot(claim('c1', 0))).toEqual({ claimed: true });
        // Still collecting: another ask (another replica) is told who holds it.
        const busy = await store.claimBundleSlot(claim('c2', 1, { requestedBy: 'bob', owner: 'replica-b' }));
        expect(busy).toMatchObject({
          claimed: false,
          holder: {
            claimId: 'c1',
            status: 'collecting',
            requestedBy: 'alice',
            owner: 'replica-a',
            startedAt: at(0),
          },
        });
        // Another node is free.
        expect(await store.claimBundleSlot(claim('c3', 1, { node: 'gpu-node-6' }))).toEqual({
          claimed: true,
        });
        expect(await store.finishBundleSlot('gpu-node-5', 'c2', 'done', at(2))).toBe(false);
        expect(await store.finishBundleSlot('gpu-node-5', 'c1', 'done', at(3))).toBe(true);
        // Finished twice: the second says no.
        expect(await store.finishBundleSlot('gpu-node-5', 'c1', 'failed', at(3))).toBe(false);
        const limited = await store.claimBundleSlot(claim('c4', 10));
        expect(limited).toMatchObject({
          claimed: false,
          holder: { claimId: 'c1', status: 'done', finishedAt: at(3) },
        });
        expect(await store.claimBundleSlot(claim('c5', 15))).toEqual({ claimed: true });
      });

      it('frees a node at once after a failed collection, and after one a restart cut off', async () => {
        await store.claimBundleSlot(claim('c1', 0));
        await store.finishBundleSlot('gpu-node-5', 'c1', 'failed', at(1));
        expect(await store.claimBundleSlot(claim('c2', 2))).toEqual({ claimed: true });
        expect(await store.listStaleBundleSlots(at(1))).toEqual([]);
        const [stale] = await store.listStaleBundleSlots(at(2));
        expect(stale).toMatchObject({
          node: 'gpu-node-5',
          claimId: 'c2',
          status: 'collecting',
          finishedAt: null,
        });
        // Past its time limit, a collection still "collecting" no longer holds the node.
        expect((await store.claimBundleSlot(claim('c3', 13))).claimed).toBe(false);
        expect(await store.claimBundleSlot(claim('c3', 14))).toEqual({ claimed: true });
        expect(await store.finishBundleSlot('gpu-node-5', 'c2', 'failed', at(15))).toBe(false);
      });

      it('gives the slot to exactly one of many claims made at once', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.claimBundleSlot(claim(`c${i}`, 0, { owner: `r${i}` }))),
        );
        expect(results.filter((r) => r.claimed)).toHaveLength(1);
      });
    });

    describe('outbox', () => {
      const entry = (id: string, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry => ({
        id,
        incidentId: 'inc-1',
        op: 'post',
        payload: { channel: 'incident', text: id },
        ...over,
      });

      it('keeps entries leased to their writer, then lets others take them in order once free', async () => {
        await store.enqueueOutbox([entry('o1'), entry('o2')], at(0), 'a', at(2));
        await store.enqueueOutbox([entry('o3', { incidentId: null })], at(0, 5), 'a', at(2));
        expect(await store.countPendingOutbox()).toBe(3);
        expect(await store.getOutboxEntry('o1')).toEqual({
          id: 'o1',
          incidentId: 'inc-1',
          op: 'post',
          payload: { channel: 'incident', text: 'o1' },
          createdAt: at(0),
          status: 'pending',
          attempts: 1,
          notBefore: at(0),
          error: null,
        });
        // Held by the writer: nobody else gets them until the lease has run out.
        expect(await store.claimOutbox(at(1), 'b', 60_000)).toEqual([]);
        const taken = await store.claimOutbox(at(2), 'b', 60_000, 2);
        expect(taken.map((e) => [e.id, e.attempts])).toEqual([
          ['o1', 2],
          ['o2', 2],
        ]);
        // The writer lost them: it cannot settle them any more.
        expect(await store.settleOutbox('o1', 'a', { status: 'done' }, at(2))).toBe(false);
        expect(await store.settleOutbox('o1', 'b', { status: 'done' }, at(2))).toBe(true);
        expect((await store.getOutboxEntry('o1'))!.status).toBe('done');
        expect(await store.countPendingOutbox()).toBe(2);
        // Done is final.
        expect((await store.claimOutbox(at(10), 'c', 60_000)).map((e) => e.id)).not.toContain('o1');
      });

      it('retries an entry when it is due again, and fails it for good', async () => {
        await store.enqueueOutbox([entry('o1'), entry('o2')], at(0), 'a', at(1));
        expect(
          await store.settleOutbox(
            'o1',
            'a',
            { status: 'pending', retryAt: at(5), error: 'HTTP 503' },
            at(0),
          ),
        ).toBe(true);
        expect(
          await store.settleOutbox('o2', 'a', { status: 'failed', error: 'channel_not_found' }, at(0)),
        ).toBe(true);
        expect(await store.claimOutbox(at(4), 'a', 60_000)).toEqual([]);
        const [again] = await store.claimOutbox(at(5), 'a', 60_000);
        expect(again).toMatchObject({ id: 'o1', attempts: 2, error: 'HTTP 503', notBefore: at(5) });
        expect(await store.getOutboxEntry('o2')).toMatchObject({
          status: 'failed',
          error: 'channel_not_found',
        });
        expect(await store.countPendingOutbox()).toBe(1);
      });

      it('never hands an owner its own live leases; a restarted owner lets them go first', async () => {
        await store.enqueueOutbox([entry('o1'), entry('o2')], at(0), 'local', at(2));
        // In flight in this very process: a sweep of the same owner must not take them again.
        expect(await store.claimOutbox(at(0, 1), 'local', 60_000)).toEqual([]);
        // A process that starts again as the same owner (SQLite) releases its old leases.
        expect(await store.releaseOutbox('local')).toBe(2);
        expect((await store.claimOutbox(at(0, 2), 'local', 60_000, 1)).map((e) => e.id)).toEqual(['o1']);
        expect((await store.claimOutbox(at(0, 2), 'x', 60_000)).map((e) => e.id)).toEqual(['o2']);
      });

      it("wakes an incident's waiting entries that nobody holds, and nothing else", async () => {
        await store.enqueueOutbox(
          [entry('o1'), entry('o2'), entry('o3'), entry('o4', { incidentId: 'inc-2' })],
          at(0),
          'a',
          at(1),
        );
        for (const id of ['o1', 'o2', 'o4']) {
          await store.settleOutbox(id, 'a', { status: 'pending', retryAt: at(30), error: 'Waiting.' }, at(0));
        }
        await store.enqueueOutbox([entry('o5')], at(2), 'a', at(60)); // held by its writer
        await store.settleOutbox('o3', 'a', { status: 'done' }, at(2));
        expect(await store.wakeOutbox('inc-1', at(3))).toBe(2);
        expect(await store.getOutboxEntry('o1')).toMatchObject({ status: 'pending', notBefore: at(3) });
        expect((await store.claimOutbox(at(3), 'b', 60_000)).map((e) => e.id)).toEqual(['o1', 'o2']);
        expect(await store.getOutboxEntry('o4')).toMatchObject({ notBefore: at(30) });
        expect(await store.getOutboxEntry('o3')).toMatchObject({ status: 'done' });
        // Nothing left waiting: waking again changes nothing.
        expect(await store.wakeOutbox('inc-1', at(4))).toBe(0);
      });

      it('prunes settled entries older than asked, never pending ones', async () => {
        await store.enqueueOutbox([entry('o1'), entry('o2'), entry('o3')], at(0), 'a', at(1));
        await store.settleOutbox('o1', 'a', { status: 'done' }, at(1));
        await store.settleOutbox('o2', 'a', { status: 'failed', error: 'x' }, at(3));
        expect(await store.pruneOutbox(at(2))).toBe(1);
        expect(await store.getOutboxEntry('o1')).toBeUndefined();
        expect(await store.getOutboxEntry('o2')).toBeDefined();
        expect(await store.pruneOutbox(at(100))).toBe(1);
        expect(await store.getOutboxEntry('o3')).toBeDefined();
      });

      it('writes nothing when the transaction that decided it rolls back', async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.enqueueOutbox([entry('o1')], at(0), 'a', at(1));
            throw new Error('decided otherwise');
          }),
        ).rejects.toThrow('decided otherwise');
        expect(await store.getOutboxEntry('o1')).toBeUndefined();
      });
    });

    describe('post-mortems', () => {
      it('stores a draft and replaces it, counting versions', async () => {
        expect(await store.getPostmortem('inc-1')).toBeUndefined();
        const first = await store.putPostmortem({
          incidentId: 'inc-1',
          markdown: '# INC-1',
          source: 'deterministic',
          model: null,
          note: 'no OPENAI_API_KEY',
          promptTokens: null,
          createdAt: at(1),
        });
        expect(first.version).toBe(1);
        await store.putPostmortem({
          incidentId: 'inc-1',
          markdown: '# INC-1 v2',
          source: 'llm',
          model: 'gpt-x',
          note: null,
          promptTokens: 1234,
          createdAt: at(2),
        });
        expect(await store.getPostmortem('inc-1')).toEqual({
          incidentId: 'inc-1',
          markdown: '# INC-1 v2',
          source: 'llm',
          model: 'gpt-x',
          note: null,
          promptTokens: 1234,
          createdAt: at(2),
          version: 2,
        });
      });
    });

    it('answers a ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
