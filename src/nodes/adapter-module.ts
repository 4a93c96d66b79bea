import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from '../core/index.ts';
import type { NodeAdapter } from './port.ts';

/** What every node adapter is built with. */
export interface NodeAdapterDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where adapters read the secrets their entry names (`tokenEnv`, `passphraseEnv`). */
  readonly env: NodeJS.ProcessEnv;
  /**
   * The bot's database, for an adapter that keeps state of its own there (the simulated fleet, in
   * its own table). Absent in tests that build adapters alone.
   */
  readonly db?: Kysely<unknown>;
}

/**
 * A node adapter as the app knows it: its entry under `adapters` in the YAML file (`type` and a
 * strict zod schema), and how to build it. `create` loads the adapter's code only then, so an
 * install that does not use Kubernetes never loads its client. The one list is NODE_ADAPTERS.
 */
export interface NodeAdapterModule<
  T extends string = string,
  O extends { readonly type: T } = { readonly type: T },
> {
  readonly type: T;
  /** The entry's schema; `type` is its discriminator (a typo there names the types there are). */
  readonly options: z.ZodType<O> & z.core.$ZodTypeDiscriminable;
  create(options: O, deps: NodeAdapterDeps): Promise<NodeAdapter>;
}

export function defineNodeAdapter<T extends string, O extends { readonly type: T }>(
  module: NodeAdapterModule<T, O>,
): NodeAdapterModule<T, O> {
  return module;
}
