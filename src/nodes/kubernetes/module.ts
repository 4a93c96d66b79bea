import { defineNodeAdapter } from '../adapter-module.ts';
import { kubernetesAdapterOptions } from './options.ts';

/** `type: kubernetes`: a cluster through @kubernetes/client-node (loaded only when configured: it is large). */
export const kubernetesModule = defineNodeAdapter({
  type: 'kubernetes',
  options: kubernetesAdapterOptions,
  create: async (options, deps) => {
    const { createKubernetesAdapter } = await import('./adapter.ts');
    return createKubernetesAdapter(options, deps);
  },
});
