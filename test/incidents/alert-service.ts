import { pino } from 'pino';
import { AlertService, type AlertServiceOptions } from '../../src/incidents/alerts.ts';
import type { LoadedRunbook } from '../../src/runbooks/schema.ts';
import { ALERT_DEFAULTS, type harness } from './harness.ts';

/**
 * An alert worker of its own on a harness (options as a test needs them), wired as createApp
 * wires one: it writes through the harness's unit of work, whose outbox delivers its triage.
 */
export function alertService(
  h: Awaited<ReturnType<typeof harness>>,
  options: Partial<AlertServiceOptions> & { runbooks?: readonly LoadedRunbook[] } = {},
): AlertService {
  const { runbooks = [], ...rest } = options;
  return new AlertService(
    h.store,
    h.clock,
    pino({ level: 'silent' }),
    { incidents: h.incidents, uow: h.app.uow, runbooks, chat: h.chat },
    { ...ALERT_DEFAULTS, ...rest },
  );
}
