import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, tempRunbookDir, validRunbook } from './helpers.ts';

function check(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/runbooks-check.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('scripts/runbooks-check.ts', () => {
  it('passes on the shipped runbooks', () => {
    const { code, out } = check();
    expect(out).toMatch(/^OK {3}runbooks\/gpu-xid\.yml {2}gpu-xid ← GPUXidError/m);
    expect(out).toMatch(/All \d+ runbooks are valid\./);
    expect(code).toBe(0);
  });

  it('prints OK or the problems of each file and exits 1', () => {
    const { dir, cleanup } = tempRunbookDir({
      'good.yml': validRunbook('good', 'A'),
      'bad.yml': validRunbook('bad', 'B').replace('severity: SEV2', 'severity: SEV2\ncolour: red'),
    });
    try {
      const { code, out } = check(dir);
      expect(out).toContain(`OK   ${dir}/good.yml`);
      expect(out).toContain(`FAIL ${dir}/bad.yml`);
      expect(out).toContain(`${dir}/bad.yml:7: colour: unknown field (check the spelling)`);
      expect(out).toContain('1 of 2 runbooks have problems.');
      expect(code).toBe(1);
    } finally {
      cleanup();
    }
  });

  it('fails on a missing or empty directory', () => {
    expect(check('/nonexistent/runbooks').code).toBe(1);
    const { dir, cleanup } = tempRunbookDir({});
    try {
      expect(check(dir)).toMatchObject({ code: 1 });
    } finally {
      cleanup();
    }
  });
});
