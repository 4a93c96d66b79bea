import type { Logger } from 'pino';
import { commands } from '../../commands/index.ts';
import type { ChatPlatform, InboundHandler } from '../chat/port.ts';
import { CommandRegistry } from '../commands/registry.ts';
import type { Services } from '../commands/services.ts';
import type { ApprovalPolicy, Clock, Redactor } from '../core/index.ts';
import { redact as builtInRedact } from '../core/index.ts';
import { ChatDirectory } from '../delivery/directory.ts';
import { CHAT_OPS } from '../delivery/ops.ts';
import { Outbox, type OutboxOptions } from '../delivery/outbox.ts';
import { UnitOfWork } from '../delivery/unit-of-work.ts';
import { ActionMessages } from '../incidents/action-message.ts';
import { ActionService, type EscalationPolicy } from '../incidents/actions.ts';
import { AlertTriage } from '../incidents/alert-triage.ts';
import { ALERT_POLL_MS, AlertService, type AlertServiceOptions, alertActor } from '../incidents/alerts.ts';
import { type BundleOptions, BundleService, DEFAULT_BUNDLES } from '../incidents/bundles.ts';
import { IncidentChannel } from '../incidents/channel.ts';
import { DEFAULT_DRAIN_WATCH, DrainWatch } from '../incidents/drain-watch.ts';
import type { HardwareMemoryOptions } from '../incidents/hardware-memory.ts';
import { ChannelHistory } from '../incidents/history.ts';
import { PostmortemPublisher } from '../incidents/postmortem.ts';
import { DEFAULT_REMINDERS, type ReminderOptions, ReminderService } from '../incidents/reminders.ts';
import { IncidentService } from '../incidents/service.ts';
import { TriageService } from '../incidents/triage.ts';
import { IncidentVisibility } from '../incidents/visibility.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { PostmortemService } from '../postmortem/index.ts';
import type { LoadedRunbook } from '../runbooks/schema.ts';
import type { Store } from '../store/port.ts';
import { createInboundHandler, type InboundDeps } from './inbound.ts';
import { Sweeper } from './sweeper.ts';

/** What the app is built from: the opened store, the connected platforms, the fleet. */
export interface AppParts {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly platforms: ReadonlyMap<string, ChatPlatform>;
  readonly nodes: NodeRegistry;
  readonly runbooks: readonly LoadedRunbook[];
  readonly postmortems: PostmortemService;
  /** Where alert incidents open. */
  readonly alertChat: ChatPlatform;
  /** The bot's redactor (built-in rules and the configured secrets). */
  readonly redact?: Redactor;
}

/** How the app behaves: the configuration's settings, each with the YAML file's default. */
export interface AppSettings {
  readonly displayTimeZone: string;
  readonly responders: readonly string[];
  readonly archiveOnClose: boolean;
  readonly policy: ApprovalPolicy;
  readonly escalation?: EscalationPolicy;
  readonly reminders?: ReminderOptions;
  /** Draft the post-mortem when an incident is resolved. */
  readonly postmortemOnResolve: boolean;
  /** The memory of bad hardware: how far back reports look, and when a GPU needs an RMA. */
  readonly hardware?: HardwareMemoryOptions;
  /** Diagnostic bundles: the rate limit per node and the collection's time limit. */
  readonly bundles?: BundleOptions;
  /** PUBLIC_URL: where links to the bot's own API point. */
  readonly publicUrl?: string | undefined;
  /**
   * Whose leases (outbox, alert groups, timers) this process holds and runs actions as: `local`
   * on SQLite, REPLICA_ID when set, both `stable` (the same after a restart, so what it held
   * before a crash is its own); undefined: a random name per start.
   */
  readonly owner?: { readonly name: string; readonly stable: boolean };
  /** The outbox's lease, sweep and attempts (tests shorten them). */
  readonly outbox?: Omit<OutboxOptions, 'owner' | 'ownerIsStable'>;
  /** The alert worker's settings (its claims' owner is `owner`). */
  readonly alerts: Omit<AlertServiceOptions, 'owner'>;
}

export interface App {
  readonly directory: ChatDirectory;
  readonly uow: UnitOfWork;
  readonly incidents: IncidentService;
  readonly actions: ActionService;
  readonly reminders: ReminderService;
  readonly drainWatch: DrainWatch;
  readonly triage: TriageService;
  readonly bundles: BundleService;
  readonly postmortem: PostmortemPublisher;
  readonly alerts: AlertService;
  readonly channel: IncidentChannel;
  readonly registry: CommandRegistry;
  readonly services: Services;
  readonly inboundDeps: InboundDeps;
  /** The handler of one platform's inbound events. */
  inbound(platform: ChatPlatform): InboundHandler;
  /**
   * The background work, after the platforms have started: recover actions a stopped process
   * left (those older than `recoverOlderThanMs`; 0 on SQLite), then the outbox, the alert worker,
   * reminders and the expiry sweep.
   */
  start(options: { readonly recoverOlderThanMs: number }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The app's wiring, the same for `npm start` (main.ts, which opens the parts from configuration)
 * and for the tests' harness: every service gets what it uses at construction, and the outbox
 * gets the handler of every op before anything can be delivered.
 */
export function createApp(parts: AppParts, settings: AppSettings): App {
  const { store, clock, logger, nodes, runbooks } = parts;
  const redact = parts.redact ?? builtInRedact;
  const directory = new ChatDirectory(parts.platforms, settings.displayTimeZone);
  const outbox = new Outbox(store, clock, logger, CHAT_OPS, {
    ...settings.outbox,
    // One process on SQLite, or a replica with a stable REPLICA_ID: its old leases are its own.
    ...(settings.owner ? { owner: settings.owner.name, ownerIsStable: settings.owner.stable } : {}),
  });
  const named = settings.owner ? [settings.owner.name] : [];
  const uow = new UnitOfWork(store, outbox);
  // Reminders: durable timers the services schedule and cancel inside their transactions.
  const reminders = new ReminderService(
    store,
    clock,
    logger,
    { uow, directory },
    settings.reminders ?? DEFAULT_REMINDERS,
    ...named,
  );
  const postmortem = new PostmortemPublisher(store, clock, logger, uow, parts.postmortems, {
    onResolve: settings.postmortemOnResolve,
    publicUrl: settings.publicUrl,
  });
  const incidents = new IncidentService(
    store,
    clock,
    { uow, directory, listener: reminders.schedule, onResolved: (incident) => postmortem.resolved(incident) },
    { archiveOnClose: settings.archiveOnClose },
  );
  const drainWatch = new DrainWatch(store, clock, logger, { nodes, uow }, DEFAULT_DRAIN_WATCH, ...named);
  const actions = new ActionService(
    store,
    clock,
    logger,
    {
      nodes,
      uow,
      directory,
      listener: reminders.schedule,
      drainWatch,
      runner: { name: outbox.owner, stable: outbox.ownerIsStable },
      redact,
    },
    settings.policy,
    settings.escalation,
  );
  const triage = new TriageService(store, clock, logger, nodes, actions, settings.hardware);
  const bundles = new BundleService(
    store,
    clock,
    logger,
    { uow, directory, nodes, redact },
    settings.bundles ?? DEFAULT_BUNDLES,
    settings.owner?.name,
    settings.owner?.stable,
  );
  const alerts = new AlertService(
    store,
    clock,
    logger,
    { incidents, uow, runbooks, chat: parts.alertChat },
    { ...settings.alerts, ...(settings.owner ? { owner: settings.owner.name } : {}) },
  );
  const alertTriage = new AlertTriage(
    store,
    clock,
    logger,
    { directory, triage, nodes, runbooks },
    alertActor(settings.alerts.actorName),
  );
  const channel = new IncidentChannel(store, clock, logger, directory, { responders: settings.responders });
  const messages = new ActionMessages(store, clock, directory, settings.policy);
  outbox.attach(
    {
      ...channel.handlers(),
      action: (e) => messages.deliver(e),
      alert_triage: (e) => alertTriage.deliver(e),
    },
    (entry, err) => channel.recordFailedCall(entry, err),
  );

  const registry = new CommandRegistry(commands);
  const history = new ChannelHistory(store);
  const services: Services = {
    incidents,
    visibility: new IncidentVisibility(store, logger, settings.responders),
    history,
    actions,
    triage,
    bundles,
    nodes,
    runbooks,
    postmortem,
    commands: registry.all,
    displayTimeZone: settings.displayTimeZone,
    redact,
  };
  const inboundDeps: InboundDeps = { services, registry, store, clock, logger, reminders };

  // The bot's background work, on one loop: what runs how often is here, the work in the services.
  const reminderOptions = settings.reminders ?? DEFAULT_REMINDERS;
  const sweeper = new Sweeper(logger, [
    { name: 'outbox', everyMs: outbox.pollMs, run: () => outbox.sweep() },
    { name: 'alerts', everyMs: ALERT_POLL_MS, run: () => alerts.poll() },
    { name: 'action expiry', everyMs: 15_000, run: () => actions.expireDue() },
    { name: 'drain watch', everyMs: 15_000, atStart: true, run: () => drainWatch.sweep() },
    // Collections a stopped process left half done: said in their channels once past their limit.
    { name: 'bundles', everyMs: 60_000, atStart: true, run: () => bundles.reconcile() },
    ...(reminderOptions.enabled
      ? [
          {
            name: 'reminders',
            everyMs: reminderOptions.sweepSeconds * 1000,
            atStart: true,
            // At start: open incidents declared before reminders (or while they were off) get theirs.
            run: (() => {
              let reconciled = false;
              return async () => {
                if (!reconciled) {
                  await reminders.reconcile();
                  reconciled = true;
                }
                await reminders.sweep();
              };
            })(),
          },
        ]
      : []),
  ]);

  let started = false;
  return {
    directory,
    uow,
    incidents,
    actions,
    reminders,
    drainWatch,
    triage,
    bundles,
    postmortem,
    alerts,
    channel,
    registry,
    services,
    inboundDeps,
    inbound: (platform) => createInboundHandler(platform, inboundDeps),
    async start({ recoverOlderThanMs }) {
      await actions
        .recoverInterrupted(recoverOlderThanMs)
        .catch((err) => logger.error({ err }, 'recovering interrupted actions failed'));
      // Chat calls a stopped process decided on but had not delivered: delivered now, in the background.
      void outbox.start().catch((err) => logger.error({ err }, 'starting the outbox failed'));
      alerts.start();
      sweeper.start();
      started = true;
    },
    async stop() {
      // Collections in flight say in their channels that they stopped, while the outbox still runs.
      await bundles.stop();
      if (!started) return;
      started = false;
      await sweeper.stop();
      await outbox.stop();
      await alerts.stop();
    },
  };
}
