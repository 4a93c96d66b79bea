import { defineNodeAdapter } from '../adapter-module.ts';
import { sshAdapterOptions } from './options.ts';

/** `type: ssh`: bare-metal and Slurm hosts over ssh2, host keys pinned. */
export const sshModule = defineNodeAdapter({
  type: 'ssh',
  options: sshAdapterOptions,
  create: async (options, deps) => {
    const { createSshAdapter } = await import('./adapter.ts');
    return createSshAdapter(options, deps);
  },
});
