import { NODE_NAME_PATTERN } from './port.ts';

export function isValidNodeName(node: string): boolean {
  return NODE_NAME_PATTERN.test(node);
}

// Numeric collation puts gpu-node-2 before gpu-node-10, the order people expect in a fleet.
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

export function compareNodeNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
