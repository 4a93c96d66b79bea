import { z } from 'zod';
import { alertmanagerAlertSchema, alertmanagerBatch, alertmanagerPayloadSchema } from './alertmanager.ts';
import { fromZodError } from './errors.ts';
import { genericAlertSchema, genericBatch, genericPayloadSchema, normalizeGenericAlert } from './generic.ts';
import { grafanaAlertSchema, grafanaBatch, grafanaPayloadSchema } from './grafana.ts';
import { normalizeAlert } from './normalize-alert.ts';
import { normalizeAlertPayload, parseAlertPayload } from './parse.ts';
import type { AlertSource, NormalizedAlert, NormalizedBatch, NormalizeOptions } from './types.ts';

/**
 * Alerts validated and normalised between two pauses. On a 2-core machine a slice of 2,000
 * generic alerts takes about 8 ms; a whole 60,000-alert body done at once held the event loop
 * for about 250 ms (and the store's write for a second more, see AlertService.receive).
 */
export const ALERTS_PER_SLICE = 2_000;

/** What each source needs to be done a slice at a time: its envelope, one alert, the batch. */
interface SlicedSource {
  /** The payload with `alerts` left unchecked (an array of at least one). */
  readonly envelope: z.ZodType<Record<string, unknown>>;
  readonly alert: z.ZodType;
  normalize(alert: unknown, options: NormalizeOptions): NormalizedAlert;
  batch(
    envelope: Record<string, unknown>,
    alerts: NormalizedAlert[],
    options: NormalizeOptions,
  ): NormalizedBatch;
}

const anyAlerts = { alerts: z.array(z.unknown()).min(1) };

const SOURCES: { readonly [S in AlertSource]: SlicedSource } = {
  alertmanager: {
    envelope: alertmanagerPayloadSchema.extend(anyAlerts),
    alert: alertmanagerAlertSchema,
    normalize: (a, o) => normalizeAlert(a as z.infer<typeof alertmanagerAlertSchema>, o.receivedAt),
    batch: (e, alerts) => alertmanagerBatch(e as Parameters<typeof alertmanagerBatch>[0], alerts),
  },
  grafana: {
    envelope: grafanaPayloadSchema.extend(anyAlerts),
    alert: grafanaAlertSchema,
    normalize: (a, o) => normalizeAlert(a as z.infer<typeof grafanaAlertSchema>, o.receivedAt),
    batch: (e, alerts, o) => grafanaBatch(e as Parameters<typeof grafanaBatch>[0], alerts, o),
  },
  generic: {
    envelope: genericPayloadSchema.extend(anyAlerts),
    alert: genericAlertSchema,
    normalize: (a, o) => normalizeGenericAlert(a as z.infer<typeof genericAlertSchema>, o),
    batch: (e, alerts, o) => genericBatch(e as Parameters<typeof genericBatch>[0], alerts, o),
  },
};

/**
 * normalizeAlertPayload for a body of any size, `pause()` (a turn of the event loop) between
 * slices, so a storm's big notification does not stop the bot answering anyone else meanwhile.
 * Same result, same errors: a body with any problem is parsed again whole, which names the first
 * problem exactly as normalizeAlertPayload does (only bodies that are refused pay for that).
 */
export async function normalizeAlertPayloadSliced(
  source: AlertSource,
  body: unknown,
  options: NormalizeOptions,
  pause: () => Promise<void>,
  slice = ALERTS_PER_SLICE,
): Promise<NormalizedBatch> {
  const alerts = (body as { alerts?: unknown } | null)?.alerts;
  if (!Array.isArray(alerts) || alerts.length <= slice) return normalizeAlertPayload(source, body, options);
  const shape = SOURCES[source];
  const envelope = shape.envelope.safeParse(body);
  if (!envelope.success) return normalizeAlertPayload(source, body, options);
  const parsed: unknown[] = [];
  for (let i = 0; i < alerts.length; i += slice) {
    await pause();
    for (const [j, raw] of alerts.slice(i, i + slice).entries()) {
      const one = shape.alert.safeParse(raw);
      if (!one.success) {
        // Throws the error the whole body gets; the line after it only in case it did not.
        parseAlertPayload(source, body);
        throw fromZodError(
          new z.ZodError(one.error.issues.map((x) => ({ ...x, path: ['alerts', i + j, ...x.path] }))),
        );
      }
      parsed.push(one.data);
    }
  }
  const normalized: NormalizedAlert[] = [];
  for (let i = 0; i < parsed.length; i += slice) {
    await pause();
    for (const a of parsed.slice(i, i + slice)) normalized.push(shape.normalize(a, options));
  }
  return shape.batch(envelope.data, normalized, options);
}
