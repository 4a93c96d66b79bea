import { z } from 'zod';
import { commonLabels, DEFAULT_GROUP_BY, groupKeyFor } from './labels.ts';
import { normalizeAlert } from './normalize-alert.ts';
import { timestampSchema } from './time.ts';
import type { NormalizedAlert, NormalizedBatch, NormalizeOptions } from './types.ts';
import { labelsSchema, optionalBatchFields, statusSchema } from './wire.ts';

/**
 * The bot's own shape for senders that are neither Alertmanager nor Grafana (scripts, cron jobs,
 * other monitors); documented in GENERIC.md. Strict: an unknown field is a typo worth naming
 * (`alerts[0]: Unrecognized key: "serverity"`), not something to drop silently.
 */
export const genericAlertSchema = z.strictObject({
  name: z.string().min(1).max(256),
  status: statusSchema,
  severity: z.string().min(1).max(64).optional(),
  node: z.string().min(1).max(253).optional(),
  labels: labelsSchema.optional(),
  annotations: labelsSchema.optional(),
  summary: z.string().optional(),
  runbookUrl: z.string().optional(),
  generatorUrl: z.string().optional(),
  startsAt: timestampSchema.optional(),
  endsAt: timestampSchema.nullable().optional(),
  fingerprint: z.string().min(1).max(256).optional(),
});

export const genericPayloadSchema = z.strictObject({
  source: z.string().min(1).max(64).optional(),
  groupKey: z.string().min(1).max(512).optional(),
  receiver: z.string().max(256).optional(),
  externalUrl: z.string().optional(),
  alerts: z.array(genericAlertSchema).min(1),
});
export type GenericPayload = z.infer<typeof genericPayloadSchema>;
export type GenericAlert = z.infer<typeof genericAlertSchema>;

/** The named fields win over `labels` / `annotations`: they are what the sender meant explicitly. */
function toRaw(a: GenericAlert) {
  const labels: Record<string, string> = { ...a.labels, alertname: a.name };
  if (a.severity !== undefined) labels.severity = a.severity;
  if (a.node !== undefined) labels.node = a.node;
  const annotations: Record<string, string> = { ...a.annotations };
  if (a.summary !== undefined) annotations.summary = a.summary;
  if (a.runbookUrl !== undefined) annotations.runbook_url = a.runbookUrl;
  return {
    status: a.status,
    labels,
    annotations,
    startsAt: a.startsAt,
    endsAt: a.endsAt ?? undefined,
    generatorURL: a.generatorUrl,
    fingerprint: a.fingerprint,
  };
}

/** One generic alert, normalised. */
export function normalizeGenericAlert(a: GenericAlert, options: NormalizeOptions): NormalizedAlert {
  return normalizeAlert(toRaw(a), options.receivedAt);
}

export function normalizeGeneric(payload: GenericPayload, options: NormalizeOptions): NormalizedBatch {
  return genericBatch(
    payload,
    payload.alerts.map((a) => normalizeGenericAlert(a, options)),
    options,
  );
}

/** The batch around alerts already normalised (normalizeGenericAlert, or a slice at a time: sliced.ts). */
export function genericBatch(
  payload: Omit<GenericPayload, 'alerts'>,
  alerts: NormalizedAlert[],
  options: NormalizeOptions,
): NormalizedBatch {
  // Without a groupKey, alerts sent together group by the labels of the set they all share.
  const groupKey =
    payload.groupKey ??
    groupKeyFor(commonLabels(alerts.map((a) => a.labels)), options.groupBy ?? DEFAULT_GROUP_BY);
  return {
    source: 'generic',
    groupKey,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    ...optionalBatchFields(payload.receiver, payload.externalUrl),
    ...(payload.source ? { origin: payload.source } : {}),
    truncatedAlerts: 0,
    alerts,
  };
}
