import { type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import { BotError } from '../core/errors.ts';
import type {
  Action,
  ActionStatus,
  Incident,
  IncidentStatus,
  NewTimelineEntry,
  Role,
  RoleAssignment,
  Severity,
  TimelineEntry,
  TimelineKind,
} from '../core/index.ts';
import { isKeyByKind, isSingleHolder } from '../core/index.ts';
import type { SqlDialect } from './migrations/types.ts';
import type {
  ActionTransition,
  AlertGroup,
  AlertRecord,
  BundleClaim,
  BundleSlot,
  HardwareCount,
  HardwareEvent,
  IncidentFilter,
  IncidentPatch,
  NewAction,
  NewAlertRecord,
  NewIncident,
  NewOutboxEntry,
  OutboxEntry,
  OutboxOutcome,
  Store,
  StoredAlertStatus,
  StoredPostmortem,
  Timer,
  TrackedMessage,
  TrackedPurpose,
  Tx,
} from './port.ts';
import {
  flag,
  iso,
  isoOrNull,
  json,
  toAction,
  toAlert,
  toIncident,
  toRole,
  toTimelineEntry,
} from './rows.ts';
import type {
  ActionsTable,
  Database,
  IncidentsTable,
  NodeBundlesTable,
  OutboxTable,
  PostmortemsTable,
  TimersTable,
} from './schema.ts';

const ALERT_ROWS_PER_STATEMENT = 200;

/**
 * The Store over Kysely's query builder only, so the same class serves every dialect Kysely
 * speaks. A KyselyStore built on a `Transaction` writes inside that transaction.
 */
export class KyselyStore implements Store {
  readonly #db: Kysely<Database>;
  /** Where the engines differ (row locks, advisory locks), the store says which one it speaks. */
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Database>, options: { readonly dialect?: SqlDialect } = {}) {
    this.#db = db;
    this.#dialect = options.dialect ?? 'sqlite';
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    // A nested call joins the open transaction rather than nesting: a throw inside it therefore
    // rolls back the outer one too, unless the outer code catches it.
    if (this.#db.isTransaction) return fn(this);
    return this.#db.transaction().execute((trx) => fn(new KyselyStore(trx, { dialect: this.#dialect })));
  }

  /** Runs `fn` in the current transaction, or in a new one. */
  #atomically<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.#db.isTransaction) return fn(this.#db);
    return this.#db.transaction().execute(fn);
  }

  async createIncident(input: NewIncident): Promise<Incident> {
    // max+1 inside the transaction. SQLite has one writer at a time. On PostgreSQL two replicas
    // would read the same max, so creators first take a transaction-scoped advisory lock (per
    // schema): the second waits until the first commits, and its max then sees the new row. The
    // unique index on `number` stays the backstop: a race is an error, never a duplicate.
    return this.#atomically(async (db) => {
      if (this.#dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.incidents.number'))`.execute(
          db,
        );
      }
      const { max } = await db
        .selectFrom('incidents')
        .select((eb) => eb.fn.max('number').as('max'))
        .executeTakeFirstOrThrow();
      const row = await db
        .insertInto('incidents')
        .values({
          id: input.id,
          number: Number(max ?? 0) + 1,
          title: input.title,
          description: input.description,
          severity: input.severity,
          status: 'declared',
          is_private: flag(input.private),
          platform: input.platform,
          channel_id: null,
          channel_name: null,
          card_message_id: null,
          created_by: input.createdBy,
          created_at: iso(input.createdAt),
          updated_at: iso(input.createdAt),
          acknowledged_at: null,
          mitigated_at: null,
          resolved_at: null,
          closed_at: null,
          version: 1,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toIncident(row);
    });
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await this.#db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toIncident(row);
  }

  async getIncidentByNumber(number: number): Promise<Incident | undefined> {
    const row = await this.#db
      .selectFrom('incidents')
      .selectAll()
      .where('number', '=', number)
      .executeTakeFirst();
    return row && toIncident(row);
  }

  async getIncidentByChannel(platform: string, channelId: string): Promise<Incident | undefined> {
    // Channel ids are not unique in the schema (a platform could hand one out again); the newest wins.
    const row = await this.#db
      .selectFrom('incidents')
      .selectAll()
      .where('platform', '=', platform)
      .where('channel_id', '=', channelId)
      .orderBy('number', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toIncident(row);
  }

  async listIncidents(filter: IncidentFilter = {}): Promise<Incident[]> {
    const { statuses, platform, limit } = filter;
    // An empty status list matches nothing (SQL has no `in ()`), never everything.
    if (statuses?.length === 0 || limit === 0) return [];
    let query = this.#db.selectFrom('incidents').selectAll().orderBy('number', 'desc');
    if (statuses) query = query.where('status', 'in', statuses);
    if (platform !== undefined) query = query.where('platform', '=', platform);
    if (limit !== undefined) query = query.limit(limit);
    return (await query.execute()).map(toIncident);
  }

  async countIncidentsByStatusAndSeverity(): Promise<
    { status: IncidentStatus; severity: Severity; count: number }[]
  > {
    const rows = await this.#db
      .selectFrom('incidents')
      .select(['status', 'severity', (eb) => eb.fn.countAll().as('n')])
      .groupBy(['status', 'severity'])
      .execute();
    return rows.map((r) => ({ status: r.status, severity: r.severity, count: Number(r.n) }));
  }

  async countIncidents(): Promise<number> {
    const { n } = await this.#db
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  async updateIncident(
    id: string,
    expectedVersion: number,
    patch: IncidentPatch,
  ): Promise<Incident | undefined> {
    const row = await this.#db
      .updateTable('incidents')
      .set((eb) => ({ ...incidentColumns(patch), version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .returningAll()
      .executeTakeFirst();
    return row && toIncident(row);
  }

  async assignRole(a: RoleAssignment): Promise<void> {
    await this.#atomically(async (db) => {
      if (isSingleHolder(a.role)) {
        await db
          .deleteFrom('incident_roles')
          .where('incident_id', '=', a.incidentId)
          .where('role', '=', a.role)
          .where('user_id', '!=', a.userId)
          .execute();
      }
      // Assigning someone who already holds the role keeps the original assignment (and its time).
      await db
        .insertInto('incident_roles')
        .values({
          incident_id: a.incidentId,
          role: a.role,
          user_id: a.userId,
          user_name: a.userName,
          assigned_at: iso(a.assignedAt),
        })
        .onConflict((oc) => oc.columns(['incident_id', 'role', 'user_id']).doNothing())
        .execute();
    });
  }

  async unassignRole(incidentId: string, role: Role, userId: string): Promise<boolean> {
    const res = await this.#db
      .deleteFrom('incident_roles')
      .where('incident_id', '=', incidentId)
      .where('role', '=', role)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return res.numDeletedRows > 0n;
  }

  async listRoles(incidentId: string): Promise<RoleAssignment[]> {
    const rows = await this.#db
      .selectFrom('incident_roles')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('assigned_at')
      .orderBy('role')
      .orderBy('user_id')
      .execute();
    return rows.map(toRole);
  }

  async appendTimeline(entry: NewTimelineEntry): Promise<TimelineEntry> {
    const row = await this.#db
      .insertInto('timeline_entries')
      .values({
        incident_id: entry.incidentId,
        kind: entry.kind,
        at: iso(entry.at),
        actor_id: entry.actorId,
        actor_name: entry.actorName,
        text: entry.text,
        data: json(entry.data ?? {}),
        // Declared/status/severity changes are key events by nature unless the caller says otherwise.
        is_key: flag(entry.key ?? isKeyByKind(entry.kind)),
        source_message_id: entry.sourceMessageId ?? null,
        edited_at: null,
        deleted_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toTimelineEntry(row);
  }

  async listTimeline(incidentId: string): Promise<TimelineEntry[]> {
    // Entries can arrive out of time order (a late message); the id breaks ties among equal times.
    const rows = await this.#db
      .selectFrom('timeline_entries')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(toTimelineEntry);
  }

  async listTimelineOfKind(incidentId: string, kind: TimelineKind, since: Date): Promise<TimelineEntry[]> {
    const rows = await this.#db
      .selectFrom('timeline_entries')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .where('kind', '=', kind)
      .where('at', '>=', iso(since))
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(toTimelineEntry);
  }

  async latestTimelineEntry(incidentId: string, kind: TimelineKind): Promise<TimelineEntry | undefined> {
    const row = await this.#db
      .selectFrom('timeline_entries')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .where('kind', '=', kind)
      .where('deleted_at', 'is', null)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toTimelineEntry(row) : undefined;
  }

  async findTimelineBySource(
    incidentId: string,
    sourceMessageId: string,
  ): Promise<TimelineEntry | undefined> {
    const row = await this.#db
      .selectFrom('timeline_entries')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .where('source_message_id', '=', sourceMessageId)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row && toTimelineEntry(row);
  }

  async editTimelineText(id: number, text: string, editedAt: Date): Promise<void> {
    await this.#db
      .updateTable('timeline_entries')
      .set({ text, edited_at: iso(editedAt) })
      .where('id', '=', id)
      .execute();
  }

  async markTimelineDeleted(id: number, deletedAt: Date): Promise<void> {
    await this.#db
      .updateTable('timeline_entries')
      .set({ text: '', deleted_at: iso(deletedAt) })
      .where('id', '=', id)
      .execute();
  }

  async setTimelineKey(id: number, key: boolean): Promise<void> {
    await this.#db
      .updateTable('timeline_entries')
      .set({ is_key: flag(key) })
      .where('id', '=', id)
      .execute();
  }

  async createAction(input: NewAction): Promise<Action> {
    const row = await this.#db
      .insertInto('actions')
      .values({
        id: input.id,
        incident_id: input.incidentId,
        kind: input.kind,
        target: input.target,
        params: json(input.params),
        preview: input.preview,
        status: 'requested',
        requested_by: input.requestedBy,
        requested_by_name: input.requestedByName,
        requested_at: iso(input.requestedAt),
        expires_at: iso(input.expiresAt),
        decided_by: null,
        decided_by_name: null,
        decided_at: null,
        started_at: null,
        finished_at: null,
        result: null,
        message_id: null,
        runner: null,
        severity: input.severity,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAction(row);
  }

  async getAction(id: string): Promise<Action | undefined> {
    const row = await this.#db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAction(row);
  }

  async listActions(incidentId: string): Promise<Action[]> {
    const rows = await this.#db
      .selectFrom('actions')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('requested_at')
      .orderBy('id')
      .execute();
    return rows.map(toAction);
  }

  async listNodeActions(node: string, since: Date, limit = 200): Promise<Action[]> {
    // A workload's target is `node/name`. Node names may hold `_`, a LIKE wildcard, so the prefix
    // is compared with substr, not LIKE.
    const prefix = `${node}/`;
    const rows = await this.#db
      .selectFrom('actions')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('target', '=', node),
          eb(eb.fn('substr', ['target', eb.val(1), eb.val(prefix.length)]), '=', prefix),
        ]),
      )
      .where('requested_at', '>=', iso(since))
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toAction);
  }

  async listActionsByStatus(statuses: readonly ActionStatus[], limit = 1000): Promise<Action[]> {
    if (statuses.length === 0) return [];
    const rows = await this.#db
      .selectFrom('actions')
      .selectAll()
      .where('status', 'in', statuses)
      .orderBy('requested_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toAction);
  }

  async listExpiredActions(now: Date, limit = 100): Promise<Action[]> {
    const rows = await this.#db
      .selectFrom('actions')
      .selectAll()
      .where('status', '=', 'requested')
      .where('expires_at', '<=', now.toISOString())
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map(toAction);
  }

  async transitionAction(
    id: string,
    from: readonly ActionStatus[],
    to: ActionStatus,
    fields: ActionTransition = {},
  ): Promise<Action | undefined> {
    if (from.length === 0) return undefined;
    // One conditional UPDATE: the database decides which of two concurrent clicks wins.
    const row = await this.#db
      .updateTable('actions')
      .set({ ...actionColumns(fields), status: to })
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
    return row && toAction(row);
  }

  async setActionMessage(id: string, messageId: string): Promise<void> {
    await this.#db.updateTable('actions').set({ message_id: messageId }).where('id', '=', id).execute();
  }

  async recordAlerts(alerts: readonly NewAlertRecord[], receivedAt: Date): Promise<void> {
    if (alerts.length === 0) return;
    const at = iso(receivedAt);
    // One row per alert: a later delivery of the same alert in this call replaces an earlier one
    // (the last status wins) and both count. PostgreSQL refuses to upsert one row twice in a statement.
    const latest = new Map<string, { alert: NewAlertRecord; count: number }>();
    for (const a of alerts) {
      const k = `${a.groupKey}\u0000${a.fingerprint}`;
      const seen = latest.get(k);
      latest.delete(k);
      latest.set(k, { alert: a, count: (seen?.count ?? 0) + 1 });
    }
    // In key order, so two replicas upserting overlapping batches lock rows in the same order
    // (PostgreSQL would otherwise report a deadlock and fail one of them).
    const ordered = [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const rows = ordered.map(([, { alert: a, count }]) => ({
      group_key: a.groupKey,
      fingerprint: a.fingerprint,
      source: a.source,
      name: a.name,
      status: a.status,
      labels: json(a.labels),
      annotations: json(a.annotations),
      nodes: json(a.nodes),
      summary: a.summary ?? null,
      runbook_url: a.runbookUrl ?? null,
      generator_url: a.generatorUrl ?? null,
      starts_at: iso(a.startsAt),
      ends_at: isoOrNull(a.endsAt),
      first_received_at: at,
      last_received_at: at,
      received_count: count,
      incident_id: null,
      posted_status: null,
      pending: 1,
    }));
    await this.#atomically(async (db) => {
      // Many rows per statement (19 columns each, well under SQLite's 32,766 parameters).
      for (let i = 0; i < rows.length; i += ALERT_ROWS_PER_STATEMENT) {
        await db
          .insertInto('alerts')
          .values(rows.slice(i, i + ALERT_ROWS_PER_STATEMENT))
          .onConflict((oc) =>
            oc.columns(['group_key', 'fingerprint']).doUpdateSet((eb) => ({
              status: eb.ref('excluded.status'),
              annotations: eb.ref('excluded.annotations'),
              summary: eb.ref('excluded.summary'),
              runbook_url: eb.ref('excluded.runbook_url'),
              generator_url: eb.ref('excluded.generator_url'),
              starts_at: eb.ref('excluded.starts_at'),
              ends_at: eb.ref('excluded.ends_at'),
              last_received_at: eb.ref('excluded.last_received_at'),
              received_count: eb('alerts.received_count', '+', eb.ref('excluded.received_count')),
              // Pending unless this status is the one already carried to the incident (a resend).
              pending: eb
                .case()
                .when('alerts.posted_status', '=', eb.ref('excluded.status'))
                .then(eb.lit(0))
                .else(eb.lit(1))
                .end(),
            })),
          )
          .execute();
      }
    });
  }

  async listPendingAlertGroups(limit = 100): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('alerts')
      .select('group_key')
      .select((eb) => eb.fn.min('last_received_at').as('first'))
      .where('pending', '=', 1)
      .groupBy('group_key')
      .orderBy('first')
      .orderBy('group_key')
      .limit(limit)
      .execute();
    return rows.map((r) => r.group_key);
  }

  async claimPendingAlertGroups(now: Date, owner: string, leaseMs: number, limit = 100): Promise<string[]> {
    const at = iso(now);
    const until = iso(new Date(now.getTime() + leaseMs));
    // Candidates: pending groups nobody holds (or whose lease ran out), oldest delivery first.
    const candidates = await this.#db
      .selectFrom('alerts')
      .leftJoin('alert_claims', 'alert_claims.group_key', 'alerts.group_key')
      .select('alerts.group_key')
      .select((eb) => eb.fn.min('alerts.last_received_at').as('first'))
      .where('alerts.pending', '=', 1)
      .where((eb) =>
        eb.or([
          eb('alert_claims.lease_until', 'is', null),
          eb('alert_claims.lease_until', '<=', at),
          eb('alert_claims.owner', '=', owner),
        ]),
      )
      .groupBy('alerts.group_key')
      .orderBy('first')
      .orderBy('alerts.group_key')
      .limit(limit)
      .execute();
    const claimed: string[] = [];
    for (const { group_key } of candidates) {
      // Insert, or take over only an expired lease: the database picks one owner per group.
      const row = await this.#db
        .insertInto('alert_claims')
        .values({ group_key, owner, lease_until: until })
        .onConflict((oc) =>
          oc
            .column('group_key')
            .doUpdateSet({ owner, lease_until: until })
            .where((eb) =>
              eb.or([eb('alert_claims.lease_until', '<=', at), eb('alert_claims.owner', '=', owner)]),
            ),
        )
        .returning('group_key')
        .executeTakeFirst();
      if (row) claimed.push(group_key);
    }
    return claimed;
  }

  async releaseAlertGroup(groupKey: string, owner: string): Promise<void> {
    await this.#db
      .deleteFrom('alert_claims')
      .where('group_key', '=', groupKey)
      .where('owner', '=', owner)
      .execute();
  }

  async listGroupAlerts(groupKey: string): Promise<AlertRecord[]> {
    const rows = await this.#db
      .selectFrom('alerts')
      .selectAll()
      .where('group_key', '=', groupKey)
      .orderBy('first_received_at')
      .orderBy('fingerprint')
      .execute();
    return rows.map(toAlert);
  }

  async listPendingGroupAlerts(
    groupKey: string,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<AlertRecord[]> {
    let query = this.#db
      .selectFrom('alerts')
      .selectAll()
      .where('group_key', '=', groupKey)
      .where('pending', '=', 1);
    if (page.after !== undefined) query = query.where('fingerprint', '>', page.after);
    const rows = await query.orderBy('fingerprint').limit(page.limit).execute();
    return rows.map(toAlert);
  }

  async listIncidentAlerts(incidentId: string): Promise<AlertRecord[]> {
    const rows = await this.#db
      .selectFrom('alerts')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('first_received_at')
      .orderBy('group_key')
      .orderBy('fingerprint')
      .execute();
    return rows.map(toAlert);
  }

  async countIncidentAlerts(incidentId: string): Promise<{ firing: number; resolved: number }> {
    const rows = await this.#db
      .selectFrom('alerts')
      .select(['status', (eb) => eb.fn.countAll().as('n')])
      .where('incident_id', '=', incidentId)
      .groupBy('status')
      .execute();
    const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return { firing: count('firing'), resolved: count('resolved') };
  }

  async listFiringAlerts(limit = 10_000): Promise<AlertRecord[]> {
    const rows = await this.#db
      .selectFrom('alerts')
      .selectAll()
      .where('status', '=', 'firing')
      .orderBy('first_received_at')
      .limit(limit)
      .execute();
    return rows.map(toAlert);
  }

  async markAlertsPosted(
    groupKey: string,
    posted: readonly { readonly fingerprint: string; readonly status: StoredAlertStatus }[],
    incidentId: string | null,
  ): Promise<void> {
    if (posted.length === 0) return;
    await this.#atomically(async (db) => {
      for (const status of ['firing', 'resolved'] as const) {
        const fingerprints = posted.filter((p) => p.status === status).map((p) => p.fingerprint);
        for (let i = 0; i < fingerprints.length; i += 500) {
          // Only where the status is still the one carried: a change that arrived meanwhile stays pending.
          await db
            .updateTable('alerts')
            .set({ posted_status: status, pending: 0, incident_id: incidentId })
            .where('group_key', '=', groupKey)
            .where('fingerprint', 'in', fingerprints.slice(i, i + 500))
            .where('status', '=', status)
            .execute();
        }
      }
    });
  }

  async countOwnAlertGroupsSince(since: Date): Promise<number> {
    const row = await this.#db
      .selectFrom('alert_groups')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('storm', '=', 0)
      .where('created_at', '>=', iso(since))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async getAlertGroup(groupKey: string): Promise<AlertGroup | undefined> {
    const row = await this.#db
      .selectFrom('alert_groups')
      .selectAll()
      .where('group_key', '=', groupKey)
      .executeTakeFirst();
    return (
      row && {
        groupKey: row.group_key,
        incidentId: row.incident_id,
        storm: Boolean(row.storm),
        createdAt: new Date(row.created_at),
      }
    );
  }

  async putAlertGroup(group: AlertGroup): Promise<void> {
    const row = {
      group_key: group.groupKey,
      incident_id: group.incidentId,
      storm: flag(group.storm),
      created_at: iso(group.createdAt),
    };
    await this.#atomically(async (db) => {
      // A concurrent insert of the same key waits here for the other transaction to finish.
      const inserted = await db
        .insertInto('alert_groups')
        .values(row)
        .onConflict((oc) => oc.column('group_key').doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) return;
      let current = db
        .selectFrom('alert_groups')
        .select('incident_id')
        .where('group_key', '=', group.groupKey);
      // Row lock: a replica re-pointing the group at the same time waits for this transaction.
      if (this.#dialect === 'postgres') current = current.forUpdate();
      const existing = await current.executeTakeFirst();
      if (existing && existing.incident_id !== group.incidentId) {
        // A separate statement, so on PostgreSQL it sees what committed while this one waited.
        const holder = await db
          .selectFrom('incidents')
          .select(['number', 'status'])
          .where('id', '=', existing.incident_id)
          .executeTakeFirst();
        if (holder && holder.status !== 'resolved' && holder.status !== 'closed') {
          throw new BotError(
            'bot.store.alert_group_taken',
            `The alert group already feeds INC-${Number(holder.number)}, which is still open.`,
            {
              hint: 'Another replica opened the incident first; the alerts go to that incident on the next attempt.',
            },
          );
        }
      }
      await db
        .updateTable('alert_groups')
        .set({ incident_id: row.incident_id, storm: row.storm, created_at: row.created_at })
        .where('group_key', '=', group.groupKey)
        .execute();
    });
  }

  async scheduleTimer(timer: Omit<Timer, 'createdAt'> & { readonly createdAt?: Date }): Promise<void> {
    const row = {
      incident_id: timer.incidentId,
      kind: timer.kind,
      due_at: iso(timer.dueAt),
      payload: json(timer.payload),
      lease_owner: null,
      lease_until: null,
      created_at: iso(timer.createdAt ?? timer.dueAt),
    };
    await this.#db
      .insertInto('timers')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['incident_id', 'kind']).doUpdateSet({
          due_at: row.due_at,
          payload: row.payload,
          lease_owner: null,
          lease_until: null,
        }),
      )
      .execute();
  }

  async getTimer(incidentId: string, kind: string): Promise<Timer | undefined> {
    const row = await this.#db
      .selectFrom('timers')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return row && toTimer(row);
  }

  async trackMessage(m: TrackedMessage, at: Date): Promise<void> {
    const row = {
      channel_id: m.channelId,
      message_id: m.messageId,
      incident_id: m.incidentId,
      purpose: m.purpose,
      message: json(m.message),
      created_at: iso(at),
    };
    await this.#db
      .insertInto('tracked_messages')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['channel_id', 'message_id']).doUpdateSet({ purpose: row.purpose, message: row.message }),
      )
      .execute();
  }

  async recordHardwareEvents(events: readonly HardwareEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#db
      .insertInto('hardware_events')
      .values(
        events.map((e) => ({
          event_key: e.key,
          node: e.node,
          gpu: e.gpu,
          xid: e.xid,
          finding: e.finding,
          incident_id: e.incidentId,
          seen_at: iso(e.seenAt),
        })),
      )
      .onConflict((oc) => oc.column('event_key').doNothing())
      .execute();
  }

  async countHardwareEvents(gpus: readonly string[], since: Date): Promise<HardwareCount[]> {
    if (gpus.length === 0) return [];
    const rows = await this.#db
      .selectFrom('hardware_events')
      .select((eb) => [
        'gpu',
        'xid',
        'finding',
        eb.fn.countAll<string | number>().as('count'),
        eb.fn.min('seen_at').as('first'),
      ])
      .where('gpu', 'in', [...gpus])
      .where('seen_at', '>=', iso(since))
      .groupBy(['gpu', 'xid', 'finding'])
      .execute();
    return rows
      .map((r) => ({
        gpu: r.gpu,
        xid: r.xid === null ? null : Number(r.xid),
        finding: r.finding,
        count: Number(r.count),
        first: new Date(r.first),
      }))
      .sort(
        (a, b) =>
          a.gpu.localeCompare(b.gpu) ||
          (a.xid ?? Infinity) - (b.xid ?? Infinity) ||
          (a.finding ?? '').localeCompare(b.finding ?? ''),
      );
  }

  async listHardwareEvents(node: string, since: Date, limit = 500): Promise<HardwareEvent[]> {
    const rows = await this.#db
      .selectFrom('hardware_events')
      .selectAll()
      .where('node', '=', node)
      .where('seen_at', '>=', iso(since))
      .orderBy('seen_at', 'desc')
      .orderBy('event_key')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      key: r.event_key,
      node: r.node,
      gpu: r.gpu,
      xid: r.xid === null ? null : Number(r.xid),
      finding: r.finding,
      incidentId: r.incident_id,
      seenAt: new Date(r.seen_at),
    }));
  }

  async recordGpuCount(node: string, gpus: number, at: Date): Promise<void> {
    await this.#db
      .insertInto('gpu_counts')
      .values({ node, day: iso(at).slice(0, 10), gpus })
      .onConflict((oc) =>
        oc.columns(['node', 'day']).doUpdateSet({
          gpus: sql<number>`CASE WHEN excluded.gpus > gpu_counts.gpus THEN excluded.gpus ELSE gpu_counts.gpus END`,
        }),
      )
      .execute();
  }

  async maxGpuCount(node: string, since: Date): Promise<{ gpus: number; day: string } | undefined> {
    const row = await this.#db
      .selectFrom('gpu_counts')
      .select(['gpus', 'day'])
      .where('node', '=', node)
      .where('day', '>=', iso(since).slice(0, 10))
      .orderBy('gpus', 'desc')
      .orderBy('day', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { gpus: Number(row.gpus), day: row.day } : undefined;
  }

  async claimBundleSlot(
    claim: BundleClaim,
  ): Promise<{ claimed: true } | { claimed: false; holder: BundleSlot }> {
    const row = {
      node: claim.node,
      claim_id: claim.claimId,
      status: 'collecting',
      incident_id: claim.incidentId,
      requested_by: claim.requestedBy,
      owner: claim.owner,
      started_at: iso(claim.at),
      finished_at: null,
    };
    const taken = await this.#db
      .insertInto('node_bundles')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('node')
          .doUpdateSet({
            claim_id: row.claim_id,
            status: row.status,
            incident_id: row.incident_id,
            requested_by: row.requested_by,
            owner: row.owner,
            started_at: row.started_at,
            finished_at: null,
          })
          .where((eb) =>
            eb.or([
              eb('node_bundles.status', '=', 'failed'),
              eb.and([
                eb('node_bundles.status', '=', 'done'),
                eb('node_bundles.started_at', '<=', iso(claim.doneBefore)),
              ]),
              eb.and([
                eb('node_bundles.status', '=', 'collecting'),
                eb('node_bundles.started_at', '<=', iso(claim.staleBefore)),
              ]),
            ]),
          ),
      )
      .returning('claim_id')
      .executeTakeFirst();
    if (taken?.claim_id === claim.claimId) return { claimed: true };
    const holder = await this.#db
      .selectFrom('node_bundles')
      .selectAll()
      .where('node', '=', claim.node)
      .executeTakeFirstOrThrow();
    return { claimed: false, holder: bundleSlot(holder) };
  }

  async finishBundleSlot(
    node: string,
    claimId: string,
    status: 'done' | 'failed',
    at: Date,
  ): Promise<boolean> {
    const r = await this.#db
      .updateTable('node_bundles')
      .set({ status, finished_at: iso(at) })
      .where('node', '=', node)
      .where('claim_id', '=', claimId)
      .where('status', '=', 'collecting')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listStaleBundleSlots(before: Date, limit = 100): Promise<BundleSlot[]> {
    const rows = await this.#db
      .selectFrom('node_bundles')
      .selectAll()
      .where('status', '=', 'collecting')
      .where('started_at', '<=', iso(before))
      .orderBy('started_at')
      .orderBy('node')
      .limit(limit)
      .execute();
    return rows.map(bundleSlot);
  }

  async untrackMessage(channelId: string, messageId: string): Promise<void> {
    await this.#db
      .deleteFrom('tracked_messages')
      .where('channel_id', '=', channelId)
      .where('message_id', '=', messageId)
      .execute();
  }

  async takeTrackedMessages(incidentId: string): Promise<TrackedMessage[]> {
    const rows = await this.#db
      .deleteFrom('tracked_messages')
      .where('incident_id', '=', incidentId)
      .returningAll()
      .execute();
    return rows
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.message_id.localeCompare(b.message_id))
      .map((r) => ({
        incidentId: r.incident_id,
        purpose: r.purpose as TrackedPurpose,
        channelId: r.channel_id,
        messageId: r.message_id,
        message: JSON.parse(r.message) as TrackedMessage['message'],
      }));
  }

  async cancelTimers(incidentId: string, kinds?: readonly string[]): Promise<number> {
    if (kinds && kinds.length === 0) return 0;
    let q = this.#db.deleteFrom('timers').where('incident_id', '=', incidentId);
    if (kinds) q = q.where('kind', 'in', kinds);
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async claimDueTimers(
    now: Date,
    owner: string,
    leaseMs: number,
    limit = 100,
    kinds?: readonly string[],
  ): Promise<Timer[]> {
    const at = iso(now);
    const until = iso(new Date(now.getTime() + leaseMs));
    if (limit <= 0 || kinds?.length === 0) return [];
    // One statement: lease the due, free rows. On PostgreSQL the candidates are locked with SKIP
    // LOCKED, so a replica claiming at the same moment skips them instead of waiting; SQLite has
    // one writer, so the statement alone is atomic.
    const rows = await this.#db
      .updateTable('timers')
      .set({ lease_owner: owner, lease_until: until })
      .where((eb) =>
        eb(
          eb.refTuple('incident_id', 'kind'),
          'in',
          eb
            .selectFrom('timers as t')
            .select(['t.incident_id', 't.kind'])
            .where('t.due_at', '<=', at)
            .where((w) => w.or([w('t.lease_until', 'is', null), w('t.lease_until', '<=', at)]))
            .$if(kinds !== undefined, (q) => q.where('t.kind', 'in', [...(kinds ?? [])]))
            .orderBy('t.due_at')
            .limit(limit)
            .$if(this.#dialect === 'postgres', (q) => q.forUpdate().skipLocked())
            .$asTuple('incident_id', 'kind'),
        ),
      )
      .returningAll()
      .execute();
    return rows.sort(byDue).map(toTimer);
  }

  async finishTimer(
    incidentId: string,
    kind: string,
    owner: string,
    next?: { readonly dueAt: Date; readonly payload?: Readonly<Record<string, unknown>> },
  ): Promise<boolean> {
    if (next) {
      const res = await this.#db
        .updateTable('timers')
        .set({
          due_at: iso(next.dueAt),
          lease_owner: null,
          lease_until: null,
          ...(next.payload ? { payload: json(next.payload) } : {}),
        })
        .where('incident_id', '=', incidentId)
        .where('kind', '=', kind)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    }
    const res = await this.#db
      .deleteFrom('timers')
      .where('incident_id', '=', incidentId)
      .where('kind', '=', kind)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async enqueueOutbox(
    entries: readonly NewOutboxEntry[],
    at: Date,
    owner: string,
    leaseUntil: Date,
  ): Promise<void> {
    if (entries.length === 0) return;
    const now = iso(at);
    await this.#db
      .insertInto('outbox')
      .values(
        entries.map((e, i) => ({
          id: e.id,
          incident_id: e.incidentId,
          op: e.op,
          payload: json(e.payload),
          created_at: now,
          ord: i,
          status: 'pending' as const,
          attempts: 1,
          not_before: now,
          lease_owner: owner,
          lease_until: iso(leaseUntil),
          error: null,
          done_at: null,
        })),
      )
      .execute();
  }

  async claimOutbox(now: Date, owner: string, leaseMs: number, limit = 100): Promise<OutboxEntry[]> {
    const at = iso(now);
    const until = iso(new Date(now.getTime() + leaseMs));
    if (limit <= 0) return [];
    // As claimDueTimers: one statement, SKIP LOCKED on PostgreSQL. Never the caller's own live
    // leases: those are deliveries in flight in this very process.
    const rows = await this.#db
      .updateTable('outbox')
      .set((eb) => ({ lease_owner: owner, lease_until: until, attempts: eb('attempts', '+', 1) }))
      .where(
        'id',
        'in',
        this.#db
          .selectFrom('outbox')
          .select('id')
          .where('status', '=', 'pending')
          .where('not_before', '<=', at)
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
          .orderBy('created_at')
          .orderBy('ord')
          .limit(limit)
          .$if(this.#dialect === 'postgres', (q) => q.forUpdate().skipLocked()),
      )
      .returningAll()
      .execute();
    return rows.sort(byOutboxOrder).map(toOutboxEntry);
  }

  async settleOutbox(id: string, owner: string, outcome: OutboxOutcome, at: Date): Promise<boolean> {
    const res = await this.#db
      .updateTable('outbox')
      .set({
        status: outcome.status,
        lease_owner: null,
        lease_until: null,
        error: outcome.status === 'done' ? null : outcome.error.slice(0, 2000),
        ...(outcome.status === 'pending' ? { not_before: iso(outcome.retryAt) } : { done_at: iso(at) }),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async releaseOutbox(owner: string): Promise<number> {
    const res = await this.#db
      .updateTable('outbox')
      .set({ lease_owner: null, lease_until: null })
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async wakeOutbox(incidentId: string, now: Date): Promise<number> {
    const res = await this.#db
      .updateTable('outbox')
      .set({ not_before: iso(now) })
      .where('incident_id', '=', incidentId)
      .where('status', '=', 'pending')
      .where('not_before', '>', iso(now))
      .where('lease_owner', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async getOutboxEntry(id: string): Promise<OutboxEntry | undefined> {
    const row = await this.#db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toOutboxEntry(row);
  }

  async countPendingOutbox(): Promise<number> {
    const row = await this.#db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async pruneOutbox(before: Date): Promise<number> {
    const res = await this.#db
      .deleteFrom('outbox')
      .where('status', '!=', 'pending')
      .where('done_at', '<', iso(before))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async putPostmortem(p: Omit<StoredPostmortem, 'version'>): Promise<StoredPostmortem> {
    const row: PostmortemsTable = {
      incident_id: p.incidentId,
      markdown: p.markdown,
      source: p.source,
      model: p.model,
      note: p.note,
      prompt_tokens: p.promptTokens,
      created_at: iso(p.createdAt),
      version: 1,
    };
    // One upsert, so two replicas drafting at once both succeed and count two versions.
    const stored = await this.#db
      .insertInto('postmortems')
      .values(row)
      .onConflict((oc) =>
        oc.column('incident_id').doUpdateSet((eb) => ({
          markdown: eb.ref('excluded.markdown'),
          source: eb.ref('excluded.source'),
          model: eb.ref('excluded.model'),
          note: eb.ref('excluded.note'),
          prompt_tokens: eb.ref('excluded.prompt_tokens'),
          created_at: eb.ref('excluded.created_at'),
          version: eb('postmortems.version', '+', 1),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPostmortem(stored);
  }

  async getPostmortem(incidentId: string): Promise<StoredPostmortem | undefined> {
    const row = await this.#db
      .selectFrom('postmortems')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .executeTakeFirst();
    return row && toPostmortem(row);
  }

  async markEventProcessed(source: string, eventId: string, at: Date): Promise<boolean> {
    const res = await this.#db
      .insertInto('processed_events')
      .values({ source, event_id: eventId, processed_at: iso(at) })
      .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
      .executeTakeFirst();
    return (res.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async pruneProcessedEvents(source: string, before: Date): Promise<number> {
    const res = await this.#db
      .deleteFrom('processed_events')
      .where('source', '=', source)
      .where('processed_at', '<', iso(before))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async ping(): Promise<void> {
    await this.#db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
  }

  async close(): Promise<void> {
    // A transaction-bound store does not own the connection; the root store's owner closes it.
    if (this.#db.isTransaction) return;
    await this.#db.destroy();
  }
}

function byDue(a: TimersTable, b: TimersTable): number {
  const key = (r: TimersTable) => `${r.due_at}\u0000${r.incident_id}\u0000${r.kind}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

function byOutboxOrder(a: OutboxTable, b: OutboxTable): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return Number(a.ord) - Number(b.ord);
}

function toOutboxEntry(r: OutboxTable): OutboxEntry {
  return {
    id: r.id,
    incidentId: r.incident_id,
    op: r.op,
    payload: JSON.parse(r.payload),
    createdAt: new Date(r.created_at),
    status: r.status,
    attempts: Number(r.attempts),
    notBefore: new Date(r.not_before),
    error: r.error,
  };
}

function toTimer(r: TimersTable): Timer {
  return {
    incidentId: r.incident_id,
    kind: r.kind,
    dueAt: new Date(r.due_at),
    payload: JSON.parse(r.payload),
    createdAt: new Date(r.created_at),
  };
}

function toPostmortem(r: PostmortemsTable): StoredPostmortem {
  return {
    incidentId: r.incident_id,
    markdown: r.markdown,
    source: r.source,
    model: r.model,
    note: r.note,
    promptTokens: r.prompt_tokens === null ? null : Number(r.prompt_tokens),
    createdAt: new Date(r.created_at),
    version: Number(r.version),
  };
}

/** The columns an incident patch sets; an absent key leaves its column alone, null clears it. */
function incidentColumns(p: IncidentPatch): Updateable<IncidentsTable> {
  const set: Updateable<IncidentsTable> = { updated_at: iso(p.updatedAt) };
  if (p.title !== undefined) set.title = p.title;
  if (p.description !== undefined) set.description = p.description;
  if (p.severity !== undefined) set.severity = p.severity;
  if (p.status !== undefined) set.status = p.status;
  if (p.channelId !== undefined) set.channel_id = p.channelId;
  if (p.channelName !== undefined) set.channel_name = p.channelName;
  if (p.cardMessageId !== undefined) set.card_message_id = p.cardMessageId;
  if (p.acknowledgedAt !== undefined) set.acknowledged_at = isoOrNull(p.acknowledgedAt);
  if (p.mitigatedAt !== undefined) set.mitigated_at = isoOrNull(p.mitigatedAt);
  if (p.resolvedAt !== undefined) set.resolved_at = isoOrNull(p.resolvedAt);
  if (p.closedAt !== undefined) set.closed_at = isoOrNull(p.closedAt);
  return set;
}

function actionColumns(f: ActionTransition): Updateable<ActionsTable> {
  const set: Updateable<ActionsTable> = {};
  if (f.decidedBy !== undefined) set.decided_by = f.decidedBy;
  if (f.decidedByName !== undefined) set.decided_by_name = f.decidedByName;
  if (f.decidedAt !== undefined) set.decided_at = iso(f.decidedAt);
  if (f.startedAt !== undefined) set.started_at = iso(f.startedAt);
  if (f.finishedAt !== undefined) set.finished_at = iso(f.finishedAt);
  if (f.result !== undefined) set.result = json(f.result);
  if (f.runner !== undefined) set.runner = f.runner;
  return set;
}

function bundleSlot(r: Selectable<NodeBundlesTable>): BundleSlot {
  return {
    node: r.node,
    claimId: r.claim_id,
    status: r.status === 'done' || r.status === 'failed' ? r.status : 'collecting',
    incidentId: r.incident_id,
    requestedBy: r.requested_by,
    owner: r.owner,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
  };
}
