import type { z } from 'zod';
import { BotError, type ErrorCode, type ErrorKind } from '../core/index.ts';
import type { PostmortemFacts } from './facts.ts';
import { type LlmClient, type LlmMessage, type LlmResponse, llmError } from './llm.ts';
import {
  CHUNK_WIRE_SCHEMA,
  chunkSummarySchema,
  MAX_SUMMARY_EVENTS,
  NARRATIVE_WIRE_SCHEMA,
  type Narrative,
  narrativeClaims,
  narrativeSchema,
  parseStructured,
} from './narrative.ts';
import {
  chunkMessages,
  entryLine,
  estimatePrompt,
  factsBlock,
  type Line,
  narrativeMessages,
  packChunks,
  RETRY_RESERVE_TOKENS,
  retryMessage,
  selectKeyLines,
  shownText,
  summaryLine,
  sumTokens,
} from './prompt.ts';
import type { Redactor } from './redact.ts';
import type { TimeFormat } from './time.ts';
import { checkClaims, type Evidence, KnownTimes } from './validate.ts';

export interface NarrateOptions {
  readonly llm: LlmClient;
  /** Per request. */
  readonly timeoutMs: number;
  /** The most tokens (estimated) any one prompt may hold. */
  readonly budgetTokens: number;
  /** Chunk summaries requested at once. */
  readonly concurrency: number;
  /** Refuse (and fall back) rather than send more chunk requests than this for one draft. */
  readonly maxChunks: number;
  readonly fmt: TimeFormat;
  readonly redact: Redactor;
  readonly signal?: AbortSignal;
}

export interface NarrateStats {
  /** Requests for the narrative itself: 1, or 2 when the first answer was rejected. */
  attempts: number;
  /** Every request, chunk summaries included. */
  requests: number;
  /** Chunk summaries requested (0 when the timeline fit the budget). */
  chunks: number;
  /** Estimated tokens of the narrative prompt (first attempt); null before it was built. */
  promptTokens: number | null;
  /** The largest estimate of any first-attempt prompt sent (chunks included); never above the budget. */
  maxPromptTokens: number;
  /** Prompt tokens as the server counted them, summed over the requests that said. */
  reportedPromptTokens: number | null;
  model: string | null;
  /** Why answers were rejected, in order. */
  rejections: string[];
}

/** A narrative could not be had; `stats` says how far it got. */
export class NarrateError extends BotError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly stats: NarrateStats,
    cause?: unknown,
    /** The model's error's own kind (an HTTP status), when it had one. */
    kind?: ErrorKind,
  ) {
    super(code, message, { ...(cause === undefined ? {} : { cause }), ...(kind ? { kind } : {}) });
  }
}

/** Share of the narrative prompt's room kept for the key entries of a long timeline. */
const KEY_SHARE = 0.3;
/** A typical summary line (the schema allows up to ~100); used to ask for fewer events per chunk. */
const SUMMARY_LINE_TOKENS = 60;
const MAX_LEVELS = 3;
const MIN_ROOM_TOKENS = 300;

/**
 * The model's part: the narrative, cited and checked. A timeline over the budget is summarised in
 * chunks first (map), repeatedly if the summaries are still too long (reduce); every answer is
 * checked against the record and asked again once with the reasons. Any failure throws
 * NarrateError: the caller falls back to the deterministic draft.
 */
export async function narrate(
  facts: PostmortemFacts,
  options: NarrateOptions,
): Promise<{ narrative: Narrative; stats: NarrateStats; evidence: Evidence }> {
  const stats: NarrateStats = {
    attempts: 0,
    requests: 0,
    chunks: 0,
    promptTokens: null,
    maxPromptTokens: 0,
    reportedPromptTokens: null,
    model: null,
    rejections: [],
  };
  const zone = options.fmt.zoneLabel;
  const times = new KnownTimes(facts.knownTimes, options.fmt);
  // One controller for the whole draft: a failed chunk stops its siblings; the caller can cancel.
  const run = new AbortController();
  const onCancel = () => run.abort(new BotError('bot.llm.aborted', 'The post-mortem draft was cancelled.'));
  if (options.signal?.aborted) onCancel();
  options.signal?.addEventListener('abort', onCancel, { once: true });

  const fail = (code: ErrorCode, message: string, cause?: unknown, kind?: ErrorKind): never => {
    throw new NarrateError(code, message, stats, cause, kind);
  };

  const call = async (
    messages: readonly LlmMessage[],
    schemaName: string,
    jsonSchema: Record<string, unknown>,
  ) => {
    const ctl = new AbortController();
    const timeout = new BotError(
      'bot.llm.timeout',
      `The model did not answer within ${options.timeoutMs} ms.`,
    );
    const timer = setTimeout(() => ctl.abort(timeout), options.timeoutMs);
    const onRun = () => ctl.abort(run.signal.reason);
    if (run.signal.aborted) onRun();
    run.signal.addEventListener('abort', onRun, { once: true });
    stats.requests++;
    try {
      const res: LlmResponse = await options.llm.complete({
        messages,
        schemaName,
        jsonSchema,
        signal: ctl.signal,
      });
      stats.model = res.model;
      if (res.promptTokens !== undefined)
        stats.reportedPromptTokens = (stats.reportedPromptTokens ?? 0) + res.promptTokens;
      return res;
    } catch (err) {
      const coded = llmError(err, options.timeoutMs, options.redact, ctl.signal);
      return fail(coded.code, coded.message, err, coded.kind);
    } finally {
      clearTimeout(timer);
      run.signal.removeEventListener('abort', onRun);
    }
  };

  /** Ask; if the answer does not parse or does not hold, ask once more with the reasons. */
  const ask = async <T>(
    what: string,
    messages: readonly LlmMessage[],
    schemaName: string,
    jsonSchema: Record<string, unknown>,
    schema: z.ZodType<T>,
    check: (value: T) => string[],
    onAttempt: () => void = () => {},
  ): Promise<T> => {
    stats.maxPromptTokens = Math.max(stats.maxPromptTokens, estimatePrompt(messages, jsonSchema));
    let reasons: string[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      onAttempt();
      const sent = attempt === 1 ? messages : [...messages, retryMessage(reasons)];
      const res = await call(sent, schemaName, jsonSchema);
      const parsed = parseStructured(res.content, schema);
      reasons = parsed.ok ? check(parsed.value) : parsed.reasons;
      if (parsed.ok && reasons.length === 0) return parsed.value;
      stats.rejections.push(...reasons.map((r) => `${what}, attempt ${attempt}: ${r}`));
    }
    const shown = reasons.slice(0, 3).join('; ');
    return fail(
      'bot.postmortem.rejected',
      `The model's ${what} was rejected twice: ${shown}${reasons.length > 3 ? ` (and ${reasons.length - 3} more)` : ''}.`,
    );
  };

  try {
    const plan = planNarrative(facts, options);
    const { block, lines } = plan;
    let messages = plan.messages;
    let shownIds: number[] = [...block.ids, ...lines.flatMap((l) => l.ids)];

    if (plan.chunked) {
      const { keyLines, summaryRoom, header, perChunk } = plan.chunked;
      let current: readonly Line[] = lines;
      let level = 0;
      do {
        level++;
        if (level > MAX_LEVELS) {
          fail(
            'bot.postmortem.budget',
            `The timeline (${lines.length} entries) does not fit a ${options.budgetTokens}-token prompt even summarised; raise the budget.`,
          );
        }
        const chunks = level === 1 ? plan.chunked.chunks : packChunks(current, perChunk);
        if (stats.chunks + chunks.length > options.maxChunks) {
          fail(
            'bot.postmortem.too_long',
            `The timeline (${lines.length} entries) would need more than ${options.maxChunks} chunk summaries at a ${options.budgetTokens}-token budget; raise the budget.`,
          );
        }
        stats.chunks += chunks.length;
        const maxEvents = Math.max(
          1,
          Math.min(MAX_SUMMARY_EVENTS, Math.floor(summaryRoom / chunks.length / SUMMARY_LINE_TOKENS)),
        );
        const summaries = await mapLimit(chunks, options.concurrency, run, async (chunk, i) => {
          const allowed = new Set(chunk.flatMap((l) => l.ids));
          const what = `summary of part ${i + 1} of ${chunks.length}${level > 1 ? ` (round ${level})` : ''}`;
          const value = await ask(
            what,
            chunkMessages(header, i + 1, chunks.length, chunk, maxEvents, zone),
            'timeline_chunk_summary',
            CHUNK_WIRE_SCHEMA,
            chunkSummarySchema,
            (v) =>
              checkClaims(
                v.events.map((claim, j) => ({ path: `events[${j}]`, claim })),
                { ids: allowed, times, zoneLabel: zone },
              ),
          );
          // More events than asked for are not wrong, only long: keep the first ones.
          return value.events.slice(0, maxEvents).map((e) => summaryLine(e.text, e.cites));
        });
        current = summaries.flat();
      } while (sumTokens(current) > summaryRoom);
      messages = narrativeMessages(
        block.text,
        { kind: 'summarised', totalEntries: lines.length, keyLines, summaryLines: current },
        zone,
      );
      shownIds = [...block.ids, ...keyLines.flatMap((l) => l.ids), ...current.flatMap((l) => l.ids)];
    }

    stats.promptTokens = estimatePrompt(messages, NARRATIVE_WIRE_SCHEMA);
    const evidence: Evidence = { ids: new Set(shownIds), times, zoneLabel: zone };
    const narrative = await ask(
      'narrative',
      messages,
      'postmortem_narrative',
      NARRATIVE_WIRE_SCHEMA,
      narrativeSchema,
      (n) => checkClaims(narrativeClaims(n), evidence),
      () => stats.attempts++,
    );
    return { narrative, stats, evidence };
  } catch (err) {
    if (err instanceof NarrateError) throw err;
    const coded = llmError(err, options.timeoutMs, options.redact);
    throw new NarrateError(coded.code, coded.message, stats, err, coded.kind);
  } finally {
    options.signal?.removeEventListener('abort', onCancel);
  }
}

export interface NarrativePlan {
  readonly block: { readonly text: string; readonly ids: readonly number[] };
  /** Every entry as a prompt line, oldest first. */
  readonly lines: readonly Line[];
  /** The narrative prompt with the whole timeline (sent as is when it fits). */
  readonly messages: LlmMessage[];
  /** Its estimate, fitting or not. */
  readonly fullTokens: number;
  /** Set when the whole timeline does not fit: what the first round of chunk summaries needs. */
  readonly chunked?: {
    readonly keyLines: readonly Line[];
    /** Tokens left for summary lines in the final prompt. */
    readonly summaryRoom: number;
    readonly header: string;
    /** Tokens of lines per chunk prompt. */
    readonly perChunk: number;
    readonly chunks: readonly (readonly Line[])[];
  };
}

/**
 * Everything before the first request, pure: the lines, the full prompt and, when it is over the
 * budget, the key entries and the first round of chunks. Throws a BotError when no plan fits.
 */
export function planNarrative(
  facts: PostmortemFacts,
  options: Pick<NarrateOptions, 'fmt' | 'redact' | 'budgetTokens'>,
): NarrativePlan {
  const { fmt, redact } = options;
  const zone = fmt.zoneLabel;
  const block = factsBlock(facts, fmt, redact);
  const lines = facts.entries.map((e) => entryLine(e, fmt, redact));
  const budget = options.budgetTokens - RETRY_RESERVE_TOKENS;
  const messages = narrativeMessages(block.text, { kind: 'full', lines }, zone);
  const fullTokens = estimatePrompt(messages, NARRATIVE_WIRE_SCHEMA);
  if (fullTokens <= budget) return { block, lines, messages, fullTokens };

  const empty = narrativeMessages(
    block.text,
    { kind: 'summarised', totalEntries: lines.length, keyLines: [], summaryLines: [] },
    zone,
  );
  const base = estimatePrompt(empty, NARRATIVE_WIRE_SCHEMA);
  const room = budget - base;
  const header = `Incident INC-${facts.incident.number} (${facts.incident.severity}): ${shownText(facts.incident.title, 300, redact)}`;
  const perChunk = budget - estimatePrompt(chunkMessages(header, 999, 999, [], 9, zone), CHUNK_WIRE_SCHEMA);
  if (room < MIN_ROOM_TOKENS || perChunk < MIN_ROOM_TOKENS) {
    throw new BotError(
      'bot.postmortem.budget',
      `The prompt budget (${options.budgetTokens} tokens) is too small: the incident's facts and instructions alone take about ${base}.`,
    );
  }
  const keyLines = selectKeyLines(
    lines,
    new Set(facts.keyEvents.map((e) => e.id)),
    new Set(facts.milestones.flatMap((m) => (m.entryId === null ? [] : [m.entryId]))),
    Math.floor(room * KEY_SHARE),
  );
  return {
    block,
    lines,
    messages,
    fullTokens,
    chunked: {
      keyLines,
      summaryRoom: room - sumTokens(keyLines),
      header,
      perChunk,
      chunks: packChunks(lines, perChunk),
    },
  };
}

/** `fn` over `items`, at most `limit` at once, results in order; the first failure aborts `run`. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  run: AbortController,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !run.signal.aborted) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        if (!run.signal.aborted) run.abort(err);
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  const settled = await Promise.allSettled(workers);
  // The first failure is the reason; the others are the aborts it caused.
  if (run.signal.aborted) throw run.signal.reason;
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return out;
}
