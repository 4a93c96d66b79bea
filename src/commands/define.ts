import type { z } from 'zod';
import type { Reply } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/port.ts';
import type { Actor, Clock, Incident } from '../core/index.ts';
import type { NodeCapability } from '../nodes/port.ts';
import type { Services } from './services.ts';

/** Everything a command may use. Built per invocation by the dispatcher. */
export interface CommandContext {
  readonly actor: Actor;
  readonly chat: ChatPlatform;
  readonly channelId: string;
  /** The incident this command is about: the channel's, or the one named by --incident. */
  readonly incident: Incident | undefined;
  readonly services: Services;
  readonly clock: Clock;
}

/** Who may run a command. `commander`: the incident's commander, or anyone while there is none. */
export type Permission = 'anyone' | 'commander';

export type OptionsSchema = z.ZodObject<z.ZodRawShape>;

export interface CommandDefinition<S extends OptionsSchema = OptionsSchema> {
  /** The slash command it lives under: `/incident`, `/node`. */
  readonly group: string;
  readonly name: string;
  /** One line; shown in help, the Slack manifest and Discord's command picker. */
  readonly description: string;
  /** Options as one zod object. Booleans become flags; everything else takes a value. */
  readonly options: S;
  /** Option names filled from bare words, in order; the last one takes all remaining words. */
  readonly positional?: readonly (keyof z.infer<S> & string)[];
  /** One-letter aliases: `{ severity: 's' }` makes `-s SEV2` work. */
  readonly short?: Partial<Record<keyof z.infer<S> & string, string>>;
  readonly examples?: readonly string[];
  readonly permission: Permission;
  /**
   * `required`: runs against one incident (the channel's, or `--incident N` elsewhere);
   * `none`: needs no incident.
   */
  readonly incident: 'required' | 'none';
  /** Node adapter capabilities the command needs; a missing one is a clear error, not a crash. */
  readonly needs?: { readonly node?: readonly NodeCapability[] };
  execute(ctx: CommandContext, options: z.infer<S>): Promise<Reply>;
}

/** Identity function that gives a command file its types. */
export function defineCommand<S extends OptionsSchema>(def: CommandDefinition<S>): CommandDefinition<S> {
  return def;
}
