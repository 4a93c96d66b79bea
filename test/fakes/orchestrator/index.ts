// A fake orchestrator control plane (orchestratord-shaped REST API) on 127.0.0.1 for the http
// node adapter: registry state, bearer token check, fault injection and a request log.
export type { Fault, FaultRule } from './faults.ts';
export {
  type FakeOrchestrator,
  type FakeOrchestratorOptions,
  type RequestRecord,
  startFakeOrchestrator,
} from './server.ts';
export {
  DEFAULT_FLEET,
  type FakeNode,
  type FakeNodeSeed,
  type FakePool,
  type FakePoolSeed,
  type RecordStyle,
} from './state.ts';
