import { z } from 'zod';
import { httpUrl } from './labels.ts';

// Shared pieces of the wire schemas. Label and annotation values are strings on every sender.
export const labelsSchema = z.record(z.string(), z.string());
export const statusSchema = z.enum(['firing', 'resolved']);

/** Optional batch fields, spread in only when present, so exact-value tests see no `undefined` keys. */
export function optionalBatchFields(receiver: string | undefined, externalUrl: string | undefined) {
  const url = httpUrl(externalUrl);
  return { ...(receiver ? { receiver } : {}), ...(url ? { externalUrl: url } : {}) };
}
