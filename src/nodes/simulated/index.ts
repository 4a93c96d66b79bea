// The demo fleet gpu-node-1…8 with four deterministic faults, behind the NodeAdapter port.
export { createSimulatedAdapter, type SimulatedAdapterOptions } from './adapter.ts';
