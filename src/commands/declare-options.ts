import { z } from 'zod';
import { BOT_LIMITS, type Severity } from '../core/index.ts';
import { severityOption } from './options.ts';

/** `/incident declare`'s limits, which Slack's declare form also sets on its fields. */
export const TITLE_MAX = BOT_LIMITS.title;
export const DESCRIPTION_MAX = BOT_LIMITS.description;
export const DEFAULT_SEVERITY: Severity = 'SEV3';

/**
 * The options of `/incident declare`: what its text, Discord's typed options and Slack's declare
 * form are all validated by, so a bad title gets the same answer wherever it was typed.
 */
export const declareOptions = z.object({
  title: z
    .string()
    .trim()
    .min(1, 'the title is empty')
    .max(TITLE_MAX, `the title is longer than ${TITLE_MAX} characters`)
    .describe('Short title of what is wrong'),
  severity: severityOption
    .default(DEFAULT_SEVERITY)
    .describe('SEV1 (total outage) … SEV4 (minor); default SEV3'),
  description: z
    .string()
    .trim()
    .max(DESCRIPTION_MAX, `the description is longer than ${DESCRIPTION_MAX} characters`)
    .default('')
    .describe('What is known so far'),
  private: z.boolean().default(false).describe('Private channel, kept out of the announcement channel'),
});

export type DeclareOptions = z.infer<typeof declareOptions>;
