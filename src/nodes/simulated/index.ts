// The demo fleet gpu-node-1…8 with three deterministic faults, behind the NodeAdapter port.
export { createSimulatedAdapter, type SimulatedAdapterOptions } from './adapter.ts';
