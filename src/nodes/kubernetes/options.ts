import { z } from 'zod';

/** DNS-1123 label: what Kubernetes accepts as a namespace name. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * One `type: kubernetes` entry under `adapters` in the config file. Keys are strict so a typo is an
 * error, not a silent default.
 */
export const kubernetesAdapterOptions = z
  .object({
    type: z.literal('kubernetes'),
    /** Unique across adapters; nodes show it as their adapter. */
    name: z.string().min(1).max(64).default('kubernetes'),
    /** A kubeconfig file (`~` expands). Absent: $KUBECONFIG, then ~/.kube/config, then in-cluster. */
    kubeconfig: z.string().min(1).optional(),
    /** A context of that kubeconfig; absent: its current-context. */
    context: z.string().min(1).optional(),
    /** Limit workloads (list, drain, restart, stop) to one namespace; absent: every namespace. */
    namespace: z.string().regex(NAMESPACE, 'must be a Kubernetes namespace name').optional(),
    /** How long a drain keeps retrying evictions a PodDisruptionBudget refuses, and waits for pods to go. */
    drainTimeoutSeconds: z.number().int().min(1).max(3600).default(300),
    /** Pause between eviction attempts a PodDisruptionBudget refused (kubectl drain waits 5 s). */
    evictionRetrySeconds: z.number().positive().max(300).default(5),
    /** Deadline of each API request. */
    requestTimeoutSeconds: z.number().positive().max(300).default(20),
  })
  .strict();

export type KubernetesAdapterOptions = z.infer<typeof kubernetesAdapterOptions>;
/** What a caller may pass before defaults apply (e.g. tests building options by hand). */
export type KubernetesAdapterInput = z.input<typeof kubernetesAdapterOptions>;
