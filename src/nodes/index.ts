// Nodes: the NodeAdapter port, the registry that routes a node name to its adapter, the simulated
// demo fleet, the allow-listed diagnostic commands, and parsers for what those commands print.
export * from './commands.ts';
export * from './errors.ts';
export * from './logs.ts';
export * from './node-names.ts';
export * from './parse/dmesg.ts';
export * from './parse/docker.ts';
export * from './parse/host.ts';
export * from './parse/nvidia-smi.ts';
export * from './port.ts';
export * from './registry.ts';
export * from './simulated/index.ts';
export * from './xid.ts';
