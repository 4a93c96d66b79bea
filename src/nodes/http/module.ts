import { defineNodeAdapter } from '../adapter-module.ts';
import { httpAdapterOptions } from './options.ts';

/** `type: http`: a control plane's node registry over REST (orchestratord and the like). */
export const httpModule = defineNodeAdapter({
  type: 'http',
  options: httpAdapterOptions,
  create: async (options, deps) => {
    const { createHttpAdapter } = await import('./adapter.ts');
    return createHttpAdapter(options, deps);
  },
});
