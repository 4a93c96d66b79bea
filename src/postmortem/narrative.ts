import { z } from 'zod';

/**
 * What the model writes, and nothing else: prose with citations. Times, durations, actions and
 * people are rendered from the record, so the schema has no place for them.
 */
export const MAX_CLAIM_CHARS = 600;
export const MAX_SUMMARY_EVENT_CHARS = 300;
export const MAX_SUMMARY_EVENTS = 8;

const cites = z
  .array(z.number().int().positive())
  .min(1)
  .max(12)
  .describe('Ids of the timeline entries that support this text (the numbers after #).');

function claim(maxChars: number, description: string) {
  return z.object({ text: z.string().trim().min(1).max(maxChars).describe(description), cites }).strict();
}

export const claimSchema = claim(MAX_CLAIM_CHARS, 'One or a few sentences, plain text, no Markdown.');
export type Claim = z.infer<typeof claimSchema>;

const items = (max: number, description: string) => z.array(claimSchema).max(max).describe(description);

export const narrativeSchema = z
  .object({
    summary: claimSchema.describe('What happened, from detection to resolution, in two to four sentences.'),
    impact: claimSchema.describe('Who or what was affected and how (users, jobs, nodes, capacity).'),
    rootCause: claimSchema.describe(
      'The cause the record supports; if the record does not establish it, say so and what evidence is missing.',
    ),
    whatWentWell: items(6, 'Response, tools and decisions that helped.'),
    whatWentWrong: items(6, 'Gaps, delays, failed attempts.'),
    lessonsLearned: items(6, 'What the team learned.'),
    prevention: items(
      8,
      'Concrete follow-up actions that would prevent a recurrence or shorten the next one.',
    ),
  })
  .strict();
export type Narrative = z.infer<typeof narrativeSchema>;

/** A chunk of a long timeline, summarised: the final prompt uses these instead of the raw lines. */
export const chunkSummarySchema = z
  .object({
    events: z
      .array(
        claim(
          MAX_SUMMARY_EVENT_CHARS,
          'One event or finding in one sentence: what happened or was learned, not when.',
        ),
      )
      .min(1)
      .max(MAX_SUMMARY_EVENTS)
      .describe('The events of this part that matter for the post-mortem, in order.'),
  })
  .strict();
export type ChunkSummary = z.infer<typeof chunkSummarySchema>;

// Keywords that OpenAI's strict structured outputs reject or ignore; zod still enforces them on the
// answer. minItems/maxItems stay: they are accepted by OpenAI, vLLM (xgrammar/outlines) and Ollama.
const UNSUPPORTED = new Set([
  '$schema',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);

function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (!UNSUPPORTED.has(k)) out[k] = strip(v);
    return out;
  }
  return node;
}

/** The JSON schema sent as `response_format` (strict: every property required, no extras). */
export function wireSchema(schema: z.ZodType): Record<string, unknown> {
  return strip(z.toJSONSchema(schema, { io: 'output' })) as Record<string, unknown>;
}

export const NARRATIVE_WIRE_SCHEMA = wireSchema(narrativeSchema);
export const CHUNK_WIRE_SCHEMA = wireSchema(chunkSummarySchema);

export type Parsed<T> = { ok: true; value: T } | { ok: false; reasons: string[] };

/** JSON + zod. Some servers wrap JSON in a Markdown fence despite response_format; that is forgiven. */
export function parseStructured<T>(content: string, schema: z.ZodType<T>): Parsed<T> {
  const text = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reasons: [`the answer is not JSON (${(err as Error).message})`] };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    reasons: result.error.issues
      .slice(0, 10)
      .map((i) => `${i.path.length ? i.path.join('.') : '(answer)'}: ${i.message}`),
  };
}

/** Every claim of a narrative with where it sits, for validation and messages. */
export function narrativeClaims(n: Narrative): { path: string; claim: Claim }[] {
  return [
    { path: 'summary', claim: n.summary },
    { path: 'impact', claim: n.impact },
    { path: 'rootCause', claim: n.rootCause },
    ...n.whatWentWell.map((claim, i) => ({ path: `whatWentWell[${i}]`, claim })),
    ...n.whatWentWrong.map((claim, i) => ({ path: `whatWentWrong[${i}]`, claim })),
    ...n.lessonsLearned.map((claim, i) => ({ path: `lessonsLearned[${i}]`, claim })),
    ...n.prevention.map((claim, i) => ({ path: `prevention[${i}]`, claim })),
  ];
}
