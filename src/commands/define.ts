import type { z } from 'zod';
import type { Reply } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/port.ts';
import type { Actor, Clock, Incident } from '../core/index.ts';
import type { NodeCapability } from '../nodes/port.ts';
import type { Services } from './services.ts';

/**
 * `required`: runs against one incident (the channel's, or `--incident N` elsewhere);
 * `none`: needs no incident.
 */
export type IncidentUse = 'required' | 'none';

/** Everything a command may use. Built per invocation by the dispatcher. */
export interface CommandContext<I extends IncidentUse = IncidentUse> {
  readonly actor: Actor;
  readonly chat: ChatPlatform;
  readonly channelId: string;
  /**
   * The incident this command is about: the channel's, or the one named by --incident. Always
   * there for a command that declares `incident: 'required'`; never for one that declares `none`.
   */
  readonly incident: I extends 'required' ? Incident : undefined;
  readonly services: Services;
  readonly clock: Clock;
}

/** Who may run a command. `commander`: the incident's commander, or anyone while there is none. */
export type Permission = 'anyone' | 'commander';

export type OptionsSchema = z.ZodObject<z.ZodRawShape>;

type OptionName<S extends OptionsSchema> = keyof z.infer<S> & string;

/** The options of `S` whose parsed value is a `V` (or absent). */
type OptionOf<S extends OptionsSchema, V> = {
  [K in OptionName<S>]: z.infer<S>[K] extends V | undefined ? K : never;
}[OptionName<S>];

/**
 * Which option names what the command acts on, and what it names. `needs` is checked against the
 * adapters behind it before the command runs: the node's, each listed node's, or the adapter that
 * runs the workload. An optional target left out means the whole fleet: then some adapter must
 * have each capability.
 */
export type CommandTarget<S extends OptionsSchema> =
  | { readonly node: OptionOf<S, string> }
  | { readonly nodes: OptionOf<S, readonly string[]> }
  | { readonly workload: OptionOf<S, string> };

export interface CommandDefinition<
  S extends OptionsSchema = OptionsSchema,
  I extends IncidentUse = IncidentUse,
> {
  /** The slash command it lives under: `/incident`, `/node`. */
  readonly group: string;
  readonly name: string;
  /** One line; shown in help, the Slack manifest and Discord's command picker. */
  readonly description: string;
  /** Options as one zod object. Booleans become flags; everything else takes a value. */
  readonly options: S;
  /** Option names filled from bare words, in order; the last one takes all remaining words. */
  readonly positional?: readonly OptionName<S>[];
  /** One-letter aliases: `{ severity: 's' }` makes `-s SEV2` work. */
  readonly short?: Partial<Record<OptionName<S>, string>>;
  readonly examples?: readonly string[];
  readonly permission: Permission;
  readonly incident: I;
  /** Node adapter capabilities the command needs; a missing one is a clear error, not a crash. */
  readonly needs?: { readonly node?: readonly NodeCapability[] };
  /** The option that names the nodes or workload `needs` is about; without one, the whole fleet. */
  readonly target?: CommandTarget<S>;
  execute(ctx: CommandContext<I>, options: z.infer<S>): Promise<Reply>;
}

/** Identity function that gives a command file its types: `ctx.incident` is an Incident when required. */
export function defineCommand<S extends OptionsSchema, I extends IncidentUse>(
  def: CommandDefinition<S, I>,
): CommandDefinition<S, I> {
  return def;
}
