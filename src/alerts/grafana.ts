import { z } from 'zod';
import { alertmanagerAlertSchema } from './alertmanager.ts';
import { commonLabels, DEFAULT_GROUP_BY, groupKeyFor } from './labels.ts';
import { normalizeAlert } from './normalize-alert.ts';
import type { NormalizedAlert, NormalizedBatch, NormalizeOptions } from './types.ts';
import { labelsSchema, optionalBatchFields, statusSchema } from './wire.ts';

/**
 * Grafana (unified alerting) webhook contact point body. It is Alertmanager's shape plus Grafana's
 * extras (orgId, silenceURL, dashboardURL, panelURL, values, valueString, title, state, message),
 * with `version` "1". Unknown fields are ignored.
 */
export const grafanaAlertSchema = alertmanagerAlertSchema.extend({
  silenceURL: z.string().optional(),
  dashboardURL: z.string().optional(),
  panelURL: z.string().optional(),
  imageURL: z.string().optional(),
  // Go marshals an empty map as null.
  values: z.record(z.string(), z.number()).nullable().optional(),
  valueString: z.string().optional(),
});

export const grafanaPayloadSchema = z.object({
  receiver: z.string().default(''),
  status: statusSchema,
  orgId: z.number().int().optional(),
  alerts: z.array(grafanaAlertSchema).min(1),
  groupLabels: labelsSchema.default({}),
  commonLabels: labelsSchema.default({}),
  commonAnnotations: labelsSchema.default({}),
  externalURL: z.string().default(''),
  version: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
});
export type GrafanaPayload = z.infer<typeof grafanaPayloadSchema>;

export function normalizeGrafana(payload: GrafanaPayload, options: NormalizeOptions): NormalizedBatch {
  return grafanaBatch(
    payload,
    payload.alerts.map((a) => normalizeAlert(a, options.receivedAt)),
    options,
  );
}

/** The batch around alerts already normalised (normalizeAlert, or a slice at a time: sliced.ts). */
export function grafanaBatch(
  payload: Omit<GrafanaPayload, 'alerts'>,
  alerts: NormalizedAlert[],
  options: NormalizeOptions,
): NormalizedBatch {
  // Grafana always sends a groupKey; a hand-made test body may not, and must still group.
  const groupKey =
    payload.groupKey ||
    groupKeyFor(commonLabels(alerts.map((a) => a.labels)), options.groupBy ?? DEFAULT_GROUP_BY);
  return {
    source: 'grafana',
    groupKey,
    status: payload.status,
    ...optionalBatchFields(payload.receiver, payload.externalURL),
    truncatedAlerts: payload.truncatedAlerts,
    alerts,
  };
}
