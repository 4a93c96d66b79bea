import { z } from 'zod';
import type { CommandDefinition } from '../../commands/define.ts';
import { type OptionSpec, optionSpecs } from '../../commands/option-spec.ts';
import { effectiveDefinition } from '../../commands/registry.ts';
import { DISCORD_LIMITS, truncateText } from '../../core/index.ts';

/** ApplicationCommandOptionType (discord-api-types v10). */
export const OPTION_TYPE = { subcommand: 1, string: 3, integer: 4, boolean: 5 } as const;

/**
 * Discord's limits for application commands: names 1-32 lowercase characters, descriptions
 * 1-100, 25 subcommands per command, 25 options per subcommand, 25 choices per option, and
 * required options listed before optional ones.
 */
const NAME = /^[-_\p{Ll}\p{N}]{1,32}$/u;
const DESCRIPTION_MAX = DISCORD_LIMITS.commandDescription;
const MAX_ITEMS = DISCORD_LIMITS.commandItems;

export interface DiscordOptionJson {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  choices?: { name: string; value: string }[];
  min_value?: number;
  max_value?: number;
  max_length?: number;
  options?: DiscordOptionJson[];
}

export interface DiscordCommandJson {
  name: string;
  description: string;
  type: 1;
  /** Guild-only: the bot works in one server, never in direct messages. */
  contexts: [0];
  options: DiscordOptionJson[];
}

function describe(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim() || '—';
  return truncateText(t, DESCRIPTION_MAX);
}

function checkName(name: string, where: string): string {
  if (!NAME.test(name))
    throw new Error(`Discord refuses the name "${name}" (${where}): 1-32 of a-z, 0-9, - and _`);
  return name;
}

/** The zod number's bounds become Discord's min_value/max_value, so the picker refuses 0 too. */
function bounds(def: CommandDefinition, name: string): { min_value?: number; max_value?: number } {
  let s = def.options.shape[name] as z.ZodType | undefined;
  for (let depth = 0; s && depth < 10; depth++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.out as z.ZodType;
    else break;
  }
  if (!(s instanceof z.ZodNumber)) return {};
  const out: { min_value?: number; max_value?: number } = {};
  if (Number.isFinite(s.minValue) && Math.abs(s.minValue ?? 0) < 2 ** 53) out.min_value = s.minValue!;
  if (Number.isFinite(s.maxValue) && Math.abs(s.maxValue ?? 0) < 2 ** 53) out.max_value = s.maxValue!;
  return out;
}

function optionJson(def: CommandDefinition, spec: OptionSpec): DiscordOptionJson {
  const where = `/${def.group} ${def.name} ${spec.name}`;
  const base = {
    name: checkName(spec.name, where),
    description: describe(spec.description),
    required: spec.required,
  };
  switch (spec.kind) {
    case 'boolean':
      return { type: OPTION_TYPE.boolean, ...base };
    case 'integer':
      return { type: OPTION_TYPE.integer, ...base, ...bounds(def, spec.name) };
    case 'enum': {
      const choices = spec.choices ?? [];
      if (choices.length > MAX_ITEMS) throw new Error(`${where}: more than ${MAX_ITEMS} choices`);
      return { type: OPTION_TYPE.string, ...base, choices: choices.map((c) => ({ name: c, value: c })) };
    }
    default:
      // Discord caps a string option at 6,000 characters.
      return { type: OPTION_TYPE.string, ...base, max_length: 6000 };
  }
}

function subcommand(def: CommandDefinition, name = def.name): DiscordOptionJson {
  const specs = optionSpecs(effectiveDefinition(def));
  if (specs.length > MAX_ITEMS) throw new Error(`/${def.group} ${def.name}: more than ${MAX_ITEMS} options`);
  // Discord requires the required options first; the order of the rest is the definition's.
  const ordered = [...specs.filter((s) => s.required), ...specs.filter((s) => !s.required)];
  return {
    type: OPTION_TYPE.subcommand,
    name: checkName(name, `/${def.group} ${name}`),
    description: describe(def.description),
    options: ordered.map((s) => optionJson(def, s)),
  };
}

/**
 * The slash commands to register, derived from commands/: one top-level command per group
 * (`/incident`, `/node`, …) with a subcommand per command file and typed options from its zod
 * schema. Every group gets `help`, as on Slack (CommandRegistry.resolve routes it).
 */
export function buildDiscordCommands(defs: readonly CommandDefinition[]): DiscordCommandJson[] {
  const groups = new Map<string, CommandDefinition[]>();
  for (const def of defs) groups.set(def.group, [...(groups.get(def.group) ?? []), def]);
  const help = defs.find((d) => d.group === 'incident' && d.name === 'help');
  return [...groups].map(([group, list]) => {
    const subs = list.map((d) => subcommand(d));
    if (help && !list.some((d) => d.name === 'help')) subs.push(subcommand(help, 'help'));
    if (subs.length > MAX_ITEMS) throw new Error(`/${group}: more than ${MAX_ITEMS} subcommands`);
    const names = list.map((d) => d.name).join(', ');
    return {
      name: checkName(group, `/${group}`),
      description: describe(`${group[0]!.toUpperCase()}${group.slice(1)} commands: ${names}`),
      type: 1,
      contexts: [0],
      options: subs,
    };
  });
}

/** One option as Discord delivers it in an interaction (`interaction.options.data`). */
export interface InteractionOption {
  readonly name: string;
  readonly type: number;
  readonly value?: string | number | boolean;
  readonly options?: readonly InteractionOption[];
}

/** A slash-command interaction as the inbound event carries it: the subcommand and its typed options. */
export interface InteractionCommand {
  readonly text: string;
  readonly options: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Reads a slash-command interaction's subcommand and its options, typed as Discord sent them; the
 * command's schema checks them (src/commands/parse.ts readTypedOptions). No subcommand reads as
 * help. Options without a value (Discord omits unset ones) are left out.
 */
export function interactionCommand(options: readonly InteractionOption[]): InteractionCommand {
  const sub = options.find((o) => o.type === OPTION_TYPE.subcommand);
  const typed: Record<string, string | number | boolean> = {};
  for (const o of sub?.options ?? []) {
    const v = o.value;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') typed[o.name] = v;
  }
  return { text: sub?.name ?? 'help', options: typed };
}
