import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { BotError, describeIssue } from '../core/index.ts';
import type { CommandDefinition } from './define.ts';
import { optionSpecs, usage } from './option-spec.ts';
import { splitArgs } from './split.ts';

/** Node's parseArgs error codes: what went wrong in a person's words. */
function describeParseError(err: unknown, def: CommandDefinition): BotError {
  const code = (err as { code?: string }).code;
  const raw = err instanceof Error ? err.message : String(err);
  // Node names the option as '-s, --severity <value>' or '--private': prefer the long form.
  const option = /--[A-Za-z0-9-]+/.exec(raw)?.[0] ?? /'(-[A-Za-z0-9])/.exec(raw)?.[1];
  const hint = `Usage: ${usage(def)}`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new BotError(
        'bot.command.unknown_option',
        `Unknown option ${option ?? ''} for /${def.group} ${def.name}.`,
        {
          hint,
        },
      );
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // One code for two mistakes: a flag given a value, and a value option given none.
      return /does not take an argument/.test(raw)
        ? new BotError('bot.command.invalid_option', `Option ${option ?? ''} is a flag and takes no value.`, {
            hint,
          })
        : new BotError('bot.command.invalid_option', `Option ${option ?? ''} needs a value.`, { hint });
    default:
      return new BotError('bot.command.invalid_option', raw.split('\n')[0] ?? raw, { hint });
  }
}

/**
 * Parses the text after `/<group> <name>` into the command's zod object. Words go through
 * `splitArgs` (quotes) and Node's `util.parseArgs` (flags); bare words fill `positional` in order,
 * the last taking the rest. Any problem is a BotError naming the option and showing the usage.
 */
export function parseOptions<D extends CommandDefinition>(def: D, text: string): z.infer<D['options']> {
  const specs = optionSpecs(def);
  const words = splitArgs(text);
  const parseOpts: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const spec of specs) {
    parseOpts[spec.name] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: words, options: parseOpts, allowPositionals: true, strict: true });
  } catch (err) {
    throw describeParseError(err, def);
  }
  const values: Record<string, unknown> = { ...parsed.values };
  const positional = (def.positional ?? []) as readonly string[];
  const bare = parsed.positionals;
  positional.forEach((name, i) => {
    const isLast = i === positional.length - 1;
    const taken = isLast ? bare.slice(i) : bare.slice(i, i + 1);
    if (taken.length === 0) return;
    if (values[name] !== undefined) {
      throw new BotError(
        'bot.command.invalid_option',
        `${name} was given twice (as --${name} and as a word).`,
        {
          hint: `Usage: ${usage(def)}`,
        },
      );
    }
    values[name] = taken.join(' ');
  });
  if (bare.length > positional.length && positional.length === 0) {
    throw new BotError(
      'bot.command.unexpected_argument',
      `/${def.group} ${def.name} takes no words like "${bare[0]}".`,
      {
        hint: `Usage: ${usage(def)}`,
      },
    );
  }
  return validateOptions(def, values);
}

/** Option values as a platform delivers them typed (Discord's slash options, a form's fields). */
export type TypedOptions = Readonly<Record<string, string | number | boolean>>;

/**
 * Reads options a platform delivered typed, by name, with the command's own schema: no detour
 * through text. An unknown name (a registration older than the bot) is refused like an unknown
 * flag; every bad value gets the answer the same value typed as text gets.
 */
export function readTypedOptions<D extends CommandDefinition>(
  def: D,
  typed: TypedOptions,
): z.infer<D['options']> {
  const specs = optionSpecs(def);
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(typed)) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      throw new BotError(
        'bot.command.unknown_option',
        `Unknown option --${name} for /${def.group} ${def.name}.`,
        {
          hint: `Usage: ${usage(def)}`,
        },
      );
    }
    // A registration older than the bot may send a number where a word is now expected.
    values[name] =
      spec.kind !== 'integer' && spec.kind !== 'boolean' && typeof value === 'number' ? String(value) : value;
  }
  return validateOptions(def, values);
}

/** The one check of option values, wherever they came from: the schema, with answers that name the option. */
function validateOptions<D extends CommandDefinition>(
  def: D,
  input: Readonly<Record<string, unknown>>,
): z.infer<D['options']> {
  const specs = optionSpecs(def);
  const values: Record<string, unknown> = { ...input };
  for (const spec of specs) {
    const v = values[spec.name];
    if (spec.kind === 'integer' && typeof v === 'string') {
      values[spec.name] = /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    }
  }
  const result = def.options.safeParse(values);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? '');
    const spec = specs.find((s) => s.name === name);
    const missing = values[name] === undefined;
    const message = missing
      ? `${spec?.positional ? `<${name}>` : `--${name}`} is required.`
      : describeIssue(issue, name);
    throw new BotError(missing ? 'bot.command.missing_option' : 'bot.command.invalid_option', message, {
      hint: `Usage: ${usage(def)}`,
    });
  }
  return result.data as z.infer<D['options']>;
}
