// The demo fleet gpu-node-1…13 with nine deterministic faults, behind the NodeAdapter port.
export { createSimulatedAdapter, type SimulatedAdapterOptions } from './adapter.ts';
