import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { RunbookError } from '../../src/runbooks/loader.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RUNBOOK_DIR = join(ROOT, 'runbooks');

/** The RunbookError a call throws; fails the test when it throws nothing or something else. */
export function runbookError(fn: () => unknown): RunbookError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    return err as RunbookError;
  }
  throw new Error('expected a RunbookError, but nothing was thrown');
}

/** A directory holding `files`; remove it with the returned cleanup. */
export function tempRunbookDir(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'incident-bot-runbooks-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small valid runbook, line by line, so tests can point at lines. */
export function validRunbook(name = 'test-xid', alertname = 'GPUXidError'): string {
  return [
    `name: ${name}`, // 1
    'title: Test Xid', // 2
    'match:', // 3
    `  alertname: ${alertname}`, // 4
    'summary: A test runbook.', // 5
    'severity: SEV2', // 6
    'diagnostics: [gpu, xid]', // 7
    'hints:', // 8
    '  - when: { xid: [79] }', // 9
    '    recommend: drain', // 10
    '    why: fallen off the bus', // 11
    'mitigations:', // 12
    '  - action: drain', // 13
    '    target: node', // 14
    'escalation:', // 15
    '  after: 30m', // 16
    '  say: Page the on-call.', // 17
    'steps:', // 18
    '  - Look at dmesg.', // 19
    '',
  ].join('\n');
}
