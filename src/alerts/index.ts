/**
 * Alerts in: webhook payloads from Alertmanager (v4), Grafana and the generic shape (GENERIC.md),
 * validated and normalised to NormalizedBatch; group keys, fingerprints, severity, node names and the
 * storm guard. Pure: no I/O, no store, no chat.
 */
export {
  type AlertmanagerPayload,
  alertmanagerPayloadSchema,
  normalizeAlertmanager,
} from './alertmanager.ts';
export { AlertPayloadError, formatPath, fromZodError, isAlertPayloadError } from './errors.ts';
export { type GenericAlert, type GenericPayload, genericPayloadSchema, normalizeGeneric } from './generic.ts';
export { type GrafanaPayload, grafanaPayloadSchema, normalizeGrafana } from './grafana.ts';
export {
  commonLabels,
  DEFAULT_GROUP_BY,
  fingerprintFor,
  groupKeyFor,
  httpUrl,
  runbookUrlFrom,
  summaryFrom,
} from './labels.ts';
export { DEFAULT_NODE_LABEL_KEYS, nodesFromAlerts, nodesFromLabels } from './nodes.ts';
export { UNNAMED_ALERT } from './normalize-alert.ts';
export {
  ALERT_PAYLOAD_SCHEMAS,
  type AlertPayloads,
  incidentKeyFor,
  normalizeAlertPayload,
  parseAlertPayload,
} from './parse.ts';
export {
  DEFAULT_SEVERITY_MAPPING,
  labelSeverity,
  type SeverityMapping,
  severityFromLabels,
  severityMapping,
  severityOfAlerts,
} from './severity.ts';
export { ALERTS_PER_SLICE, normalizeAlertPayloadSliced } from './sliced.ts';
export { STORM_WINDOW_MS, type StormDecision, StormGuard, type StormGuardOptions } from './storm-guard.ts';
export { parseTimestamp, timestampSchema } from './time.ts';
export {
  ALERT_SOURCES,
  type AlertSource,
  type AlertStatus,
  type Labels,
  type NormalizedAlert,
  type NormalizedBatch,
  type NormalizeOptions,
} from './types.ts';
