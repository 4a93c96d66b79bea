import type { ChatMessage } from '../chat/message.ts';
import type {
  Action,
  ActionResult,
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

export interface NewIncident {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly private: boolean;
  readonly platform: string;
  readonly createdBy: string;
  readonly createdAt: Date;
}

/** Fields an update may change. `updatedAt` is required so every write is dated by the caller's clock. */
export type IncidentPatch = Partial<
  Pick<
    Incident,
    | 'title'
    | 'description'
    | 'severity'
    | 'status'
    | 'channelId'
    | 'channelName'
    | 'cardMessageId'
    | 'acknowledgedAt'
    | 'mitigatedAt'
    | 'resolvedAt'
    | 'closedAt'
  >
> & { readonly updatedAt: Date };

export interface IncidentFilter {
  readonly statuses?: readonly IncidentStatus[];
  /** Only incidents that live on this chat platform. */
  readonly platform?: string;
  readonly limit?: number;
}

export interface NewAction {
  readonly id: string;
  readonly incidentId: string;
  readonly kind: Action['kind'];
  readonly target: string;
  readonly params: Record<string, unknown>;
  readonly preview: string;
  readonly requestedBy: string;
  readonly requestedByName: string;
  readonly requestedAt: Date;
  readonly expiresAt: Date;
  /** The incident's severity at the request (see Action.severity). */
  readonly severity: Severity;
}

/** What a status move of an action also records. */
export interface ActionTransition {
  readonly decidedBy?: string;
  readonly decidedByName?: string;
  readonly decidedAt?: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly result?: ActionResult;
  /** The process approving or starting it (see Action.runner). */
  readonly runner?: string;
}

export type StoredAlertStatus = 'firing' | 'resolved';

/** One alert as a webhook delivered it, keyed by its group and fingerprint. */
export interface NewAlertRecord {
  /** `source:groupKey` (see incidentKeyFor): group keys are only unique per sender. */
  readonly groupKey: string;
  readonly fingerprint: string;
  readonly source: string;
  readonly name: string;
  readonly status: StoredAlertStatus;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Node names the labels point at. */
  readonly nodes: readonly string[];
  readonly summary?: string;
  readonly runbookUrl?: string;
  readonly generatorUrl?: string;
  readonly startsAt: Date;
  readonly endsAt: Date | null;
}

export interface AlertRecord extends NewAlertRecord {
  readonly firstReceivedAt: Date;
  readonly lastReceivedAt: Date;
  /** Deliveries of this alert, resends included. */
  readonly receivedCount: number;
  /** The incident it was carried to; null until then. */
  readonly incidentId: string | null;
  /** The status last carried to the incident; differs from `status` while the change is pending. */
  readonly postedStatus: StoredAlertStatus | null;
}

/** Which incident an alert group feeds. */
export interface AlertGroup {
  readonly groupKey: string;
  readonly incidentId: string;
  /** True when the group joined the storm incident instead of opening its own. */
  readonly storm: boolean;
  readonly createdAt: Date;
}

/**
 * A durable timer: at most one per incident and kind (scheduling again moves it). `payload` is
 * whatever the owner needs when it fires.
 */
export interface Timer {
  readonly incidentId: string;
  readonly kind: string;
  readonly dueAt: Date;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}

/**
 * A chat call decided on and not yet known to be delivered (see the 0006 migration). `id` doubles
 * as the idempotency key the platform sees, so it is short (≤ 25 characters).
 */
export interface OutboxEntry {
  readonly id: string;
  readonly incidentId: string | null;
  /** What to do: the outbox's handlers know each op (post, card, topic, open_channel, …). */
  readonly op: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  readonly status: 'pending' | 'done' | 'failed';
  /** How many deliveries were started; above 1, an earlier one may have reached the platform. */
  readonly attempts: number;
  readonly notBefore: Date;
  readonly error: string | null;
}

export type NewOutboxEntry = Pick<OutboxEntry, 'id' | 'incidentId' | 'op' | 'payload'>;

/** How a claimed delivery ended: done, failed for good, or to be tried again at `retryAt`. */
export type OutboxOutcome =
  | { readonly status: 'done' }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'pending'; readonly retryAt: Date; readonly error: string };

/** A post-mortem draft as stored; asking again replaces it and bumps `version`. */
export interface StoredPostmortem {
  readonly incidentId: string;
  readonly markdown: string;
  /** Whether the narrative came from the model or is the deterministic draft. */
  readonly source: 'llm' | 'deterministic';
  readonly model: string | null;
  /** Why the deterministic draft was used, or other remarks. */
  readonly note: string | null;
  readonly promptTokens: number | null;
  readonly createdAt: Date;
  readonly version: number;
}

/** Incidents, their numbers and their roles. */
export interface IncidentRecords {
  /** Allocates the next incident number atomically. */
  createIncident(input: NewIncident): Promise<Incident>;
  getIncident(id: string): Promise<Incident | undefined>;
  getIncidentByNumber(number: number): Promise<Incident | undefined>;
  getIncidentByChannel(platform: string, channelId: string): Promise<Incident | undefined>;
  /** Newest first. */
  listIncidents(filter?: IncidentFilter): Promise<Incident[]>;
  countIncidents(): Promise<number>;
  /** How many incidents there are per status and severity (only pairs that occur). */
  countIncidentsByStatusAndSeverity(): Promise<
    { status: IncidentStatus; severity: Severity; count: number }[]
  >;
  /**
   * Compare-and-set on `version`: applies the patch only if the stored version still equals
   * `expectedVersion`, and returns the updated incident, or undefined when someone else wrote first.
   */
  updateIncident(id: string, expectedVersion: number, patch: IncidentPatch): Promise<Incident | undefined>;

  /** Commander and communications lead have one holder (assigning replaces); responders are many. */
  assignRole(assignment: RoleAssignment): Promise<void>;
  unassignRole(incidentId: string, role: Role, userId: string): Promise<boolean>;
  listRoles(incidentId: string): Promise<RoleAssignment[]>;
}

/** The incident's timeline: what happened, who did it, and what it came from. */
export interface TimelineRecords {
  appendTimeline(entry: NewTimelineEntry): Promise<TimelineEntry>;
  /** Oldest first. */
  listTimeline(incidentId: string): Promise<TimelineEntry[]>;
  findTimelineBySource(incidentId: string, sourceMessageId: string): Promise<TimelineEntry | undefined>;
  /** Entries of `kind` at or after `since`, oldest first (the severity changes an approval weighs). */
  listTimelineOfKind(incidentId: string, kind: TimelineKind, since: Date): Promise<TimelineEntry[]>;
  /** The newest entry of `kind` that was not deleted (the card's "latest update"). */
  latestTimelineEntry(incidentId: string, kind: TimelineKind): Promise<TimelineEntry | undefined>;
  /** Follows an edit of the chat message a timeline entry came from. */
  editTimelineText(id: number, text: string, editedAt: Date): Promise<void>;
  /** Follows a deletion: the text is dropped, the entry stays as a marker. */
  markTimelineDeleted(id: number, deletedAt: Date): Promise<void>;
  setTimelineKey(id: number, key: boolean): Promise<void>;
}

/** Mitigations and their moves (every move a compare-and-set). */
export interface ActionRecords {
  createAction(input: NewAction): Promise<Action>;
  getAction(id: string): Promise<Action | undefined>;
  listActions(incidentId: string): Promise<Action[]>;
  /**
   * Compare-and-set: moves the action to `to` only if its status is one of `from`. Returns the
   * updated action, or undefined when it was not in `from` (a double click, a second replica).
   */
  transitionAction(
    id: string,
    from: readonly ActionStatus[],
    to: ActionStatus,
    fields?: ActionTransition,
  ): Promise<Action | undefined>;
  setActionMessage(id: string, messageId: string): Promise<void>;
  /** Actions still waiting for approval whose time ran out at `now`, oldest first (the expiry sweep). */
  listExpiredActions(now: Date, limit?: number): Promise<Action[]>;
  /** Actions in any of these statuses, oldest request first (recovery after a crash). */
  listActionsByStatus(statuses: readonly ActionStatus[], limit?: number): Promise<Action[]>;
  /**
   * Every incident's actions on `node` or on a workload of it (`node/…`) requested at or after
   * `since`, newest first, at most `limit` (a node's history).
   */
  listNodeActions(node: string, since: Date, limit?: number): Promise<Action[]>;
}

/** Alerts as received, their groups, and which incident each group feeds. */
export interface AlertRecords {
  /**
   * Inserts or updates each alert (by group key and fingerprint). A new alert, or one whose status
   * differs from what was last carried to its incident, becomes pending; a resend with nothing new
   * only counts the delivery. Use inside `transaction` for a batch.
   */
  recordAlerts(alerts: readonly NewAlertRecord[], receivedAt: Date): Promise<void>;
  /** Group keys with pending alerts, oldest delivery first. */
  listPendingAlertGroups(limit?: number): Promise<string[]>;
  /**
   * Leases up to `limit` groups with pending alerts to `owner` until `now + leaseMs` (oldest
   * delivery first), skipping groups another owner holds; returns their keys. Two replicas never
   * get the same group while its lease runs. The same owner may claim its own groups again (a
   * single process restarted after a crash keeps one owner name).
   */
  claimPendingAlertGroups(now: Date, owner: string, leaseMs: number, limit?: number): Promise<string[]>;
  /** Gives a claimed group back (done with it, or failed: another owner may take it at once). */
  releaseAlertGroup(groupKey: string, owner: string): Promise<void>;
  /** Every alert of a group, oldest first. */
  listGroupAlerts(groupKey: string): Promise<AlertRecord[]>;
  /**
   * A page of a group's alerts whose status has not been carried to an incident yet, in
   * fingerprint order after `after`: a storm group of 60,000 alerts is read a page at a time.
   */
  listPendingGroupAlerts(
    groupKey: string,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<AlertRecord[]>;
  /** Every alert carried to an incident, oldest first. */
  listIncidentAlerts(incidentId: string): Promise<AlertRecord[]>;
  /** How many of an incident's alerts fire and how many have resolved (the card). */
  countIncidentAlerts(incidentId: string): Promise<{ firing: number; resolved: number }>;
  /** Alerts firing now, whatever their incident (for /node list); at most `limit`. */
  listFiringAlerts(limit?: number): Promise<AlertRecord[]>;
  /**
   * Marks these alerts carried to `incidentId` (null: to no incident, e.g. a resolve for a group never
   * seen firing) with the status they had; a status that changed since stays pending.
   */
  markAlertsPosted(
    groupKey: string,
    posted: readonly { readonly fingerprint: string; readonly status: StoredAlertStatus }[],
    incidentId: string | null,
  ): Promise<void>;
  getAlertGroup(groupKey: string): Promise<AlertGroup | undefined>;
  /**
   * Alert groups that opened an incident of their own (not the storm's) at or after `since`: the
   * storm guard's count, shared by every replica. Inside the transaction that creates an incident
   * it is exact (incident creators are serialised).
   */
  countOwnAlertGroupsSince(since: Date): Promise<number>;
  /**
   * Creates the group's row or points it at another incident (after the first was resolved or
   * closed). Refuses (BotError `bot.store.alert_group_taken`) to move a group away from an incident
   * that is still open: two replicas opening an incident for the same group at once, the second
   * one's transaction fails and rolls back its incident, so a group opens exactly one incident.
   */
  putAlertGroup(group: AlertGroup): Promise<void>;
}

/** Durable timers (reminders), leased to one replica at a time. */
export interface TimerRecords {
  /** Creates the incident's timer of this kind, or moves it (a new due time clears any lease). */
  scheduleTimer(timer: Omit<Timer, 'createdAt'> & { readonly createdAt?: Date }): Promise<void>;
  getTimer(incidentId: string, kind: string): Promise<Timer | undefined>;
  /** Removes the incident's timers of these kinds (all kinds when omitted); how many went. */
  cancelTimers(incidentId: string, kinds?: readonly string[]): Promise<number>;
  /**
   * Leases the timers due at `now` that nobody holds (or whose lease ran out) to `owner` until
   * `now + leaseMs`, and returns them, oldest due first. Two replicas never get the same timer.
   * `kinds` keeps each feature to its own timers (the reminders never lease a drain watch).
   */
  claimDueTimers(
    now: Date,
    owner: string,
    leaseMs: number,
    limit?: number,
    kinds?: readonly string[],
  ): Promise<Timer[]>;
  /**
   * Done with a claimed timer: deletes it, or, with `next`, moves it to that time (a repeating
   * reminder). Only while `owner` still holds the lease; false when it lost it.
   */
  finishTimer(
    incidentId: string,
    kind: string,
    owner: string,
    next?: { readonly dueAt: Date; readonly payload?: Readonly<Record<string, unknown>> },
  ): Promise<boolean>;
}

/** What a tracked message is for: what its buttons did, and so what it says once they are gone. */
export type TrackedPurpose = 'resolve_offer' | 'reminder';

/** A message the bot posted with buttons that go when the incident is resolved. */
export interface TrackedMessage {
  readonly incidentId: string;
  readonly purpose: TrackedPurpose;
  readonly channelId: string;
  readonly messageId: string;
  /** As posted, so it can be redrawn without its buttons. */
  readonly message: ChatMessage;
}

/** Bot messages whose buttons stop meaning anything once the incident is resolved. */
export interface TrackedMessageRecords {
  /** Remembers a posted message (again: replaced). */
  trackMessage(message: TrackedMessage, at: Date): Promise<void>;
  /** Forgets one (a snoozed reminder, already redrawn without buttons). */
  untrackMessage(channelId: string, messageId: string): Promise<void>;
  /** The incident's tracked messages, oldest first, forgotten as they are returned. */
  takeTrackedMessages(incidentId: string): Promise<TrackedMessage[]>;
}

/**
 * One Xid, or one GPU finding (a row remap pending, NVLink down), the bot saw on a GPU, kept
 * across incidents and restarts: its memory of bad hardware. Exactly one of `xid` and `finding`.
 */
export interface HardwareEvent {
  /**
   * What makes it this event and not triage reading the same thing again: for an Xid its dmesg
   * line, for a finding the day it was seen (a finding that lasts is one event a day).
   */
  readonly key: string;
  readonly node: string;
  /** The GPU: `serial 1654923962909` where its board serial is known, else `<node> <bus>`. */
  readonly gpu: string;
  readonly xid: number | null;
  /** The finding's kind (`row_remap_pending`) for an event that is not an Xid. */
  readonly finding: string | null;
  readonly incidentId: string | null;
  readonly seenAt: Date;
}

/** How often one GPU had one Xid, or one finding, in a window. */
export interface HardwareCount {
  readonly gpu: string;
  readonly xid: number | null;
  readonly finding: string | null;
  readonly count: number;
  readonly first: Date;
}

export interface HardwareRecords {
  /** Remembers events; one already remembered (its key) keeps its first sighting. */
  recordHardwareEvents(events: readonly HardwareEvent[]): Promise<void>;
  /** Per GPU and Xid (or finding), how many events were first seen at or after `since`, for these GPUs. */
  countHardwareEvents(gpus: readonly string[], since: Date): Promise<HardwareCount[]>;
  /** The node's events first seen at or after `since`, newest first, at most `limit`. */
  listHardwareEvents(node: string, since: Date, limit?: number): Promise<HardwareEvent[]>;
  /** Remembers that triage saw `gpus` GPUs on `node` at `at`: the day keeps its highest count. */
  recordGpuCount(node: string, gpus: number, at: Date): Promise<void>;
  /** The most GPUs triage saw on `node` on any day from `since`'s day on, and the latest such day. */
  maxGpuCount(
    node: string,
    since: Date,
  ): Promise<{ readonly gpus: number; readonly day: string } | undefined>;
}

/** The last diagnostic bundle asked of a node (`/node collect`): its rate limit, across replicas. */
export interface BundleSlot {
  readonly node: string;
  /** Which collection holds it: only that one may finish it. */
  readonly claimId: string;
  /** `collecting` until it ends; `done`; `failed` (nothing came back, or a restart cut it off). */
  readonly status: 'collecting' | 'done' | 'failed';
  readonly incidentId: string | null;
  /** Who asked, by name, as the channel would say it. */
  readonly requestedBy: string;
  /** The process collecting it. */
  readonly owner: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
}

export interface BundleClaim {
  readonly node: string;
  readonly claimId: string;
  readonly incidentId: string | null;
  readonly requestedBy: string;
  readonly owner: string;
  readonly at: Date;
  /** A finished collection that started at or before this frees the node (the rate limit). */
  readonly doneBefore: Date;
  /** A collection still `collecting` that started at or before this was cut off: it frees the node. */
  readonly staleBefore: Date;
}

export interface BundleRecords {
  /**
   * Takes the node's collection slot: when nothing was collected from it, the last collection
   * failed, finished and started at or before `doneBefore`, or is still `collecting` since at or
   * before `staleBefore`. One conditional write, so two replicas never both get it. Otherwise
   * returns who holds it.
   */
  claimBundleSlot(claim: BundleClaim): Promise<{ claimed: true } | { claimed: false; holder: BundleSlot }>;
  /** Ends the claim's collection; false when the slot is no longer that claim's, or not collecting. */
  finishBundleSlot(node: string, claimId: string, status: 'done' | 'failed', at: Date): Promise<boolean>;
  /** Collections still `collecting` that started at or before `before`, oldest first. */
  listStaleBundleSlots(before: Date, limit?: number): Promise<BundleSlot[]>;
}

/** The outbox of chat calls decided on and not yet known to be delivered. */
export interface OutboxRecords {
  /**
   * Writes entries to the outbox, in order, leased to `owner` until `leaseUntil` with one attempt
   * counted: the writer delivers them itself right after its transaction commits.
   */
  enqueueOutbox(entries: readonly NewOutboxEntry[], at: Date, owner: string, leaseUntil: Date): Promise<void>;
  /**
   * Leases pending entries that are due and free (nobody holds them, or the lease ran out) to
   * `owner`, counting an attempt, oldest first. Two replicas never get the same entry; a process
   * restarting under the same owner name releases its old leases first (releaseOutbox).
   */
  claimOutbox(now: Date, owner: string, leaseMs: number, limit?: number): Promise<OutboxEntry[]>;
  /** Ends a claimed delivery; only while `owner` holds the lease (false when it lost it). */
  settleOutbox(id: string, owner: string, outcome: OutboxOutcome, at: Date): Promise<boolean>;
  /** Lets go of `owner`'s leases (a process that starts again as the same owner). */
  releaseOutbox(owner: string): Promise<number>;
  /**
   * Makes the incident's pending entries that nobody holds due at `now` (they were waiting for a
   * retry, and what they waited for has just been delivered); how many.
   */
  wakeOutbox(incidentId: string, now: Date): Promise<number>;
  getOutboxEntry(id: string): Promise<OutboxEntry | undefined>;
  /** Pending entries (the outbox depth). */
  countPendingOutbox(): Promise<number>;
  /** Deletes delivered and failed entries settled before `before`; how many went. */
  pruneOutbox(before: Date): Promise<number>;
}

/** Post-mortem drafts. */
export interface PostmortemRecords {
  /** Stores the incident's post-mortem draft, replacing an earlier one (version + 1). */
  putPostmortem(p: Omit<StoredPostmortem, 'version'>): Promise<StoredPostmortem>;
  getPostmortem(incidentId: string): Promise<StoredPostmortem | undefined>;
}

/** Inbound event ids already acted on (redeliveries are dropped by them). */
export interface EventRecords {
  /** Records an inbound event id; true the first time, false for a redelivery. */
  markEventProcessed(source: string, eventId: string, at: Date): Promise<boolean>;
  /** Forgets `source`'s event ids processed before `before` (past every redelivery); returns how many. */
  pruneProcessedEvents(source: string, before: Date): Promise<number>;
}

/**
 * What a transaction hands out: every aggregate's reads and writes, inside the transaction. It
 * cannot open another transaction (whose commit would not be one) nor close the store.
 */
export interface Tx
  extends IncidentRecords,
    TimelineRecords,
    ActionRecords,
    AlertRecords,
    TimerRecords,
    TrackedMessageRecords,
    HardwareRecords,
    BundleRecords,
    OutboxRecords,
    PostmortemRecords,
    EventRecords {}

/**
 * Persistence port. Every implementation passes test/store/contract.ts.
 *
 * Writes that belong together go through `transaction`, so a command either writes everything it
 * decided (incident change + timeline entry) or nothing.
 */
export interface Store extends Tx {
  /**
   * Runs `fn` in one transaction; the Tx it receives writes inside it. Rolls back on throw.
   * Inside `fn` use only `tx`: on SQLite there is one connection, and a call on the outer store
   * waits for the transaction that is waiting for it.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;

  /** Cheap round trip for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
