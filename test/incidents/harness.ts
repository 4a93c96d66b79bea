import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { SandboxChat } from '../../src/chat/sandbox/adapter.ts';
import { type SandboxTables, SandboxWorkspace } from '../../src/chat/sandbox/workspace.ts';
import {
  type Actor,
  type ApprovalPolicy,
  DEFAULT_POLICY,
  type Incident,
  ManualClock,
} from '../../src/core/index.ts';
import { ActionService, type EscalationPolicy } from '../../src/incidents/actions.ts';
import { IncidentService } from '../../src/incidents/service.ts';
import { TriageService } from '../../src/incidents/triage.ts';
import { NodeRegistry } from '../../src/nodes/registry.ts';
import { createSimulatedAdapter } from '../../src/nodes/simulated/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';

export const alice: Actor = { id: 'alice', name: 'Alice', groups: ['sre'] };
export const bob: Actor = { id: 'bob', name: 'Bob', groups: ['sre'] };
export const dave: Actor = { id: 'dave', name: 'Dave', groups: ['support'] };

/**
 * The incident use cases wired as main.ts wires them, in one process, with a clock the test
 * moves: a real SQLite store, the sandbox chat and the simulated fleet. No module is patched.
 */
export async function harness(
  options: { policy?: Partial<ApprovalPolicy>; escalation?: EscalationPolicy } = {},
) {
  const clock = new ManualClock('2026-11-22T03:00:00Z');
  const logger = pino({ level: 'silent' });
  const opened = await openSqliteStore(':memory:');
  const workspace = new SandboxWorkspace(opened.db as unknown as Kysely<SandboxTables>, () => clock.now());
  const chat = new SandboxChat(
    workspace,
    [alice, bob, dave].map((a) => ({ id: a.id, name: a.name, groups: a.groups ?? [] })),
    () => clock.now(),
  );
  await chat.start(async () => undefined);
  const nodes = new NodeRegistry([createSimulatedAdapter({ clock })]);
  const incidents = new IncidentService(opened.store, clock, logger, new Map([[chat.id, chat]]), {
    displayTimeZone: 'UTC',
    responders: [],
    archiveOnClose: true,
  });
  const actions = new ActionService(
    opened.store,
    clock,
    logger,
    nodes,
    incidents,
    { ...DEFAULT_POLICY, ...options.policy },
    options.escalation,
  );
  const triage = new TriageService(opened.store, clock, logger, nodes, actions);
  const declare = (severity: Incident['severity'], title = 'GPU trouble'): Promise<Incident> =>
    incidents.declare(chat, { title, description: '', severity, private: false, actor: alice });
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
    declare,
    messages,
    close: opened.close,
  };
}
