// A Kubernetes cluster behind the NodeAdapter port: nodes, pods as workloads, cordon, drain through
// the Eviction API, rollout restart. Diagnostics answer what the API knows (see diagnostics.ts).
export {
  createKubernetesAdapter,
  type KubernetesAdapterDeps,
  type KubernetesNodeAdapter,
} from './adapter.ts';
export type { KubernetesDrainPlan } from './drain.ts';
export {
  type KubernetesAdapterInput,
  type KubernetesAdapterOptions,
  kubernetesAdapterOptions,
} from './options.ts';
