import { pino } from 'pino';
import { DEFAULT_SEVERITY_MAPPING } from '../../src/alerts/severity.ts';
import { AlertService, type AlertServiceOptions } from '../../src/incidents/alerts.ts';
import type { LoadedRunbook } from '../../src/runbooks/schema.ts';
import type { harness } from './harness.ts';

/** The alert worker on a harness, wired as main.ts wires it (defaults as in the YAML file). */
export function alertService(
  h: Awaited<ReturnType<typeof harness>>,
  options: Partial<AlertServiceOptions> & { runbooks?: readonly LoadedRunbook[] } = {},
): AlertService {
  const { runbooks = [], ...rest } = options;
  return new AlertService(
    h.store,
    h.clock,
    pino({ level: 'silent' }),
    { incidents: h.incidents, triage: h.triage, nodes: h.nodes, runbooks, chat: h.chat },
    {
      groupBy: ['alertname', 'cluster', 'node'],
      groupByLabels: false,
      nodeLabels: ['node', 'instance', 'host', 'hostname'],
      severity: DEFAULT_SEVERITY_MAPPING,
      maxNewPerMinute: 5,
      actorName: 'Alertmanager',
      ...rest,
    },
  );
}
