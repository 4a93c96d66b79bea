import { describe, expect, it } from 'vitest';
import { isKeyByKind, TIMELINE_KINDS } from '../../src/core/timeline.ts';

describe('TIMELINE_KINDS', () => {
  it('lists every kind the design records, once', () => {
    expect(TIMELINE_KINDS).toEqual([
      'declared',
      'alert',
      'command',
      'status',
      'severity',
      'role',
      'title',
      'update',
      'note',
      'message',
      'action_requested',
      'action_approved',
      'action_cancelled',
      'action_expired',
      'action_started',
      'action_result',
      'escalation',
    ]);
    expect(new Set(TIMELINE_KINDS).size).toBe(TIMELINE_KINDS.length);
  });
});

describe('isKeyByKind', () => {
  const key = new Set(['declared', 'status', 'severity', 'action_result', 'escalation']);
  it.each(TIMELINE_KINDS.map((k) => [k, key.has(k)] as const))('%s is key by kind: %s', (kind, expected) => {
    expect(isKeyByKind(kind)).toBe(expected);
  });

  it('plain messages are not key by kind (a 📌 or pin makes them key)', () => {
    expect(isKeyByKind('message')).toBe(false);
  });
});
