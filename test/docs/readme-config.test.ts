import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFileConfig } from '../../src/config-file.ts';
import { loadRunbooks } from '../../src/runbooks/loader.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe("the README's configuration", () => {
  it('the example YAML file parses as written, and its runbooks folder loads from the repository', () => {
    const section = README.slice(README.indexOf('## Configuration'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml, 'a yaml block under "## Configuration"').toBeDefined();
    const file = parseFileConfig(yaml!, 'README.md');
    const dir = file.runbooks.dir;
    expect(dir, 'the example names a runbooks folder').toBeDefined();
    // Started from the repository's folder, as the README says.
    expect(loadRunbooks(join(ROOT, dir!)).length).toBeGreaterThan(0);
  });

  it('the Slack steps name every command the manifest registers', () => {
    const manifest = readFileSync(join(ROOT, 'manifest.yml'), 'utf8');
    const commands = [...manifest.matchAll(/- command: (\/\w+)/g)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThan(0);
    const step = README.split('\n').find((l) => l.startsWith('4. Review the summary'))!;
    for (const c of commands) expect(step, c).toContain(`\`${c}\``);
  });

  it('the manifest points to documentation that exists', () => {
    const manifest = readFileSync(join(ROOT, 'manifest.yml'), 'utf8');
    expect(manifest).not.toMatch(/docs\/[\w-]+\.md/);
    expect(README).toContain('## Slack');
  });
});
