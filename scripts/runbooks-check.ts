/**
 * `npm run runbooks:check [dir]`: validates every runbook file (default `runbooks/`), printing each
 * as OK or with its problems (file:line: key.path: what is wrong). Exits 1 on any problem.
 */
import { checkRunbookDir, RunbookError } from '../src/runbooks/loader.ts';
import { alertnames } from '../src/runbooks/schema.ts';

const dir = process.argv[2] ?? 'runbooks';

function main(): number {
  let checks: ReturnType<typeof checkRunbookDir>;
  try {
    checks = checkRunbookDir(dir);
  } catch (err) {
    if (!(err instanceof RunbookError)) throw err;
    for (const p of err.problems) console.error(`FAIL ${p}`);
    return 1;
  }
  if (checks.length === 0) {
    console.error(`FAIL ${dir}: no *.yml or *.yaml runbook files`);
    return 1;
  }
  let failed = 0;
  for (const c of checks) {
    if (c.runbook) {
      console.log(`OK   ${c.file}  ${c.runbook.name} ← ${alertnames(c.runbook).join(', ')}`);
    } else {
      failed++;
      console.log(`FAIL ${c.file}`);
      for (const p of c.problems) console.log(`       ${p}`);
    }
  }
  console.log(
    failed
      ? `${failed} of ${checks.length} runbooks have problems.`
      : `All ${checks.length} runbooks are valid.`,
  );
  return failed ? 1 : 0;
}

process.exitCode = main();
