import type { z } from 'zod';
import {
  type AlertmanagerPayload,
  alertmanagerPayloadSchema,
  normalizeAlertmanager,
} from './alertmanager.ts';
import { AlertPayloadError, fromZodError } from './errors.ts';
import { type GenericPayload, genericPayloadSchema, normalizeGeneric } from './generic.ts';
import { type GrafanaPayload, grafanaPayloadSchema, normalizeGrafana } from './grafana.ts';
import type { AlertSource, NormalizedBatch, NormalizeOptions } from './types.ts';

export interface AlertPayloads {
  alertmanager: AlertmanagerPayload;
  grafana: GrafanaPayload;
  generic: GenericPayload;
}

export const ALERT_PAYLOAD_SCHEMAS: { readonly [S in AlertSource]: z.ZodType<AlertPayloads[S]> } = {
  alertmanager: alertmanagerPayloadSchema,
  grafana: grafanaPayloadSchema,
  generic: genericPayloadSchema,
};

/** Validates a parsed JSON body. Throws AlertPayloadError (one line, naming the path) and nothing else. */
export function parseAlertPayload<S extends AlertSource>(source: S, body: unknown): AlertPayloads[S] {
  const schema: z.ZodType<AlertPayloads[S]> = ALERT_PAYLOAD_SCHEMAS[source];
  let result: ReturnType<typeof schema.safeParse>;
  try {
    result = schema.safeParse(body);
  } catch (err) {
    // safeParse does not throw on data, but a hostile object (a throwing getter, a Proxy) could.
    throw new AlertPayloadError(
      '(body)',
      `unreadable payload (${err instanceof Error ? err.name : 'error'})`,
    );
  }
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}

/** Validate and normalise one webhook body from `source`. Throws AlertPayloadError only. */
export function normalizeAlertPayload(
  source: AlertSource,
  body: unknown,
  options: NormalizeOptions,
): NormalizedBatch {
  switch (source) {
    case 'alertmanager':
      return normalizeAlertmanager(parseAlertPayload('alertmanager', body), options);
    case 'grafana':
      return normalizeGrafana(parseAlertPayload('grafana', body), options);
    case 'generic':
      return normalizeGeneric(parseAlertPayload('generic', body), options);
  }
}

/** The key an incident is found by: group keys are only unique per sender (`{}:{}` is common). */
export function incidentKeyFor(batch: Pick<NormalizedBatch, 'source' | 'groupKey'>): string {
  return `${batch.source}:${batch.groupKey}`;
}
