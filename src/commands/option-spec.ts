import { z } from 'zod';
import type { CommandDefinition } from './define.ts';

export type OptionKind = 'string' | 'boolean' | 'integer' | 'enum';

export interface OptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  readonly description: string;
  readonly required: boolean;
  readonly choices?: readonly string[];
  readonly positional: boolean;
  readonly short?: string;
}

/** Looks through optional/default/pipe wrappers to the type a person actually types. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; required: boolean; description?: string } {
  let s: z.ZodType = schema;
  let required = true;
  // The outermost description wins: `nodeListOption.optional().describe(…)` over the list's own.
  let description: string | undefined;
  for (let depth = 0; depth < 10; depth++) {
    description ??= s.description;
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault) {
      required = false;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      // Preprocess/transform pipes: the input side is what the user types, unless it is `unknown`.
      const input = s.in as z.ZodType;
      s = (input instanceof z.ZodUnknown || input instanceof z.ZodTransform ? s.out : input) as z.ZodType;
    } else {
      break;
    }
  }
  description ??= s.description;
  return { inner: s, required, ...(description !== undefined ? { description } : {}) };
}

/**
 * The options of a command as plain specs: one source for the text parser, help, the Slack
 * manifest and Discord's typed options, so nothing about a command is written twice.
 */
export function optionSpecs(def: CommandDefinition): OptionSpec[] {
  const shape = def.options.shape;
  return Object.entries(shape).map(([name, schema]) => {
    const { inner, required, description = name } = unwrap(schema as z.ZodType);
    let kind: OptionKind = 'string';
    let choices: readonly string[] | undefined;
    if (inner instanceof z.ZodBoolean) kind = 'boolean';
    else if (inner instanceof z.ZodNumber) kind = 'integer';
    else if (inner instanceof z.ZodEnum) {
      kind = 'enum';
      choices = inner.options.map(String);
    }
    const short = (def.short as Record<string, string> | undefined)?.[name];
    return {
      name,
      kind,
      description,
      required,
      positional: (def.positional as readonly string[] | undefined)?.includes(name) ?? false,
      ...(choices ? { choices } : {}),
      ...(short ? { short } : {}),
    };
  });
}

export function usage(def: CommandDefinition): string {
  const specs = optionSpecs(def);
  const parts = [`/${def.group} ${def.name}`];
  for (const name of def.positional ?? []) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) continue;
    parts.push(spec.required ? `<${name}>` : `[${name}]`);
  }
  for (const spec of specs) {
    if (spec.positional) continue;
    const value =
      spec.kind === 'boolean' ? '' : ` ${spec.choices ? spec.choices.join('|') : `<${spec.name}>`}`;
    const flag = `--${spec.name}${value}`;
    parts.push(spec.required ? flag : `[${flag}]`);
  }
  return parts.join(' ');
}
