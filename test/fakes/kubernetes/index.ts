/**
 * A wire-level fake Kubernetes API server for tests: plain node:http and JSON on 127.0.0.1, which
 * the real @kubernetes/client-node talks to. Nothing is patched.
 *
 * ```ts
 * const fake = await startFakeKubernetes();     // the default cluster (seed.ts), or
 * // startFakeKubernetes({ nodes, pods, deployments, replicaSets, statefulSets, daemonSets, pdbs,
 * //   events, nodeMetrics }) for exactly those objects; also { metricsServer, token, user, now,
 * //   controllers (true: deleted pods are replaced), terminationDelayMs (0) }
 * const kc = fake.kubeConfig();                 // server fake.url, bearer fake.token, skipTLSVerify
 * fake.kubeconfigYaml();                        // the same as a file, contexts `fake` and `other`
 * ```
 *
 * Served: nodes (list/get/patch), pods (list with fieldSelector/labelSelector, get, delete), the
 * eviction subresource (201; 429 from a PodDisruptionBudget's `blockFirst`; 500 when two PDBs
 * select the pod), events (list, fieldSelector), apps/v1 deployments/replicasets/statefulsets/
 * daemonsets (list/get/patch), policy/v1 poddisruptionbudgets (list), metrics.k8s.io NodeMetrics,
 * and pod logs (`…/pods/{pod}/log`, text/plain, `container`, `tailLines`, `previous`, with the
 * kubelet's 400s for a waiting container or a missing container name; resource `pods/log`). A
 * container's log comes from its spec's `log` / `previousLog`, or `fake.setLog(ns, pod, c, lines)`.
 * PATCH honours Content-Type: merge and strategic merge patch (as merge), JSON Patch (an array,
 * else 400 like the real server), anything else 415.
 *
 * Faults and RBAC: `fake.failNext({ method?, path?, status?, message?, delayMs?, hang? }, times)`,
 * `fake.forbid({ verb, resource, namespace? })` → 403 with the API server's wording,
 * `fake.clearFaults()`. A wrong bearer token gets 401.
 *
 * Inspection: `requests({ method?, path? })` → `{ method, path, query, contentType, body, status,
 * authenticated }`, `clearRequests()`, `node(name)`, `pod(ns, name)`, `podsOn(node)`,
 * `workload('deployments' | …, ns, name)` (copies), and `fake.cluster` for direct changes.
 */
export {
  buildApps,
  buildNode,
  buildNodeEvent,
  buildPod,
  type ContainerSpec,
  type EventSpec,
  type Json,
  type NodeSpec,
  type OwnerSpec,
  type PdbSpec,
  type PodSpec,
  type WorkloadSpec,
} from './builders.ts';
export type { AppsKind, FakeCluster } from './cluster.ts';
export {
  FakeKubernetes,
  type FakeKubernetesOptions,
  type Fault,
  type ForbidRule,
  type RequestRecord,
  startFakeKubernetes,
} from './fake-kubernetes.ts';
export { type ClusterSeed, DEFAULT_NOW, DEFAULT_SEED } from './seed.ts';
