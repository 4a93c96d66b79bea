import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotError } from '../../src/core/errors.ts';
import { openStore } from '../../src/store/index.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import type { OpenedStore } from '../../src/store/sqlite.ts';
import { storeContract } from './contract.ts';
import { admin, freshSchema, pgSuite, TEST_DATABASE_URL, urlWithSchema } from './postgres-db.ts';

const pgDescribe = await pgSuite(describe, 'the PostgreSQL store tests');

pgDescribe('PostgreSQL store', () => {
  // Each test in a schema of its own, dropped when it closes.
  storeContract('postgres', async () => {
    const { schema, drop } = await freshSchema();
    const { store, close } = await openPostgresStore(TEST_DATABASE_URL, { schema }).catch(async (err) => {
      await drop();
      throw err;
    });
    return {
      store,
      close: async () => {
        await close();
        await drop();
      },
    };
  });

  const incident = (over: { createdAt?: Date } = {}) => ({
    id: randomUUID(),
    title: 'Xid 79 on gpu-node-3',
    description: '',
    severity: 'SEV2' as const,
    private: false,
    platform: 'sandbox',
    createdBy: 'U1',
    createdAt: over.createdAt ?? new Date('2026-02-03T04:05:06.789Z'),
  });

  describe('openPostgresStore', () => {
    let schema: string;
    let drop: () => Promise<void>;
    beforeEach(async () => {
      ({ schema, drop } = await freshSchema());
    });
    afterEach(async () => {
      await drop();
    });

    it('migrates into the given schema, keeps what it wrote across reopening, and never reuses ids', async () => {
      const first = await openPostgresStore(TEST_DATABASE_URL, { schema });
      const inc = await first.store.createIncident(incident());
      const entry = await first.store.appendTimeline({
        incidentId: inc.id,
        kind: 'declared',
        at: inc.createdAt,
        actorId: 'U1',
        actorName: 'alice',
        text: 'declared',
      });
      await first.close();
      const tables = await admin<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by 1',
        [schema],
      );
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining([
          'incidents',
          'timeline_entries',
          'sandbox_messages',
          'timers',
          'kysely_migration',
        ]),
      );

      const second = await openPostgresStore(TEST_DATABASE_URL, { schema });
      try {
        expect(await second.store.getIncident(inc.id)).toEqual(inc);
        expect(await second.store.listTimeline(inc.id)).toEqual([entry]);
        expect((await second.store.createIncident(incident())).number).toBe(2);
        await sql`delete from timeline_entries`.execute(second.db);
        const next = await second.store.appendTimeline({ ...entry, text: 'again' });
        expect(next.id).toBeGreaterThan(entry.id);
        expect(typeof next.id).toBe('number');
      } finally {
        await second.close();
      }
    });

    it('takes the schema from the URL options too, as DATABASE_URL can carry it', async () => {
      const { store, close } = await openStore(urlWithSchema(schema));
      try {
        await store.createIncident(incident());
        const rows = await admin<{ n: string }>(`select count(*) as n from "${schema}".incidents`);
        expect(Number(rows[0]?.n)).toBe(1);
      } finally {
        await close();
      }
    });

    it("migrates its own schema even when another schema already holds an incident-bot's tables", async () => {
      const other = await freshSchema();
      try {
        await (await openPostgresStore(TEST_DATABASE_URL, { schema: other.schema })).close();
        // Both through the URL's search_path, as DATABASE_URL names a schema.
        const { store, close } = await openStore(urlWithSchema(schema));
        try {
          expect(await store.countIncidents()).toBe(0);
        } finally {
          await close();
        }
        const tables = await admin('select 1 from information_schema.tables where table_schema = $1', [
          schema,
        ]);
        expect(tables.length).toBeGreaterThan(5);
      } finally {
        await other.drop();
      }
    });

    it('migrates while other schemas on the server are being dropped', async () => {
      // Kysely's own introspector reads every schema on the server and failed start-up with
      // "schema t_… does not exist" when another client dropped one during the migration.
      let opened = false;
      const churn = async () => {
        while (!opened) {
          const other = await freshSchema();
          await admin(`create table "${other.schema}".t (id serial primary key, note text)`);
          await other.drop();
        }
      };
      const opening = (async () => {
        try {
          for (let i = 0; i < 10; i++) {
            const next = await freshSchema();
            try {
              await (await openPostgresStore(TEST_DATABASE_URL, { schema: next.schema })).close();
            } finally {
              await next.drop();
            }
          }
        } finally {
          opened = true;
        }
      })();
      await Promise.all([opening, churn(), churn(), churn()]);
    });

    it("introspects only the bot's schema, with the migration tables only when asked", async () => {
      const other = await freshSchema();
      try {
        await admin(`create table "${other.schema}".elsewhere (id int)`);
        const opened = await openPostgresStore(TEST_DATABASE_URL, { schema });
        try {
          const tables = await opened.db.introspection.getTables();
          expect(tables.map((t) => t.name)).toContain('incidents');
          expect(tables.map((t) => t.name)).not.toContain('elsewhere');
          expect(tables.map((t) => t.name)).not.toContain('kysely_migration');
          expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([schema]));
          const incidents = tables.find((t) => t.name === 'incidents');
          expect(incidents?.columns.find((c) => c.name === 'number')).toMatchObject({ isNullable: false });
          const all = await opened.db.introspection.getTables({ withInternalKyselyTables: true });
          expect(all.map((t) => t.name)).toContain('kysely_migration');
          expect(await opened.db.introspection.getSchemas()).toEqual([{ name: schema }]);
        } finally {
          await opened.close();
        }
      } finally {
        await other.drop();
      }
    });

    it('says so when the search_path names no existing schema', async () => {
      const err = await openStore(urlWithSchema(`${schema}_missing`)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BotError);
      expect((err as BotError).code).toBe('bot.store.open_failed');
      expect((err as BotError).message).toMatch(/no schema of the search_path exists/);
    });

    it('enforces foreign keys', async () => {
      const { store, close } = await openPostgresStore(TEST_DATABASE_URL, { schema });
      try {
        await expect(
          store.appendTimeline({
            incidentId: 'no-such-incident',
            kind: 'note',
            at: new Date(),
            actorId: null,
            actorName: null,
            text: 'orphan',
          }),
        ).rejects.toThrow(/foreign key/);
      } finally {
        await close();
      }
    });

    it('closing twice is harmless', async () => {
      const { store, close } = await openPostgresStore(TEST_DATABASE_URL, { schema });
      await store.close();
      await expect(close()).resolves.toBeUndefined();
      await expect(close()).resolves.toBeUndefined();
    });

    it('refuses a database migrated by a newer version with a clear error', async () => {
      const first = await openPostgresStore(TEST_DATABASE_URL, { schema });
      await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01')`.execute(
        first.db,
      );
      await first.close();
      const err = await openPostgresStore(TEST_DATABASE_URL, { schema }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BotError);
      expect((err as BotError).code).toBe('bot.store.migration_failed');
      expect((err as BotError).message).toContain('9999-from-the-future');
    });

    it('migrates once when two replicas start together', async () => {
      const [a, b] = await Promise.all([
        openPostgresStore(TEST_DATABASE_URL, { schema }),
        openPostgresStore(TEST_DATABASE_URL, { schema }),
      ]);
      try {
        await a.store.createIncident(incident());
        expect(await b.store.countIncidents()).toBe(1);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      const err = await openPostgresStore(TEST_DATABASE_URL, { schema: 'x"; drop table y; --' }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BotError);
      expect((err as BotError).code).toBe('bot.store.bad_url');
    });
  });

  it('names the server, never the password, when it cannot connect', async () => {
    // Port 1 on loopback: nothing listens there.
    const err = await openStore('postgres://bot:s3cret-pw@127.0.0.1:1/incidents').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BotError);
    expect((err as BotError).code).toBe('bot.store.open_failed');
    expect((err as BotError).message).toMatch(/^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/incidents: /);
    expect(`${(err as BotError).message} ${(err as BotError).hint}`).not.toContain('s3cret-pw');
  });

  /** Two replicas: two pools on one schema, racing for the same rows. */
  describe('two replicas on one database', () => {
    let a: OpenedStore;
    let b: OpenedStore;
    let drop: () => Promise<void>;
    beforeEach(async () => {
      const fresh = await freshSchema();
      drop = fresh.drop;
      a = await openPostgresStore(TEST_DATABASE_URL, { schema: fresh.schema });
      b = await openPostgresStore(TEST_DATABASE_URL, { schema: fresh.schema });
    });
    afterEach(async () => {
      await a.close();
      await b.close();
      await drop();
    });
    const T = new Date('2026-01-01T00:00:00.000Z');
    const at = (minutes: number) => new Date(T.getTime() + minutes * 60_000);

    it('numbers incidents created at once on both without a gap or a duplicate', async () => {
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).store.createIncident(incident())),
      );
      expect(created.map((i) => i.number).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    it('numbers incidents declared in transactions on both (the declare path)', async () => {
      const declare = (s: OpenedStore) =>
        s.store.transaction(async (tx) => {
          const inc = await tx.createIncident(incident());
          await tx.appendTimeline({
            incidentId: inc.id,
            kind: 'declared',
            at: inc.createdAt,
            actorId: 'U1',
            actorName: 'alice',
            text: 'declared',
          });
          return inc.number;
        });
      const numbers = await Promise.all([declare(a), declare(b), declare(a), declare(b)]);
      expect(numbers.sort()).toEqual([1, 2, 3, 4]);
    });

    it('leases a due timer to one replica only', async () => {
      for (let i = 0; i < 30; i++) {
        await a.store.scheduleTimer({ incidentId: `inc-${i}`, kind: 'update', dueAt: at(1), payload: { i } });
      }
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? a : b).store.claimDueTimers(at(2), `owner-${i}`, 60_000, 10),
        ),
      );
      const claimed = claims.flat().map((t) => t.incidentId);
      expect(claimed).toHaveLength(30);
      expect(new Set(claimed).size).toBe(30);
      // Each claim is in due order and only the owner that claimed a timer may finish it.
      const first = claims.find((c) => c.length > 0)!;
      const owner = `owner-${claims.indexOf(first)}`;
      const other = owner === 'owner-0' ? 'owner-1' : 'owner-0';
      expect(await b.store.finishTimer(first[0]!.incidentId, 'update', other)).toBe(false);
      expect(await a.store.finishTimer(first[0]!.incidentId, 'update', owner)).toBe(true);
    });

    it('leases each outbox entry to one replica only', async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `o${String(i).padStart(2, '0')}`);
      await a.store.enqueueOutbox(
        ids.map((id) => ({ id, incidentId: 'inc-1', op: 'post', payload: {} })),
        at(0),
        'dead',
        at(1),
      );
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? a : b).store.claimOutbox(at(2), `owner-${i}`, 60_000, 10),
        ),
      );
      const claimed = claims.flat().map((e) => e.id);
      expect(claimed.sort()).toEqual(ids);
      for (const c of claims) expect(c.map((e) => e.id)).toEqual([...c.map((e) => e.id)].sort());
    });

    it('leases each pending alert group to one replica only', async () => {
      for (let g = 0; g < 40; g++) {
        await a.store.recordAlerts(
          [
            {
              groupKey: `alertmanager:g${g}`,
              fingerprint: 'f',
              source: 'alertmanager',
              name: 'NodeDown',
              status: 'firing',
              labels: { alertname: 'NodeDown' },
              annotations: {},
              nodes: [],
              startsAt: at(0),
              endsAt: null,
            },
          ],
          at(1),
        );
      }
      // Replicas racing for the same candidates: each group goes to one; the losers claim fewer
      // this round and the rest in the next.
      const claimed: string[] = [];
      for (let round = 0; round < 10 && claimed.length < 40; round++) {
        const claims = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? a : b).store.claimPendingAlertGroups(at(2), `replica-${round}-${i}`, 60_000, 20),
          ),
        );
        claimed.push(...claims.flat());
      }
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed).toHaveLength(40);
    });

    it('lets one approval of an action win across replicas', async () => {
      const inc = await a.store.createIncident(incident());
      const action = await a.store.createAction({
        id: randomUUID(),
        incidentId: inc.id,
        kind: 'drain',
        target: 'gpu-node-3',
        params: {},
        preview: '',
        requestedBy: 'U1',
        requestedByName: 'alice',
        requestedAt: at(0),
        expiresAt: at(15),
        severity: 'SEV1',
      });
      const results = await Promise.all(
        ['U2', 'U3', 'U4', 'U5'].map((user, i) =>
          (i % 2 ? a : b).store.transitionAction(action.id, ['requested'], 'approved', {
            decidedBy: user,
            decidedAt: at(1),
          }),
        ),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect((await b.store.getAction(action.id))?.decidedBy).toBe(winners[0]?.decidedBy);
    });

    it('marks an inbound event processed once across replicas', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).store.markEventProcessed('slack', 'Ev1', at(0))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('opens one incident per alert group when both replicas declare for it at once', async () => {
      const group = 'alertmanager:{}:{alertname="GPUXidError"}';
      // What the alert processor does: the incident and the group's link in one transaction.
      const declare = (s: OpenedStore) =>
        s.store
          .transaction(async (tx) => {
            const inc = await tx.createIncident(incident());
            await tx.putAlertGroup({ groupKey: group, incidentId: inc.id, storm: false, createdAt: at(0) });
            return inc.id;
          })
          .then(
            (id) => ({ id }),
            (err: unknown) => ({ err }),
          );
      const outcomes = await Promise.all([declare(a), declare(b), declare(a), declare(b)]);
      const won = outcomes.filter((o): o is { id: string } => 'id' in o);
      expect(won).toHaveLength(1);
      for (const o of outcomes) {
        if ('err' in o) expect((o.err as BotError).code).toBe('bot.store.alert_group_taken');
      }
      expect(await a.store.countIncidents()).toBe(1);
      expect((await b.store.getAlertGroup(group))?.incidentId).toBe(won[0]!.id);
    });

    it('counts every delivery when both replicas record the same alerts at once', async () => {
      const alerts = Array.from({ length: 50 }, (_, i) => ({
        groupKey: 'g',
        fingerprint: `f${i}`,
        source: 'alertmanager',
        name: 'GPUXidError',
        status: 'firing' as const,
        labels: {},
        annotations: {},
        nodes: [],
        startsAt: at(0),
        endsAt: null,
      }));
      await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          (i % 2 ? a : b).store.transaction((tx) =>
            tx.recordAlerts(i < 2 ? alerts : [...alerts].reverse(), at(i)),
          ),
        ),
      );
      const stored = await a.store.listGroupAlerts('g');
      expect(stored).toHaveLength(50);
      expect(stored.every((s) => s.receivedCount === 4)).toBe(true);
    });

    it('counts post-mortem versions written at once on both', async () => {
      const draft = (n: number) => ({
        incidentId: 'inc-1',
        markdown: `# v${n}`,
        source: 'deterministic' as const,
        model: null,
        note: null,
        promptTokens: null,
        createdAt: at(n),
      });
      await Promise.all([a.store.putPostmortem(draft(1)), b.store.putPostmortem(draft(2))]);
      expect((await a.store.getPostmortem('inc-1'))?.version).toBe(2);
    });
  });
});
