import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { DEFAULT_SEVERITY_MAPPING } from '../../src/alerts/severity.ts';
import { createApp } from '../../src/app/create-app.ts';
import { runCommand } from '../../src/app/inbound.ts';
import type { Reply } from '../../src/chat/message.ts';
import { SandboxChat } from '../../src/chat/sandbox/adapter.ts';
import { type SandboxTables, SandboxWorkspace } from '../../src/chat/sandbox/workspace.ts';
import {
  type Actor,
  type ApprovalPolicy,
  createRedactor,
  DEFAULT_POLICY,
  type Incident,
  ManualClock,
} from '../../src/core/index.ts';
import type { OutboxOptions } from '../../src/delivery/outbox.ts';
import type { EscalationPolicy } from '../../src/incidents/actions.ts';
import type { HardwareMemoryOptions } from '../../src/incidents/hardware-memory.ts';
import { DEFAULT_REMINDERS, type ReminderOptions, ReminderService } from '../../src/incidents/reminders.ts';
import type { NodeAdapter } from '../../src/nodes/port.ts';
import { NodeRegistry } from '../../src/nodes/registry.ts';
import { createSimulatedAdapter } from '../../src/nodes/simulated/index.ts';
import { createPostmortemService, type PostmortemConfig } from '../../src/postmortem/index.ts';
import { loadRunbooks } from '../../src/runbooks/loader.ts';
import type { LoadedRunbook } from '../../src/runbooks/schema.ts';
import { openSqliteStore } from '../../src/store/index.ts';

/** The alert worker's settings as the YAML file's defaults give them. */
export const ALERT_DEFAULTS = {
  groupBy: ['alertname', 'cluster', 'node'],
  groupByLabels: false,
  nodeLabels: ['node', 'instance', 'host', 'hostname', 'Hostname'],
  severity: DEFAULT_SEVERITY_MAPPING,
  maxNewPerMinute: 5,
  actorName: 'Alertmanager',
} as const;

/**
 * `adapters` for the harness: the simulated fleet with some of its methods replaced, each override
 * given the real adapter to call (a drain that waits, a cordon that throws, more node names).
 */
export function simulatedWith(
  overrides: (real: NodeAdapter) => Partial<NodeAdapter>,
): (clock: ManualClock) => NodeAdapter[] {
  return (clock) => {
    const real = createSimulatedAdapter({ clock });
    return [{ ...real, ...overrides(real) }];
  };
}

export const alice: Actor = { id: 'alice', name: 'Alice', groups: ['sre'] };
export const bob: Actor = { id: 'bob', name: 'Bob', groups: ['sre'] };
export const dave: Actor = { id: 'dave', name: 'Dave', groups: ['support'] };

let shipped: LoadedRunbook[] | undefined;
/** The runbooks in runbooks/, loaded once. */
export function shippedRunbooks(): LoadedRunbook[] {
  shipped ??= loadRunbooks(resolve(import.meta.dirname, '../../runbooks'));
  return shipped;
}

/**
 * The incident use cases wired as main.ts wires them, in one process, with a clock the test
 * moves: a real SQLite store, the sandbox chat and the simulated fleet. No module is patched.
 */
export async function harness(
  options: {
    policy?: Partial<ApprovalPolicy>;
    escalation?: EscalationPolicy;
    /** Default: the shipped runbooks/. */
    runbooks?: readonly LoadedRunbook[];
    reminders?: Partial<ReminderOptions>;
    /** A SQLite file, to open the same store again as a restarted bot would; default in memory. */
    database?: string;
    /** The post-mortem model (e.g. the fake OpenAI server); default none: deterministic drafts. */
    postmortem?: Partial<PostmortemConfig> & { onResolve?: boolean };
    /** Whose leases this process holds (main.ts: `local` on SQLite, REPLICA_ID). */
    outbox?: OutboxOptions;
    /** The fleet; default the simulated one on the harness's clock. */
    adapters?: (clock: ManualClock) => NodeAdapter[];
    /** The configured secrets the redactor blanks as literals (main.ts: configuredSecrets). */
    secrets?: readonly string[];
    /** PUBLIC_URL: links to the bot's own API point there. */
    publicUrl?: string;
    /** The memory of bad hardware (`hardware:`); default the YAML file's. */
    hardware?: HardwareMemoryOptions;
  } = {},
) {
  const clock = new ManualClock('2026-11-22T03:00:00Z');
  const logger = pino({ level: 'silent' });
  const opened = await openSqliteStore(options.database ?? ':memory:');
  const workspace = new SandboxWorkspace(opened.db as unknown as Kysely<SandboxTables>, () => clock.now());
  const chat = new SandboxChat(
    workspace,
    [alice, bob, dave].map((a) => ({ id: a.id, name: a.name, groups: a.groups ?? [] })),
    () => clock.now(),
  );
  await chat.start(async () => undefined);
  const nodes = new NodeRegistry(options.adapters?.(clock) ?? [createSimulatedAdapter({ clock })]);
  const reminderOptions: ReminderOptions = { ...DEFAULT_REMINDERS, ...options.reminders };
  const { onResolve = false, ...llm } = options.postmortem ?? {};
  // One redactor for everything that leaves the bot, as main.ts has it.
  const redact = createRedactor({ secrets: options.secrets ?? [] });
  const postmortems = createPostmortemService(
    { store: opened.store, clock, logger, redact },
    { model: 'test-model', timeoutMs: 5000, displayTimeZone: 'UTC', ...llm },
  );
  const runbooks = options.runbooks ?? shippedRunbooks();
  // The production wiring (src/app/create-app.ts), on the test's store, chat, fleet and clock.
  const app = createApp(
    {
      store: opened.store,
      clock,
      logger,
      platforms: new Map([[chat.id, chat]]),
      nodes,
      runbooks,
      postmortems,
      alertChat: chat,
      redact,
    },
    {
      displayTimeZone: 'UTC',
      responders: [],
      archiveOnClose: true,
      policy: { ...DEFAULT_POLICY, ...options.policy },
      ...(options.escalation ? { escalation: options.escalation } : {}),
      reminders: reminderOptions,
      postmortemOnResolve: onResolve,
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      ...(options.hardware ? { hardware: options.hardware } : {}),
      ...(options.outbox?.owner
        ? { owner: { name: options.outbox.owner, stable: options.outbox.ownerIsStable === true } }
        : {}),
      ...(options.outbox ? { outbox: options.outbox } : {}),
      alerts: ALERT_DEFAULTS,
    },
  );
  const { incidents, actions, triage, postmortem, reminders, services, registry } = app;
  /** Another bot process on the same store: its own lease owner, the same clock and chat. */
  const replica = (owner: string) =>
    new ReminderService(
      opened.store,
      clock,
      logger,
      { uow: app.uow, directory: app.directory },
      reminderOptions,
      owner,
    );
  const declare = (severity: Incident['severity'], title = 'GPU trouble'): Promise<Incident> =>
    incidents.declare(chat, { title, description: '', severity, private: false, actor: alice });
  /**
   * `/<group> <text>` typed by `actor` in `channelId`, through the same dispatch as a chat event
   * (src/app/inbound.ts runCommand); a BotError is thrown, not turned into a reply.
   */
  const command = (group: string, text: string, channelId: string, actor: Actor = alice): Promise<Reply> =>
    runCommand(chat, group, text, actor, channelId, {
      services,
      registry,
      store: opened.store,
      clock,
      logger,
    });
  /** Triage of `nodes` in the incident's channel, as `/node triage` there runs it. */
  const triageIn = (incident: Incident, nodes: readonly string[], actor: Actor = alice) =>
    triage.run({ chat, channelId: incident.channelId!, incident, nodes, actor });
  const inbound = app.inbound(chat);
  /** A click on a button of a posted message, through the same handler as a chat event; errors become replies. */
  const click = async (channelId: string, messageId: string, buttonId: string, actor: Actor = alice) =>
    inbound({
      type: 'button',
      eventId: `click-${Math.random().toString(36).slice(2)}`,
      channelId,
      actor,
      at: clock.now(),
      buttonId,
      messageId,
    });
  /** The persisted messages of a channel, as everyone sees them. */
  const messages = async (channelId: string) =>
    (await workspace.listMessages(channelId, 'nobody')).filter((m) => !m.visibleTo);
  return {
    clock,
    store: opened.store,
    chat,
    workspace,
    nodes,
    incidents,
    actions,
    triage,
    triageIn,
    postmortem,
    runbooks,
    services,
    command,
    click,
    inbound,
    declare,
    messages,
    reminders,
    replica,
    app,
    close: async () => {
      await app.stop();
      await app.uow.idle();
      await opened.close();
    },
  };
}
