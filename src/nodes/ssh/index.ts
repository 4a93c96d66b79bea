// SSH node adapter: an inventory of hosts reached with ssh2, host keys pinned, commands only from
// allow-listed templates with quoted, validated arguments, connections reused under concurrency limits.
export { createSshAdapter, type SshAdapterDeps, type SshNodeAdapter } from './adapter.ts';
export { BatchDemux, buildBatch } from './batch.ts';
export { checkHostKey, type HostKeyPins, pinsFor } from './host-keys.ts';
export {
  hostsMatch,
  type KnownHostEntry,
  knownHostsName,
  parseKnownHosts,
  sshFingerprint,
} from './known-hosts.ts';
export { parseSchedulerState } from './node-state.ts';
export { type SshAdapterConfig, type SshAdapterOptions, sshAdapterOptions } from './options.ts';
export { CappedBuffer, DEFAULT_OUTPUT_CAP_BYTES, TailBuffer } from './output.ts';
export { Semaphore } from './semaphore.ts';
export { shellQuote, withSudo } from './shell-quote.ts';
export {
  compileTemplate,
  DEFAULT_SSH_COMMANDS,
  drainReason,
  isPeerHost,
  parseTemplate,
  renderTemplate,
  WORKLOAD_NAME_PATTERN,
} from './templates.ts';
export { DEFAULT_SYSTEM_WORKLOADS } from './workloads.ts';
