import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import assign from '../../commands/incident/assign.ts';
import declare from '../../commands/incident/declare.ts';
import list from '../../commands/incident/list.ts';
import note from '../../commands/incident/note.ts';
import severity from '../../commands/incident/severity.ts';
import status from '../../commands/incident/status.ts';
import timeline from '../../commands/incident/timeline.ts';
import { commands } from '../../commands/index.ts';
import nodeCordon from '../../commands/node/cordon.ts';
import nodeList from '../../commands/node/list.ts';
import type { CommandDefinition } from '../../src/commands/define.ts';
import { optionSpecs, usage } from '../../src/commands/option-spec.ts';
import { parseOptions } from '../../src/commands/parse.ts';
import { CommandRegistry, effectiveDefinition } from '../../src/commands/registry.ts';
import { BotError } from '../../src/core/index.ts';

const DECLARE_USAGE =
  'Usage: /incident declare <title> [--severity SEV1|SEV2|SEV3|SEV4] [--description <description>] [--private]';

const asDef = (d: unknown) => d as CommandDefinition;
const eff = (d: unknown) => effectiveDefinition(asDef(d));

function parseError(def: unknown, text: string): BotError {
  try {
    parseOptions(asDef(def), text);
  } catch (err) {
    expect(err).toBeInstanceOf(BotError);
    return err as BotError;
  }
  throw new Error(`expected parseOptions(${asDef(def).name}, ${JSON.stringify(text)}) to throw`);
}

describe('parseOptions: /incident declare', () => {
  it('parses the title, --severity and -d', () => {
    expect(parseOptions(declare, 'GPU down --severity sev2 -d "desc"')).toEqual({
      title: 'GPU down',
      severity: 'SEV2',
      description: 'desc',
      private: false,
    });
  });

  it('fills the defaults', () => {
    expect(parseOptions(declare, 'x')).toEqual({
      title: 'x',
      severity: 'SEV3',
      description: '',
      private: false,
    });
  });

  it('takes options before, between and after the words', () => {
    expect(parseOptions(declare, '--private -s 1 GPU -d "a b" down')).toEqual({
      title: 'GPU down',
      severity: 'SEV1',
      description: 'a b',
      private: true,
    });
  });

  it.each([
    ['sev2', 'SEV2'],
    ['SEV2', 'SEV2'],
    ['2', 'SEV2'],
    ['s2', 'SEV2'],
    ['p1', 'SEV1'],
    ['sev-4', 'SEV4'],
    [' Sev3 ', 'SEV3'],
  ])('reads --severity %j as %s', (given, expected) => {
    expect(parseOptions(declare, `x --severity "${given}"`).severity).toBe(expected);
  });

  it('accepts --name=value and -sVALUE', () => {
    expect(parseOptions(declare, 'x --severity=2').severity).toBe('SEV2');
    expect(parseOptions(declare, 'x -s2').severity).toBe('SEV2');
    expect(parseOptions(declare, 'x --description="long text"').description).toBe('long text');
  });

  it('keeps quoted spacing in the title but joins bare words with one space', () => {
    expect(parseOptions(declare, '"GPU  down"').title).toBe('GPU  down');
    expect(parseOptions(declare, 'GPU    down').title).toBe('GPU down');
    expect(parseOptions(declare, '“GPU down” on rack 3').title).toBe('GPU down on rack 3');
  });

  it('trims the title', () => {
    expect(parseOptions(declare, '" GPU down "').title).toBe('GPU down');
  });

  it('treats everything after -- as words', () => {
    expect(parseOptions(declare, 'a -- --severity')).toEqual({
      title: 'a --severity',
      severity: 'SEV3',
      description: '',
      private: false,
    });
  });

  it('refuses an unknown option, with the usage as hint', () => {
    const err = parseError(declare, 'GPU down --sevrity sev2');
    expect(err.code).toBe('bot.command.unknown_option');
    expect(err.message).toBe('Unknown option --sevrity for /incident declare.');
    expect(err.hint).toBe(DECLARE_USAGE);
  });

  it('refuses an unknown short option', () => {
    const err = parseError(declare, 'x -p');
    expect(err.code).toBe('bot.command.unknown_option');
    expect(err.message).toBe('Unknown option -p for /incident declare.');
  });

  it('refuses --incident: declare is not scoped to an incident', () => {
    const err = parseError(eff(declare), 'x --incident 12');
    expect(err.code).toBe('bot.command.unknown_option');
    expect(err.message).toBe('Unknown option --incident for /incident declare.');
    expect(err.hint).toBe(DECLARE_USAGE);
  });

  it('refuses a missing title, naming <title>', () => {
    for (const text of ['', '   ', '--severity 2', '--']) {
      const err = parseError(declare, text);
      expect(err.code).toBe('bot.command.missing_option');
      expect(err.message).toBe('<title> is required.');
      expect(err.hint).toBe(DECLARE_USAGE);
    }
  });

  it('refuses an empty quoted title', () => {
    const err = parseError(declare, '"" -s 2');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('title: the title is empty');
  });

  it('refuses an invalid severity', () => {
    const err = parseError(declare, '--severity sev9 x');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('severity: must be one of SEV1, SEV2, SEV3, SEV4 (SEV1 is the most severe)');
    expect(err.hint).toBe(DECLARE_USAGE);
  });

  it('refuses a title over 200 characters', () => {
    const err = parseError(declare, 'x'.repeat(201));
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toMatch(/^title: /);
  });

  it('refuses the title given both as a word and as --title', () => {
    const err = parseError(declare, 'a --title b');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('title was given twice (as --title and as a word).');
  });

  it('accepts the title as --title alone', () => {
    expect(parseOptions(declare, '--title "GPU down"').title).toBe('GPU down');
  });

  it('passes the unterminated-quote error through', () => {
    expect(parseError(declare, 'GPU "down').code).toBe('bot.command.unterminated_quote');
  });

  it('names a value-less option that has no short alias', () => {
    const err = parseError(eff(severity), 'SEV1 --incident');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('Option --incident needs a value.');
  });

  // Regression: for an option with a short alias Node's message is "Option '-s, --severity <value>' argument
  // missing"; the regex picks "-s," and the reply reads "Option -s, needs a value."
  it('names a value-less option with a short alias by its long name', () => {
    const err = parseError(declare, 'x --severity');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('Option --severity needs a value.');
    expect(err.hint).toBe(DECLARE_USAGE);
  });

  // Regression: Node's "Option '--private' does not take an argument" (same error code as a missing value)
  // is answered with "Option --private needs a value.", the opposite of the truth.
  it('says a boolean flag takes no value', () => {
    const err = parseError(declare, 'x --private=yes');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toContain('--private');
    expect(err.message).not.toContain('needs a value');
  });
});

describe('parseOptions: other commands', () => {
  it('fills two positionals, the last taking the rest', () => {
    expect(parseOptions(assign, 'ic @alice')).toEqual({ role: 'commander', user: '@alice' });
    expect(parseOptions(assign, 'comms alice bob')).toEqual({ role: 'communications', user: 'alice bob' });
  });

  it('names the missing second positional', () => {
    const err = parseError(eff(assign), 'ic');
    expect(err.code).toBe('bot.command.missing_option');
    expect(err.message).toBe('<user> is required.');
    expect(err.hint).toBe('Usage: /incident assign <role> <user> [--incident <incident>]');
  });

  it('refuses an unknown role', () => {
    const err = parseError(assign, 'boss @alice');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('role: must be commander (ic), communications (comms) or responder');
  });

  it('takes an optional positional enum', () => {
    expect(parseOptions(status, '')).toEqual({});
    expect(parseOptions(status, 'Investigating')).toEqual({ status: 'investigating' });
    const err = parseError(status, 'bogus');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('status: must be one of declared, investigating, mitigated, resolved, closed');
  });

  it('takes the rest of the text for a single text positional', () => {
    expect(parseOptions(note, 'Customer ticket #4411 looks related')).toEqual({
      text: 'Customer ticket #4411 looks related',
    });
    const err = parseError(note, '"  "');
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('text: the note is empty');
  });

  it('parses boolean and integer options with short aliases', () => {
    expect(parseOptions(timeline, '')).toEqual({ key: false, last: 40 });
    expect(parseOptions(timeline, '--key --last 5')).toEqual({ key: true, last: 5 });
    expect(parseOptions(timeline, '-k -n 12')).toEqual({ key: true, last: 12 });
    expect(parseOptions(list, '-a')).toEqual({ all: true });
  });

  it('refuses integers out of range or not whole', () => {
    const zero = parseError(timeline, '-n 0');
    expect(zero.code).toBe('bot.command.invalid_option');
    expect(zero.message).toBe('last: must be a whole number from 1 to 500');
    expect(parseError(timeline, '--last 501').message).toBe('last: must be a whole number from 1 to 500');
    expect(parseError(timeline, '--last five').code).toBe('bot.command.invalid_option');
    expect(parseError(timeline, '--last 1.5').message).toBe('last: must be a whole number from 1 to 500');
  });

  it('refuses bare words for a command without positionals', () => {
    const err = parseError(list, 'foo bar');
    expect(err.code).toBe('bot.command.unexpected_argument');
    expect(err.message).toBe('/incident list takes no words like "foo".');
    expect(err.hint).toBe('Usage: /incident list [--all]');
    expect(parseError(nodeList, 'x').message).toBe('/node list takes no words like "x".');
  });
});

describe('--incident via effectiveDefinition', () => {
  it('is refused by the bare definition and accepted by the effective one', () => {
    expect(parseError(severity, 'SEV1 --incident 12').code).toBe('bot.command.unknown_option');
    expect(parseOptions(eff(severity), 'SEV1 --incident 12')).toEqual({ severity: 'SEV1', incident: 12 });
    expect(parseOptions(eff(severity), '--incident=7 sev2')).toEqual({ severity: 'SEV2', incident: 7 });
  });

  it('is optional', () => {
    expect(parseOptions(eff(severity), 'SEV1')).toEqual({ severity: 'SEV1' });
  });

  it('works for incident-scoped node commands', () => {
    expect(parseOptions(eff(nodeCordon), 'gpu-node-5 --incident 4')).toEqual({
      node: 'gpu-node-5',
      incident: 4,
    });
  });

  it('is added only to incident-scoped commands', () => {
    for (const def of commands) {
      const names = optionSpecs(effectiveDefinition(def)).map((s) => s.name);
      expect(names.includes('incident')).toBe(def.incident === 'required');
    }
    expect(effectiveDefinition(asDef(declare))).toBe(declare);
    expect(parseError(eff(nodeList), '--incident 4').message).toBe(
      'Unknown option --incident for /node list.',
    );
  });

  it.each(['abc', '0', '-3x', '2.5'])('refuses --incident %s', (value) => {
    const err = parseError(eff(severity), `SEV1 --incident=${value}`);
    expect(err.code).toBe('bot.command.invalid_option');
    expect(err.message).toBe('incident: must be an incident number such as 12');
    expect(err.hint).toBe('Usage: /incident severity <severity> [--incident <incident>]');
  });

  it('does not change the original definition', () => {
    eff(severity);
    expect(Object.keys(severity.options.shape)).toEqual(['severity']);
  });
});

describe('usage and optionSpecs', () => {
  it('describes every command', () => {
    expect(commands.map((d) => usage(effectiveDefinition(d)))).toEqual([
      '/incident declare <title> [--severity SEV1|SEV2|SEV3|SEV4] [--description <description>] [--private]',
      '/incident status [status] [--incident <incident>]',
      '/incident update <text> [--incident <incident>]',
      '/incident severity <severity> [--incident <incident>]',
      '/incident assign <role> <user> [--incident <incident>]',
      '/incident note <text> [--incident <incident>]',
      '/incident timeline [--key] [--last <last>] [--incident <incident>]',
      '/incident mitigated [--incident <incident>]',
      '/incident resolve [--requests cancel|keep] [--incident <incident>]',
      '/incident postmortem [--incident <incident>]',
      '/incident close [--incident <incident>]',
      '/incident list [--all]',
      '/incident help [command]',
      '/node list',
      '/node status <node>',
      '/node history <node> [--days <days>]',
      '/node triage [nodes] [--all]',
      '/node collect <node> [--incident <incident>]',
      '/node cordon <node> [--incident <incident>]',
      '/node uncordon <node> [--incident <incident>]',
      '/node drain <node> [--incident <incident>]',
      '/workload list [--node <node>]',
      '/workload restart <workload> [--incident <incident>]',
      '/workload stop <workload> [--incident <incident>]',
      '/workload logs <workload> [--tail <tail>]',
      '/runbook list',
      '/runbook show <name>',
      '/runbook run <name> [nodes] [--incident <incident>]',
    ]);
  });

  it('uses the bare definition without --incident', () => {
    expect(usage(asDef(severity))).toBe('/incident severity <severity>');
  });

  it('lists the options of declare', () => {
    expect(optionSpecs(asDef(declare))).toEqual([
      {
        name: 'title',
        kind: 'string',
        description: 'Short title of what is wrong',
        required: true,
        positional: true,
      },
      {
        name: 'severity',
        kind: 'enum',
        description: 'SEV1 (total outage) … SEV4 (minor); default SEV3',
        required: false,
        positional: false,
        choices: ['SEV1', 'SEV2', 'SEV3', 'SEV4'],
        short: 's',
      },
      {
        name: 'description',
        kind: 'string',
        description: 'What is known so far',
        required: false,
        positional: false,
        short: 'd',
      },
      {
        name: 'private',
        kind: 'boolean',
        description: 'Private channel, kept out of the announcement channel',
        required: false,
        positional: false,
      },
    ]);
  });

  it('sees through defaults and coercion to integers', () => {
    expect(optionSpecs(eff(timeline))).toEqual([
      {
        name: 'key',
        kind: 'boolean',
        description: 'Only key events (📌, status, severity, results)',
        required: false,
        positional: false,
        short: 'k',
      },
      {
        name: 'last',
        kind: 'integer',
        description: 'How many of the latest entries to show',
        required: false,
        positional: false,
        short: 'n',
      },
      {
        name: 'incident',
        kind: 'integer',
        description: 'Incident number, when not run in the incident channel',
        required: false,
        positional: false,
      },
    ]);
  });

  it('gives positional enums their choices', () => {
    const [role] = optionSpecs(asDef(assign));
    expect(role).toEqual({
      name: 'role',
      kind: 'enum',
      description: 'commander, communications or responder',
      required: true,
      positional: true,
      choices: ['commander', 'communications', 'responder'],
    });
  });
});

describe('CommandRegistry', () => {
  const registry = new CommandRegistry(commands);

  function findError(group: string, name: string): BotError {
    try {
      registry.resolve(group, name);
    } catch (err) {
      expect(err).toBeInstanceOf(BotError);
      return err as BotError;
    }
    throw new Error(`expected /${group} ${name} to be unknown`);
  }

  it('lists the groups in order', () => {
    expect(registry.groups()).toEqual(['incident', 'node', 'workload', 'runbook']);
    expect(registry.all).toBe(commands);
  });

  it('finds commands case-insensitively by name, with --incident where it applies', () => {
    const def = registry.find('incident', 'Severity');
    expect(def.name).toBe('severity');
    expect(parseOptions(def, 'SEV1 --incident 3')).toEqual({ severity: 'SEV1', incident: 3 });
    expect(registry.find('incident', 'declare')).toBe(declare);
  });

  it('resolves help under any known group to /incident help', () => {
    expect(registry.resolve('incident', 'help').name).toBe('help');
    expect(registry.resolve('node', 'HELP')).toBe(registry.find('incident', 'help'));
  });

  it('refuses an unknown group, listing the groups', () => {
    const err = findError('zzz', 'declare');
    expect(err.code).toBe('bot.command.unknown');
    expect(err.message).toBe('There is no /zzz command.');
    expect(err.hint).toBe('Commands: /incident, /node, /workload, /runbook.');
    expect(findError('zzz', 'help').message).toBe('There is no /zzz command.');
    expect(findError('incidnet', 'declare').message).toBe(
      'There is no /incidnet command. Did you mean /incident?',
    );
    expect(findError('nodes', 'list').message).toBe('There is no /nodes command. Did you mean /node?');
  });

  it('refuses an unknown command, listing that group’s commands', () => {
    const err = findError('incident', 'decalre');
    expect(err.code).toBe('bot.command.unknown');
    expect(err.message).toBe('Unknown command "/incident decalre". Did you mean /incident declare?');
    expect(findError('incident', 'declar').message).toBe(
      'Unknown command "/incident declar". Did you mean /incident declare?',
    );
    expect(err.hint).toBe(
      'Try one of: declare, status, update, severity, assign, note, timeline, mitigated, resolve, postmortem, close, list, help, or /incident help.',
    );
    expect(findError('node', 'reboot').hint).toBe(
      'Try one of: list, status, history, triage, collect, cordon, uncordon, drain, or /node help.',
    );
  });

  it('does not resolve Object.prototype names', () => {
    expect(findError('incident', 'constructor').code).toBe('bot.command.unknown');
    expect(findError('incident', '__proto__').code).toBe('bot.command.unknown');
  });

  it('refuses a command defined twice', () => {
    expect(() => new CommandRegistry([asDef(declare), asDef(list), asDef(declare)])).toThrow(
      'Command /incident declare is defined twice',
    );
  });
});

describe('parseOptions: properties', () => {
  const tokens = fc.constantFrom(
    '--severity',
    '-s',
    '-d',
    '--description',
    '--private',
    '--private=true',
    '--incident',
    '--incident=',
    '--last',
    '-n',
    '--key',
    '--all',
    '--title',
    '--',
    '-',
    '---',
    '"',
    "'",
    '“',
    '”',
    '‘',
    '’',
    '\\',
    'sev1',
    '2',
    '0',
    '-1',
    'x',
    '=',
    '__proto__',
    'constructor',
  );
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.array(tokens, { maxLength: 12 }).map((a) => a.join(' ')),
    fc.array(fc.oneof(tokens, fc.constantFrom(' ', '\t')), { maxLength: 16 }).map((a) => a.join('')),
  );

  it('declare: any text gives a valid object or a BotError', () => {
    fc.assert(
      fc.property(text, (t) => {
        let parsed: ReturnType<typeof parseOptions<typeof declare>>;
        try {
          parsed = parseOptions(declare, t);
        } catch (err) {
          if (!(err instanceof BotError)) throw err;
          expect(err.code).toMatch(/^bot\.command\./);
          return;
        }
        expect(Object.keys(parsed).sort()).toEqual(['description', 'private', 'severity', 'title']);
        expect(parsed.title.length).toBeGreaterThan(0);
        expect(parsed.title.length).toBeLessThanOrEqual(200);
        expect(['SEV1', 'SEV2', 'SEV3', 'SEV4']).toContain(parsed.severity);
        expect(typeof parsed.private).toBe('boolean');
        expect(typeof parsed.description).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });

  it('every command (effective definition): any text gives a result or a BotError', () => {
    const defs = commands.map(effectiveDefinition);
    fc.assert(
      fc.property(fc.constantFrom(...defs), text, (def, t) => {
        try {
          // Only the command's own options, each as its schema made it (a node list is a list).
          const parsed = parseOptions(def, t) as Record<string, unknown>;
          const names = optionSpecs(def).map((s) => s.name);
          for (const [name, value] of Object.entries(parsed)) {
            expect(names).toContain(name);
            const spec = optionSpecs(def).find((s) => s.name === name)!;
            if (spec.kind === 'boolean') expect(typeof value).toBe('boolean');
            if (spec.kind === 'integer') expect(Number.isInteger(value)).toBe(true);
            if (spec.kind === 'enum') expect(spec.choices).toContain(value);
          }
        } catch (err) {
          if (!(err instanceof BotError)) throw err;
          expect(err.code).toMatch(/^bot\.command\./);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
