import { z } from 'zod';
import { ROLES, SEVERITIES, STATUSES } from '../core/index.ts';

/** Shared option schemas, so `SEV2`, `sev2` and `2` mean the same in every command. */
export const severityOption = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .trim()
          .toUpperCase()
          .replace(/^(?:S|P|SEV)?-?([1-4])$/, 'SEV$1')
      : v,
  z.enum(SEVERITIES, { error: 'must be one of SEV1, SEV2, SEV3, SEV4 (SEV1 is the most severe)' }),
);

export const statusOption = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
  z.enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` }),
);

const ROLE_ALIASES: Record<string, string> = {
  ic: 'commander',
  comms: 'communications',
  cl: 'communications',
};
export const roleOption = z.preprocess(
  (v) => (typeof v === 'string' ? (ROLE_ALIASES[v.trim().toLowerCase()] ?? v.trim().toLowerCase()) : v),
  z.enum(ROLES, { error: 'must be commander (ic), communications (comms) or responder' }),
);

export const textOption = (what: string, max = 3000) =>
  z.string().trim().min(1, `the ${what} is empty`).max(max, `the ${what} is longer than ${max} characters`);

/** A workload as /workload list shows it: an id such as gpu-node-3/vllm or ml/pod-abc, or a name. */
export const workloadOption = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/:-]*$/, 'must be a workload id or name as /workload list shows it')
  .describe('Workload id or name, as /workload list shows it');

/** A runbook's name, as /runbook list shows it (kebab-case; case does not matter). */
export const runbookOption = z
  .string()
  .trim()
  .min(1, 'name a runbook')
  .max(100, 'runbook names are shorter than 100 characters')
  .describe('Runbook name, as /runbook list shows it');
