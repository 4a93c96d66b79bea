import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { runCommand } from '../../src/app/inbound.ts';
import type { CommandDefinition } from '../../src/commands/define.ts';
import { CommandRegistry } from '../../src/commands/registry.ts';
import { replyText } from '../helpers/sandbox-client.ts';
import { alice, harness } from '../incidents/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CONTRIBUTING = readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8');

/** The first ```ts block after a heading of CONTRIBUTING.md, dedented. */
function snippet(heading: string): string {
  const from = CONTRIBUTING.indexOf(heading);
  if (from < 0) throw new Error(`CONTRIBUTING.md has no "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(CONTRIBUTING.slice(from));
  if (!block) throw new Error(`no ts block after "${heading}"`);
  const lines = block[1]!.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Type errors of one file against the project's own compiler settings. */
function typeErrors(file: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    },
  );
  const program = ts.createProgram([file], { ...parsed!.options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/**
 * The recipes say exactly what to do: this follows them. The "add a command" snippet, written
 * where the recipe says, must compile, pass the linter and, registered, answer in an incident.
 */
describe('CONTRIBUTING.md, done as it says', () => {
  const file = join(ROOT, 'commands/incident/zz-contributing-page.ts');
  afterAll(() => rmSync(file, { force: true }));

  it('adds a command that compiles, lints clean and runs', async () => {
    writeFileSync(file, snippet('## Recipe: add a command'));
    expect(typeErrors(file)).toEqual([]);
    // The linter and formatter the project runs, on the file as the recipe gives it.
    execFileSync(join(ROOT, 'node_modules/.bin/biome'), ['check', file], { cwd: ROOT, stdio: 'pipe' });

    const page = (await import(file)).default as CommandDefinition;
    const h = await harness();
    try {
      const registry = new CommandRegistry([...commands, page]);
      const incident = await h.declare('SEV2');
      const { channelId } = (await h.incidents.get(incident.id))!;
      const reply = await runCommand(
        h.chat,
        'incident',
        'page GPU 3 keeps falling off the bus -u',
        alice,
        channelId!,
        {
          services: { ...h.services, commands: registry.all },
          registry,
          store: h.store,
          clock: h.clock,
          logger: h.app.inboundDeps.logger,
        },
      );
      expect(replyText(reply)).toContain(
        `Alice pages the on-call for INC-${incident.number}: GPU 3 keeps falling off the bus`,
      );
      // Help knows it too: nothing about a command is written twice.
      const help = await runCommand(h.chat, 'incident', 'help page', alice, channelId!, {
        services: { ...h.services, commands: registry.all },
        registry,
        store: h.store,
        clock: h.clock,
        logger: h.app.inboundDeps.logger,
      });
      expect(replyText(help)).toContain('Page the on-call engineer for this incident');
    } finally {
      await h.close();
    }
  }, 60_000);

  it('gives a node adapter module that compiles', () => {
    const dir = join(ROOT, 'src/nodes/zz-contributing');
    const module = join(dir, 'module.ts');
    try {
      execFileSync('mkdir', ['-p', dir]);
      // The recipe's own module.ts, beside the two files it imports (as the recipe's steps 1 and 5 make them).
      writeFileSync(
        join(dir, 'options.ts'),
        "import { z } from 'zod';\nexport const ipmiAdapterOptions = z.object({ type: z.literal('ipmi'), name: z.string().default('ipmi') }).strict();\n",
      );
      writeFileSync(
        join(dir, 'adapter.ts'),
        "import type { NodeAdapterDeps } from '../adapter-module.ts';\nimport type { NodeAdapter } from '../port.ts';\nimport { createSimulatedAdapter } from '../simulated/index.ts';\nexport function createIpmiAdapter(options: { name: string }, deps: NodeAdapterDeps): NodeAdapter {\n  return createSimulatedAdapter({ clock: deps.clock, name: options.name });\n}\n",
      );
      writeFileSync(module, snippet('5. Export its options schema'));
      expect(typeErrors(module)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
