import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from '../core/index.ts';
import type { Router } from '../http/router.ts';
import type { ChatPlatform } from './port.ts';

/** What every chat platform is built with. */
export interface ChatPlatformDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * What the platforms read from the YAML file: Discord's categories and announcement channel, the
   * sandbox's users. (Structural, not FileConfig: the file's schema lists the platforms' ids.)
   */
  readonly file: {
    readonly discord: {
      readonly category: string;
      readonly archiveCategory: string;
      readonly announceChannel?: string | undefined;
    };
    readonly sandbox: {
      readonly users: readonly {
        readonly id: string;
        readonly name: string;
        readonly groups: readonly string[];
      }[];
    };
  };
  /** The store's connection, for a platform that keeps its own tables (the sandbox). */
  readonly db: Kysely<unknown>;
}

/**
 * A chat platform as the app knows it: its environment variables (zod fields, validated with the
 * rest of the environment at start-up), the problems between them, whether and how it is
 * configured, the secrets it holds (for the redactor), how to build it (its code is loaded only
 * then), and what it serves on the bot's HTTP server. The one list is CHAT_PLATFORMS.
 */
export interface ChatPlatformModule<
  Id extends string = string,
  Shape extends z.ZodRawShape = z.ZodRawShape,
  S = unknown,
> {
  readonly id: Id;
  readonly env: Shape;
  /** Its variables whose values may be quoted in an error (never a secret). */
  readonly echo: readonly (keyof Shape & string)[];
  /** Whether any of its variables is set: turns it on (and the sandbox off by default). */
  configured(raw: Readonly<Record<string, string | undefined>>): boolean;
  /** Problems between its variables (one needs another), each naming its variable. */
  problems(raw: Readonly<Record<string, string | undefined>>): string[];
  /**
   * Its settings from the validated environment, or undefined when it is off. `othersConfigured`:
   * another platform is (the sandbox runs by default only when none is).
   */
  settings(env: z.infer<z.ZodObject<Shape>>, context: { readonly othersConfigured: boolean }): S | undefined;
  /** The secrets its settings hold, for the redactor to blank as literals. */
  secrets(settings: S): readonly (string | undefined)[];
  create(settings: S, deps: ChatPlatformDeps): Promise<ChatPlatform>;
  /** Routes it serves on the bot's one HTTP server (Slack's HTTP mode, the sandbox page). */
  mount?(router: Router, platform: ChatPlatform, settings: S): void | Promise<void>;
}

export function defineChatPlatform<Id extends string, Shape extends z.ZodRawShape, S>(
  module: ChatPlatformModule<Id, Shape, S>,
): ChatPlatformModule<Id, Shape, S> {
  return module;
}
