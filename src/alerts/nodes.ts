import { NODE_NAME_PATTERN } from '../nodes/port.ts';
import type { Labels } from './types.ts';

/** `Hostname` is dcgm-exporter's label for the node its GPU metrics come from. */
export const DEFAULT_NODE_LABEL_KEYS: readonly string[] = [
  'node',
  'instance',
  'host',
  'hostname',
  'Hostname',
];

// Only a trailing numeric port: `gpu-node-5:9100`. URLs and IPv6 keep their colons and then fail the
// name pattern, which is what should happen to them.
const PORT_SUFFIX = /:\d{1,5}$/;

/**
 * The node names an alert's labels point at, in key order, deduplicated. A value that is not a valid
 * node name after stripping a port (shell metacharacters, URLs, spaces) is ignored: these names go
 * to node adapters, some of which build command lines.
 */
export function nodesFromLabels(labels: Labels, keys: readonly string[] = DEFAULT_NODE_LABEL_KEYS): string[] {
  const out: string[] = [];
  for (const key of keys) {
    const raw = labels[key];
    if (raw === undefined) continue;
    const name = raw.trim().replace(PORT_SUFFIX, '');
    if (NODE_NAME_PATTERN.test(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Every node the alerts name, first-seen order. */
export function nodesFromAlerts(
  alerts: readonly { readonly labels: Labels }[],
  keys: readonly string[] = DEFAULT_NODE_LABEL_KEYS,
): string[] {
  const out = new Set<string>();
  for (const a of alerts) for (const n of nodesFromLabels(a.labels, keys)) out.add(n);
  return [...out];
}
