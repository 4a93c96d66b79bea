import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Document } from 'yaml';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Condition, LoadedRunbook, Runbook } from './schema.ts';
import { ACTION_TARGET, FINDING_SOURCE, FINDINGS_NAMING_A_WORKLOAD, runbookSchema } from './schema.ts';

/**
 * Loads runbooks/*.yml. Every problem in every file is collected and reported at once, each as
 * `runbooks/gpu-xid.yml:12: hints.0.recommend: what is wrong`, so one run of `runbooks:check` (or
 * one failed start) shows the whole list.
 */

/** Every runbook problem found, each naming file:line: key.path. */
export class RunbookError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid runbooks:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RunbookError';
    this.problems = problems;
  }
}

export interface RunbookSource {
  /** As it appears in messages, e.g. `runbooks/gpu-xid.yml`. */
  readonly file: string;
  readonly text: string;
}

/** One file's verdict: its runbook when it is valid, else what is wrong with it. */
export interface RunbookCheck {
  readonly file: string;
  readonly runbook?: LoadedRunbook;
  readonly problems: readonly string[];
}

const RUNBOOK_FILE = /\.ya?ml$/i;

/** The runbook files of `dir`, sorted by name, as `dir/<file>`. */
export function runbookFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new RunbookError([`${dir}: cannot read the runbook directory (${errorText(err)})`]);
  }
  return names
    .filter((n) => RUNBOOK_FILE.test(n))
    .sort()
    .map((n) => join(dir, n))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    });
}

/** Reads and checks every runbook file of `dir`; throws RunbookError only when `dir` is unreadable. */
export function checkRunbookDir(dir = 'runbooks'): RunbookCheck[] {
  const sources: RunbookSource[] = [];
  const unreadable: RunbookCheck[] = [];
  for (const file of runbookFiles(dir)) {
    try {
      sources.push({ file, text: readFileSync(file, 'utf8') });
    } catch (err) {
      unreadable.push({ file, problems: [`${file}: cannot read (${errorText(err)})`] });
    }
  }
  return [...checkRunbooks(sources), ...unreadable].sort((a, b) => a.file.localeCompare(b.file));
}

/** Every runbook of `dir`, valid and cross-checked; one RunbookError listing every problem otherwise. */
export function loadRunbooks(dir = 'runbooks'): LoadedRunbook[] {
  return collect(checkRunbookDir(dir));
}

/** Like loadRunbooks, from texts already in memory. */
export function parseRunbooks(sources: readonly RunbookSource[]): LoadedRunbook[] {
  return collect(checkRunbooks(sources));
}

function collect(checks: readonly RunbookCheck[]): LoadedRunbook[] {
  const problems = checks.flatMap((c) => c.problems);
  if (problems.length > 0) throw new RunbookError(problems);
  return checks.flatMap((c) => (c.runbook ? [c.runbook] : []));
}

/** Checks each source on its own, then across files (names must be unique). Never throws. */
export function checkRunbooks(sources: readonly RunbookSource[]): RunbookCheck[] {
  const checked = sources.map((s): Checked => {
    try {
      return checkOne(s);
    } catch (err) {
      // Not expected; a bug here must still read as a problem with the file, not a crash.
      return {
        check: { file: s.file, problems: [`${s.file}: cannot check (${errorText(err)})`] },
        locate: () => s.file,
      };
    }
  });
  const firstFile = new Map<string, string>();
  return checked.map(({ check, locate, name }) => {
    if (name === undefined) return check;
    const first = firstFile.get(name);
    if (first === undefined) {
      firstFile.set(name, check.file);
      return check;
    }
    const duplicate = `${locate(['name'])}: "${name}" is already the name of the runbook in ${first}`;
    return { file: check.file, problems: [...check.problems, duplicate] };
  });
}

type Locate = (path: readonly PropertyKey[]) => string;

interface Checked {
  readonly check: RunbookCheck;
  readonly locate: Locate;
  /** The document's `name`, when it is a string, valid or not: for the duplicate check. */
  readonly name?: string;
}

function checkOne(source: RunbookSource): Checked {
  const { file } = source;
  const fail = (problems: string[]) => ({ check: { file, problems }, locate: (): string => file });
  let lineCounter: LineCounter;
  let doc: Document.Parsed;
  let data: unknown;
  try {
    lineCounter = new LineCounter();
    // logLevel: warnings (collection keys stringified) would go to process.emitWarning.
    doc = parseDocument(source.text, { lineCounter, prettyErrors: true, logLevel: 'error' });
    if (doc.errors.length > 0) {
      return fail(
        doc.errors.map((e) => {
          const line = e.linePos?.[0]?.line;
          return `${file}${line ? `:${line}` : ''}: ${(e.message.split('\n')[0] ?? '').replace(/:\s*$/, '')}`;
        }),
      );
    }
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Alias bombs and the like: the parser gives up with an exception rather than an error entry.
    return fail([`${file}: not a readable YAML document (${errorText(err)})`]);
  }

  // The line of the deepest part of `path` that exists: a map entry's key, a list item, or the
  // document. So "unknown field" and "missing field" both get a line.
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    const lineAt = (node: unknown) =>
      isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
    let node: unknown = doc.contents;
    let line = lineAt(node);
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        line = lineAt(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key];
        if (item === undefined) break;
        line = lineAt(item) ?? line;
        node = item;
      } else break;
    }
    return line;
  };
  const locate: Locate = (path) => {
    const line = lineOf(path);
    const shown = path.filter((k) => typeof k !== 'symbol').map(String);
    return `${file}${line ? `:${line}` : ''}: ${shown.length ? shown.join('.') : '(top level)'}`;
  };

  if (data === null || data === undefined) return fail([`${file}: the file is empty`]);
  const rawName = typeof data === 'object' && 'name' in data ? (data as { name: unknown }).name : undefined;
  const name = typeof rawName === 'string' ? rawName : undefined;
  const parsed = runbookSchema.safeParse(data);
  if (!parsed.success) {
    const problems: string[] = [];
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        // zod reports these on the parent; name each key, at the line of the key itself.
        for (const key of issue.keys) {
          problems.push(`${locate([...issue.path, key])}: unknown field (check the spelling)`);
        }
      } else if (issue.code === 'invalid_key') {
        // A record key (a label name): zod nests the key's own issues.
        const why = issue.issues.map((i) => i.message).join('; ') || issue.message;
        problems.push(`${locate(issue.path)}: ${why}`);
      } else {
        problems.push(`${locate(issue.path)}: ${describe(issue.code, issue.message)}`);
      }
    }
    return { check: { file, problems: byLine(problems) }, locate, ...(name === undefined ? {} : { name }) };
  }

  const runbook = parsed.data;
  const problems = crossCheck(runbook).map(({ path, message }) => `${locate(path)}: ${message}`);
  if (problems.length > 0) return { check: { file, problems: byLine(problems) }, locate, name: runbook.name };
  return { check: { file, runbook: { ...runbook, file }, problems: [] }, locate, name: runbook.name };
}

function describe(code: string, message: string): string {
  if (code === 'invalid_type' && /received undefined$/.test(message)) return 'missing (required)';
  return message;
}

/** In the order of the file (stable; problems without a line first). */
function byLine(problems: readonly string[]): string[] {
  const line = (p: string) => Number(/^[^\n]*?:(\d+): /.exec(p)?.[1] ?? 0);
  return problems
    .map((p, i) => ({ p, i, line: line(p) }))
    .sort((a, b) => a.line - b.line || a.i - b.i)
    .map((x) => x.p);
}

interface Problem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The checks a schema cannot express: references between fields. */
export function crossCheck(runbook: Runbook): Problem[] {
  const problems: Problem[] = [];
  const diagnostics = new Set(runbook.diagnostics);

  runbook.diagnostics.forEach((d, i) => {
    if (runbook.diagnostics.indexOf(d) !== i) {
      problems.push({ path: ['diagnostics', i], message: `"${d}" is listed twice` });
    }
  });

  const conditionProblems = (when: Condition, path: PropertyKey[]) => {
    if (when.xid !== undefined && !diagnostics.has('xid')) {
      problems.push({
        path: [...path, 'xid'],
        message:
          'Xid numbers come from the xid diagnostic, which this runbook does not run (add it to diagnostics)',
      });
    }
    if (when.finding !== undefined) {
      const source = FINDING_SOURCE[when.finding];
      if (!diagnostics.has(source)) {
        problems.push({
          path: [...path, 'finding'],
          message: `${when.finding} comes from the ${source} diagnostic, which this runbook does not run (add it to diagnostics)`,
        });
      }
    }
  };

  runbook.mitigations.forEach((m, i) => {
    const needed = ACTION_TARGET[m.action];
    if (m.target !== needed) {
      problems.push({
        path: ['mitigations', i, 'target'],
        message: `${m.action} acts on a ${needed}, not a ${m.target}`,
      });
    }
    if (m.when) conditionProblems(m.when, ['mitigations', i, 'when']);
  });

  runbook.hints.forEach((h, i) => {
    conditionProblems(h.when, ['hints', i, 'when']);
    if (h.recommend === 'escalate') return;
    const target = ACTION_TARGET[h.recommend];
    if (
      target === 'workload' &&
      h.when.finding !== undefined &&
      !FINDINGS_NAMING_A_WORKLOAD.has(h.when.finding)
    ) {
      problems.push({
        path: ['hints', i, 'recommend'],
        message: `${h.recommend} acts on a workload, but ${h.when.finding} names only a node: there is nothing to ${h.recommend}`,
      });
      return;
    }
    if (!runbook.mitigations.some((m) => m.action === h.recommend && m.target === target)) {
      problems.push({
        path: ['hints', i, 'recommend'],
        message: `recommends ${h.recommend}, but no mitigation offers it (add { action: ${h.recommend}, target: ${target} } to mitigations)`,
      });
    }
  });

  return problems;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
