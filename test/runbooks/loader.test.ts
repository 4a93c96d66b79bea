import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRunbookDir, loadRunbooks, parseRunbooks, RunbookError } from '../../src/runbooks/loader.ts';
import { runbookError, tempRunbookDir, validRunbook } from './helpers.ts';

const FILE = 'runbooks/test.yml';
const one = (text: string, file = FILE) => parseRunbooks([{ file, text }]);
const problemsOf = (text: string, file = FILE) => runbookError(() => one(text, file)).problems;
/** Replace line `n` (1-based) of the valid runbook. */
const withLine = (n: number, line: string, text = validRunbook()) => {
  const lines = text.split('\n');
  lines[n - 1] = line;
  return lines.join('\n');
};

describe('loadRunbooks', () => {
  it('loads a valid runbook, with its file', () => {
    const [r] = one(validRunbook());
    expect(r).toMatchObject({
      name: 'test-xid',
      file: FILE,
      match: { alertname: 'GPUXidError' },
      diagnostics: ['gpu', 'xid'],
      hints: [{ when: { xid: [79] }, recommend: 'drain' }],
      mitigations: [{ action: 'drain', target: 'node' }],
      escalation: { after: '30m', say: 'Page the on-call.' },
    });
  });

  it('reads *.yml and *.yaml from a directory, sorted, ignoring other files', () => {
    const { dir, cleanup } = tempRunbookDir({
      'b.yaml': validRunbook('b-book', 'B'),
      'a.yml': validRunbook('a-book', 'A'),
      'README.md': '# not a runbook',
      'notes.txt': 'name: nope',
    });
    try {
      expect(loadRunbooks(dir).map((r) => [r.name, r.file])).toEqual([
        ['a-book', join(dir, 'a.yml')],
        ['b-book', join(dir, 'b.yaml')],
      ]);
    } finally {
      cleanup();
    }
  });

  it('names a missing directory', () => {
    const err = runbookError(() => loadRunbooks('/nonexistent/runbooks'));
    expect(err.problems[0]).toMatch(/^\/nonexistent\/runbooks: cannot read the runbook directory/);
  });

  it('an unknown field names file:line and the path', () => {
    expect(problemsOf(withLine(11, '    why: fallen off the bus\n    becuase: typo'))).toEqual([
      `${FILE}:12: hints.0.becuase: unknown field (check the spelling)`,
    ]);
    expect(problemsOf(`${validRunbook()}owner: me\n`)).toEqual([
      `${FILE}:20: owner: unknown field (check the spelling)`,
    ]);
  });

  it('a bad enum names file:line, the path and the allowed values', () => {
    const [p] = problemsOf(withLine(10, '    recommend: reboot'));
    expect(p).toBe(`${FILE}:10: hints.0.recommend: must be one of cordon, drain, restart, stop, escalate`);
    expect(problemsOf(withLine(6, 'severity: SEV5'))).toEqual([
      `${FILE}:6: severity: must be one of SEV1, SEV2, SEV3, SEV4`,
    ]);
    expect(problemsOf(withLine(13, '  - action: reboot'))).toEqual([
      `${FILE}:13: mitigations.0.action: must be one of cordon, uncordon, drain, restart, stop`,
    ]);
  });

  it('an unknown diagnostic id is named', () => {
    expect(problemsOf(withLine(7, 'diagnostics: [gpu, xid, smart]'))).toEqual([
      `${FILE}:7: diagnostics.2: unknown diagnostic "smart": must be one of uptime, memory, gpu, gpu-health, gpu-remap, nvlink, xid, oom, containers, container-restarts, nccl-port`,
    ]);
  });

  it('a missing field is named at the line of its parent', () => {
    expect(problemsOf(withLine(17, ''))).toEqual([`${FILE}:15: escalation.say: missing (required)`]);
  });

  it('reports every problem of every file at once, in file order', () => {
    const err = runbookError(() =>
      parseRunbooks([
        { file: 'runbooks/a.yml', text: withLine(6, 'severity: high', withLine(2, 'title: ""')) },
        { file: 'runbooks/b.yml', text: withLine(1, 'name: Not_Kebab') },
      ]),
    );
    expect(err.problems).toEqual([
      'runbooks/a.yml:2: title: must not be empty',
      'runbooks/a.yml:6: severity: must be one of SEV1, SEV2, SEV3, SEV4',
      'runbooks/b.yml:1: name: must be kebab-case (lower-case letters, digits and single dashes)',
    ]);
    expect(err.message).toContain('Invalid runbooks:\n  - runbooks/a.yml:2: title');
  });

  it('a duplicate name names the second file, its line, and the first file', () => {
    const err = runbookError(() =>
      parseRunbooks([
        { file: 'runbooks/gpu-xid.yml', text: validRunbook('gpu-xid', 'A') },
        { file: 'runbooks/gpu-xid-copy.yml', text: `# a copy\n${validRunbook('gpu-xid', 'B')}` },
      ]),
    );
    expect(err.problems).toEqual([
      'runbooks/gpu-xid-copy.yml:2: name: "gpu-xid" is already the name of the runbook in runbooks/gpu-xid.yml',
    ]);
  });

  it('YAML syntax errors name the line', () => {
    const [p] = problemsOf('name: [unclosed\ntitle: x\n');
    expect(p).toMatch(/^runbooks\/test\.yml:\d+: /);
    expect(problemsOf('name: a\nname: b\n')[0]).toMatch(/^runbooks\/test\.yml:2: Map keys must be unique/);
  });

  it('an empty file or a non-mapping is a problem, not a crash', () => {
    expect(problemsOf('')).toEqual([`${FILE}: the file is empty`]);
    expect(problemsOf('- a\n- b\n')).toEqual([
      `${FILE}:1: (top level): Invalid input: expected object, received array`,
    ]);
  });

  it('label names and values are checked', () => {
    const text = withLine(
      4,
      '  alertname: GPUXidError\n  labels: { alertname: X, gpu: 3, ok_label: [a, b] }',
    );
    expect(problemsOf(text)).toEqual([
      `${FILE}:5: match.labels.alertname: match alert names with match.alertname`,
      `${FILE}:5: match.labels.gpu: must be a string or a list of strings (quote numbers: "79")`,
    ]);
  });
});

describe('cross-checks', () => {
  it('an action on the wrong kind of target', () => {
    expect(problemsOf(withLine(14, '    target: workload'))).toEqual(
      [
        `${FILE}:14: mitigations.0.target: drain acts on a node, not a workload`,
        `${FILE}:10: hints.0.recommend: recommends drain, but no mitigation offers it (add { action: drain, target: node } to mitigations)`,
      ].sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1])),
    );
  });

  it('a workload action recommended for a finding that names only a node', () => {
    const text = withLine(
      9,
      '  - when: { finding: gpu_not_responding }',
      withLine(10, '    recommend: restart'),
    );
    expect(problemsOf(text)).toEqual([
      `${FILE}:10: hints.0.recommend: restart acts on a workload, but gpu_not_responding names only a node: there is nothing to restart`,
    ]);
  });

  it('a hint whose recommendation no mitigation offers', () => {
    expect(problemsOf(withLine(10, '    recommend: cordon'))).toEqual([
      `${FILE}:10: hints.0.recommend: recommends cordon, but no mitigation offers it (add { action: cordon, target: node } to mitigations)`,
    ]);
    // escalate needs no mitigation.
    expect(one(withLine(10, '    recommend: escalate'))).toHaveLength(1);
  });

  it('a condition on a finding or Xid that no listed diagnostic produces', () => {
    expect(problemsOf(withLine(7, 'diagnostics: [gpu]'))).toEqual([
      `${FILE}:9: hints.0.when.xid: Xid numbers come from the xid diagnostic, which this runbook does not run (add it to diagnostics)`,
    ]);
    const oom = withLine(9, '  - when: { finding: oom }');
    expect(problemsOf(oom)).toEqual([
      `${FILE}:9: hints.0.when.finding: oom comes from the oom diagnostic, which this runbook does not run (add it to diagnostics)`,
    ]);
  });

  it('a condition must give exactly one of xid or finding', () => {
    expect(problemsOf(withLine(9, '  - when: { xid: [79], finding: oom }'))).toEqual([
      `${FILE}:9: hints.0.when: give exactly one of xid (a list of Xid numbers) or finding`,
    ]);
    expect(problemsOf(withLine(9, '  - when: {}'))).toEqual([
      `${FILE}:9: hints.0.when: give exactly one of xid (a list of Xid numbers) or finding`,
    ]);
  });

  it('a diagnostic listed twice', () => {
    expect(problemsOf(withLine(7, 'diagnostics: [gpu, xid, gpu]'))).toEqual([
      `${FILE}:7: diagnostics.2: "gpu" is listed twice`,
    ]);
  });
});

describe('checkRunbookDir', () => {
  it('gives each file its own verdict', () => {
    const { dir, cleanup } = tempRunbookDir({
      'good.yml': validRunbook('good', 'A'),
      'bad.yml': withLine(6, 'severity: SEV0', validRunbook('bad', 'B')),
    });
    try {
      const checks = checkRunbookDir(dir);
      expect(checks.map((c) => [c.file, c.runbook?.name, c.problems.length])).toEqual([
        [join(dir, 'bad.yml'), undefined, 1],
        [join(dir, 'good.yml'), 'good', 0],
      ]);
      expect(() => loadRunbooks(dir)).toThrow(RunbookError);
    } finally {
      cleanup();
    }
  });
});
