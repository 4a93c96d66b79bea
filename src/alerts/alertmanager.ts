import { z } from 'zod';
import { normalizeAlert } from './normalize-alert.ts';
import { timestampSchema } from './time.ts';
import type { NormalizedAlert, NormalizedBatch, NormalizeOptions } from './types.ts';
import { labelsSchema, optionalBatchFields, statusSchema } from './wire.ts';

/**
 * Alertmanager's webhook_config body, version 4. Unknown fields are ignored (newer Alertmanagers
 * may add some); what grouping and dedupe rely on (version, groupKey, status, alerts with labels and
 * startsAt) is required.
 */
export const alertmanagerAlertSchema = z.object({
  status: statusSchema,
  labels: labelsSchema,
  annotations: labelsSchema.default({}),
  startsAt: timestampSchema,
  // 0001-01-01T00:00:00Z while unset; for a firing alert Prometheus sends an estimate in the future.
  endsAt: timestampSchema.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: statusSchema,
  receiver: z.string().default(''),
  groupLabels: labelsSchema.default({}),
  commonLabels: labelsSchema.default({}),
  commonAnnotations: labelsSchema.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertmanagerAlertSchema).min(1),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

export function normalizeAlertmanager(
  payload: AlertmanagerPayload,
  options: NormalizeOptions,
): NormalizedBatch {
  return alertmanagerBatch(
    payload,
    payload.alerts.map((a) => normalizeAlert(a, options.receivedAt)),
  );
}

/** The batch around alerts already normalised (normalizeAlert, or a slice at a time: sliced.ts). */
export function alertmanagerBatch(
  payload: Omit<AlertmanagerPayload, 'alerts'>,
  alerts: NormalizedAlert[],
): NormalizedBatch {
  return {
    source: 'alertmanager',
    groupKey: payload.groupKey,
    status: payload.status,
    ...optionalBatchFields(payload.receiver, payload.externalURL),
    truncatedAlerts: payload.truncatedAlerts,
    alerts,
  };
}
