import type { Kysely } from 'kysely';
import { z } from 'zod';
import { defineChatPlatform } from '../platform-module.ts';
import type { SandboxChat } from './adapter.ts';
import type { SandboxTables } from './workspace.ts';

/**
 * The local sandbox: a Slack-like workspace in the browser, served by the bot itself. On by
 * default only when no other chat platform is configured; never on a HOST other machines can
 * reach (config.ts refuses it: its user switcher is not an identity).
 */
export const sandboxModule = defineChatPlatform({
  id: 'sandbox',
  env: {
    /** Run the local sandbox too. Default: only when no chat platform is configured. */
    SANDBOX: z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform((v) => ['true', '1', 'yes'].includes(v))
      .optional(),
  },
  echo: ['SANDBOX'],
  // Setting SANDBOX does not turn another platform's default off.
  configured: () => false,
  problems: () => [],
  settings: (e, { othersConfigured }): { readonly on: true } | undefined =>
    (e.SANDBOX ?? !othersConfigured) ? { on: true } : undefined,
  secrets: () => [],
  async create(_settings, { clock, file, db }) {
    const [{ SandboxChat }, { SandboxWorkspace }] = await Promise.all([
      import('./adapter.ts'),
      import('./workspace.ts'),
    ]);
    const workspace = new SandboxWorkspace(db as unknown as Kysely<SandboxTables>, () => clock.now());
    return new SandboxChat(workspace, file.sandbox.users, () => clock.now());
  },
  async mount(router, platform) {
    const { registerSandboxRoutes } = await import('./routes.ts');
    registerSandboxRoutes(router, platform as SandboxChat);
  },
});
