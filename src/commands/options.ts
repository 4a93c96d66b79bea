import { z } from 'zod';
import {
  BOT_LIMITS,
  ROLE_WORDS,
  ROLES,
  SEVERITIES,
  SEVERITY_WORDS,
  STATUS_WORDS,
  STATUSES,
  toRole,
  toSeverity,
  toStatus,
} from '../core/index.ts';

/**
 * An option whose value is one of core's words, read by core's own parser (so `lead`, `SEV 2` or
 * `Investigating` mean here what they mean everywhere). The enum behind it gives Discord its
 * choices and the usage line its `a|b|c`; a word the parser does not know fails the enum.
 */
function wordOption<const W extends readonly [string, ...string[]]>(
  words: W,
  read: (input: string) => W[number] | undefined,
  expected: string,
) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? (read(v) ?? v) : v),
    z.enum(words, { error: `must be ${expected}` }),
  );
}

/** Shared option schemas, so `SEV2`, `sev2` and `2` mean the same in every command. */
export const severityOption = wordOption(SEVERITIES, toSeverity, SEVERITY_WORDS);
export const statusOption = wordOption(STATUSES, toStatus, STATUS_WORDS);
export const roleOption = wordOption(ROLES, toRole, ROLE_WORDS);

export const textOption = (what: string, max: number = BOT_LIMITS.updateText) =>
  z.string().trim().min(1, `the ${what} is empty`).max(max, `the ${what} is longer than ${max} characters`);

/** One node, by name; the registry checks the name before any adapter sees it. */
export const nodeOption = z.string().trim().min(1).max(253).describe('Node name, e.g. gpu-node-5');

/** Node names separated by spaces or commas, as a list without repeats. */
export const nodeListOption = z
  .string()
  .trim()
  .max(4000)
  .transform((text) => [...new Set(text.split(/[\s,]+/).filter(Boolean))])
  .describe('Node names, separated by spaces or commas');

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
