import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALERT_PAYLOAD_SCHEMAS,
  ALERT_SOURCES,
  AlertPayloadError,
  normalizeAlertPayload,
} from '../../src/alerts/index.ts';
import { fixture, RECEIVED_AT } from './fixtures.ts';

function onlyOwnErrors(source: (typeof ALERT_SOURCES)[number], body: unknown): void {
  try {
    const batch = normalizeAlertPayload(source, body, { receivedAt: RECEIVED_AT });
    expect(batch.alerts.length).toBeGreaterThan(0);
    for (const a of batch.alerts) expect(Number.isNaN(a.startsAt.getTime())).toBe(false);
  } catch (err) {
    expect(err).toBeInstanceOf(AlertPayloadError);
    expect((err as Error).message).not.toMatch(/[\r\n]/);
  }
}

describe('parsers on arbitrary JSON', () => {
  it.each(ALERT_SOURCES)('%s: throws nothing but AlertPayloadError', (source) => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => onlyOwnErrors(source, body)),
      { numRuns: 300 },
    );
  });

  it.each(ALERT_SOURCES)('%s: safeParse returns a zod result, never throws', (source) => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const r = ALERT_PAYLOAD_SCHEMAS[source].safeParse(body);
        expect(typeof r.success).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });

  it('real-shaped payloads with one field replaced by arbitrary JSON', () => {
    const bodies: [(typeof ALERT_SOURCES)[number], any][] = [
      ['alertmanager', fixture('alertmanager-batched')],
      ['grafana', fixture('grafana-firing')],
      ['generic', fixture('generic')],
    ];
    for (const [source, base] of bodies) {
      const alertKeys = Object.keys(base.alerts[0]);
      fc.assert(
        fc.property(fc.constantFrom(...alertKeys), fc.jsonValue(), (key, value) => {
          const body = structuredClone(base);
          body.alerts[0][key] = value;
          onlyOwnErrors(source, body);
        }),
        { numRuns: 150 },
      );
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(base)), fc.jsonValue(), (key, value) => {
          const body = structuredClone(base);
          body[key] = value;
          onlyOwnErrors(source, body);
        }),
        { numRuns: 150 },
      );
    }
  });
});
