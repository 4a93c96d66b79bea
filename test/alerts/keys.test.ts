import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commonLabels, fingerprintFor, groupKeyFor, normalizeAlertPayload } from '../../src/alerts/index.ts';
import { RECEIVED_AT } from './fixtures.ts';

function shuffled(labels: Record<string, string>, seed: number): Record<string, string> {
  const entries = Object.entries(labels);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = (seed * (i + 7)) % (i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries);
}

const labelsArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 12 }), {
  maxKeys: 8,
});

describe('groupKeyFor', () => {
  it('uses the default label set, sorted, quoted, leaving out labels the alert lacks', () => {
    expect(groupKeyFor({ node: 'gpu-node-5', job: 'dcgm', alertname: 'GpuXidError' })).toBe(
      '{alertname="GpuXidError",node="gpu-node-5"}',
    );
    expect(groupKeyFor({ job: 'x' })).toBe('{}');
    expect(groupKeyFor({ a: '1', b: '2' }, ['b'])).toBe('{b="2"}');
  });

  it('is the same for the same labels in any order, and for the label set in any order', () => {
    const labels = { alertname: 'X', node: 'n1', cluster: 'c', gpu: '1' };
    expect(groupKeyFor(shuffled(labels, 3))).toBe(groupKeyFor(labels));
    expect(groupKeyFor(labels, ['node', 'alertname', 'cluster'])).toBe(groupKeyFor(labels));
    fc.assert(
      fc.property(labelsArb, fc.nat(), (l, seed) => {
        const keys = Object.keys(l);
        expect(groupKeyFor(shuffled(l, seed), keys)).toBe(groupKeyFor(l, keys.reverse()));
      }),
    );
  });

  it('cannot be confused by quotes and separators in values', () => {
    expect(groupKeyFor({ alertname: 'a",node="b' })).not.toBe(groupKeyFor({ alertname: 'a', node: 'b' }));
  });

  it('groups two generic deliveries with the same labels in different order together', () => {
    const opts = { receivedAt: RECEIVED_AT };
    const a = normalizeAlertPayload(
      'generic',
      { alerts: [{ name: 'Oom', status: 'firing', labels: { node: 'n2', cluster: 'c1', pod: 'p' } }] },
      opts,
    );
    const b = normalizeAlertPayload(
      'generic',
      { alerts: [{ name: 'Oom', status: 'firing', labels: { pod: 'p', cluster: 'c1', node: 'n2' } }] },
      opts,
    );
    expect(a.groupKey).toBe('{alertname="Oom",cluster="c1",node="n2"}');
    expect(b.groupKey).toBe(a.groupKey);
    expect(b.alerts[0]!.fingerprint).toBe(a.alerts[0]!.fingerprint);
  });
});

describe('fingerprintFor', () => {
  it('is a sha256 of the sorted labels', () => {
    expect(fingerprintFor({ node: 'a', alertname: 'X' })).toBe(
      '33f072f9cbf99b2f4da17d96875e60d33f5d2350607672827987e2c4320dd530',
    );
  });

  it('is stable under reordering and differs when labels differ', () => {
    fc.assert(
      fc.property(labelsArb, fc.nat(), (l, seed) => {
        expect(fingerprintFor(shuffled(l, seed))).toBe(fingerprintFor(l));
      }),
    );
    expect(fingerprintFor({ a: 'b=c' })).not.toBe(fingerprintFor({ 'a=b': 'c' }));
    expect(fingerprintFor({ a: '1' })).not.toBe(fingerprintFor({ a: '1', b: '' }));
  });
});

describe('commonLabels', () => {
  it('keeps only the labels every set shares with the same value', () => {
    expect(commonLabels([{ a: '1', b: '2' }, { a: '1', b: '3' }, { a: '1' }])).toEqual({ a: '1' });
    expect(commonLabels([])).toEqual({});
  });
});
