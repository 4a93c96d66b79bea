import { describe, expect, it } from 'vitest';
import {
  AlertPayloadError,
  type AlertSource,
  formatPath,
  normalizeAlertPayload,
  parseAlertPayload,
} from '../../src/alerts/index.ts';
import { BotError } from '../../src/core/errors.ts';
import { fixture, RECEIVED_AT } from './fixtures.ts';

function reason(source: AlertSource, body: unknown): AlertPayloadError {
  try {
    normalizeAlertPayload(source, body, { receivedAt: RECEIVED_AT });
  } catch (err) {
    if (err instanceof AlertPayloadError) return err;
    throw err;
  }
  throw new Error('expected the payload to be refused');
}

function mutate(name: Parameters<typeof fixture>[0], f: (body: any) => void): unknown {
  const body = fixture(name);
  f(body);
  return body;
}

describe('bad payloads give one line naming the path', () => {
  const cases: [string, AlertSource, unknown, string, RegExp][] = [
    ['not an object', 'alertmanager', 'hello', '(body)', /expected object/],
    ['null', 'grafana', null, '(body)', /expected object/],
    [
      'wrong version',
      'alertmanager',
      mutate('alertmanager-firing', (b) => {
        b.version = '3';
      }),
      'version',
      /expected "4"/,
    ],
    [
      'missing groupKey',
      'alertmanager',
      mutate('alertmanager-firing', (b) => {
        delete b.groupKey;
      }),
      'groupKey',
      /expected string/,
    ],
    [
      'no alerts',
      'alertmanager',
      mutate('alertmanager-firing', (b) => {
        b.alerts = [];
      }),
      'alerts',
      /at least 1|>=1/,
    ],
    [
      'label value not a string',
      'alertmanager',
      mutate('alertmanager-batched', (b) => {
        b.alerts[4].labels.gpu = 4;
      }),
      'alerts[4].labels.gpu',
      /expected string, received number/,
    ],
    [
      'bad status',
      'grafana',
      mutate('grafana-firing', (b) => {
        b.alerts[0].status = 'alerting';
      }),
      'alerts[0].status',
      /firing|resolved/,
    ],
    [
      'bad timestamp',
      'grafana',
      mutate('grafana-firing', (b) => {
        b.alerts[0].startsAt = 'yesterday';
      }),
      'alerts[0].startsAt',
      /RFC 3339/,
    ],
    [
      'date without time',
      'alertmanager',
      mutate('alertmanager-firing', (b) => {
        b.alerts[0].endsAt = '2026-03-14';
      }),
      'alerts[0].endsAt',
      /RFC 3339/,
    ],
    [
      'generic without name',
      'generic',
      { alerts: [{ status: 'firing' }] },
      'alerts[0].name',
      /expected string/,
    ],
    [
      'generic typo',
      'generic',
      { alerts: [{ name: 'A', status: 'firing', serverity: 'page' }] },
      'alerts[0]',
      /serverity/,
    ],
    [
      'odd label key quoted',
      'generic',
      { alerts: [{ name: 'A', status: 'firing', labels: { 'a b\nc': 1 } }] },
      'alerts[0].labels["a b\\nc"]',
      /expected string/,
    ],
  ];

  it.each(cases)('%s', (_title, source, body, path, pattern) => {
    const err = reason(source, body);
    expect(err).toBeInstanceOf(BotError);
    expect(err.code).toBe('bot.alerts.invalid_payload');
    expect(err.path).toBe(path);
    expect(err.message.startsWith(`${path}: `)).toBe(true);
    expect(err.message).toMatch(pattern);
    expect(err.message).not.toMatch(/[\r\n]/);
  });

  it('counts further problems instead of listing them', () => {
    const err = reason('alertmanager', {});
    expect(err.message).toMatch(/\(and \d+ more problems\)$/);
  });

  it('stays short however long the offending key is', () => {
    const err = reason('generic', {
      alerts: [{ name: 'A', status: 'firing', labels: { ['k'.repeat(5000)]: 1 } }],
    });
    expect(err.message.length).toBeLessThanOrEqual(300);
  });

  it('wraps a body whose getter throws', () => {
    const body = {
      get alerts(): unknown {
        throw new Error('boom');
      },
    };
    expect(() => parseAlertPayload('generic', body)).toThrow(AlertPayloadError);
  });

  it('formats paths', () => {
    expect(formatPath([])).toBe('(body)');
    expect(formatPath(['alerts', 3, 'labels', 'node'])).toBe('alerts[3].labels.node');
    expect(formatPath(['labels', 'app.kubernetes.io/name'])).toBe('labels["app.kubernetes.io/name"]');
  });
});
