import type { Logger } from 'pino';
import type { Clock, Incident } from '../core/index.ts';
import { describeError, extendRedactor } from '../core/index.ts';
import type { Store, StoredPostmortem } from '../store/port.ts';
import { buildFacts, type PostmortemFacts } from './facts.ts';
import { type LlmClient, OpenAiLlmClient } from './llm.ts';
import { renderMarkdown } from './markdown.ts';
import { NarrateError, type NarrateStats, narrate } from './narrate.ts';
import type { Narrative } from './narrative.ts';
import { CHARS_PER_TOKEN } from './prompt.ts';
import { compilePiiPatterns, type Redactor } from './redact.ts';
import { type TimeFormat, timeFormat } from './time.ts';

export interface PostmortemOptions {
  /** The model. Absent (no API key): every draft is deterministic, its narrative left as questions. */
  readonly llm?: LlmClient;
  /** Recorded as the draft's model when the server does not name one. */
  readonly model?: string;
  /** Per model request. */
  readonly timeoutMs: number;
  /** The most tokens (estimated, characters / 4) any one prompt may hold; a longer timeline is summarised in chunks. */
  readonly promptBudgetTokens: number;
  /** Private incidents get the deterministic draft: nothing of theirs is sent to the model. */
  readonly excludePrivate: boolean;
  /** Regex sources (or `/source/flags`) for PII to blank out of prompts, e.g. emails. */
  readonly piiPatterns: readonly string[];
  readonly displayTimeZone: string;
  /** The bot's redactor (built-in rules and the configured secrets); the PII patterns are added to it. */
  readonly redact: Redactor;
  /** Chunk summaries requested at once (default 4). */
  readonly chunkConcurrency?: number;
  /** At most this many chunk requests per draft, else the deterministic draft (default 64). */
  readonly maxChunks?: number;
}

export interface PostmortemDraft {
  /** As stored (version bumped on every draft). */
  readonly postmortem: StoredPostmortem;
  /** Why the deterministic draft was used; absent when the narrative came from the model. */
  readonly fallbackReason?: string;
  /** `bot.postmortem.no_llm`, `bot.postmortem.private`, `bot.llm.timeout`, `bot.llm.status`, `bot.postmortem.rejected`, … */
  readonly fallbackCode?: string;
  /** Narrative requests (0 without a model, 2 when the first answer was rejected). */
  readonly attempts: number;
  /** Every model request, chunk summaries included. */
  readonly requests: number;
  readonly chunks: number;
  /** Estimated tokens (characters / 4) of the narrative prompt; null when none was built. */
  readonly promptTokens: number | null;
  /** The largest estimated prompt sent (chunks included), for comparing with the budget. */
  readonly maxPromptTokens: number;
  readonly promptBudgetTokens: number;
  /** As the server counted them, summed over requests; null when it did not say. */
  readonly reportedPromptTokens: number | null;
  /** Why answers were rejected, in order (also when the second attempt was accepted). */
  readonly rejections: readonly string[];
}

const EMPTY_STATS: NarrateStats = {
  attempts: 0,
  requests: 0,
  chunks: 0,
  promptTokens: null,
  maxPromptTokens: 0,
  reportedPromptTokens: null,
  model: null,
  rejections: [],
};

/**
 * Drafts an incident's post-mortem and stores it. The deterministic part (header, timeline,
 * durations, actions, people) always comes from the record; the narrative comes from the model
 * when one is configured, the incident may be shared with it, and its answer holds up against the
 * record. Otherwise the narrative is left as questions and the result says why. Never throws for
 * a model failure; only the store's errors propagate.
 */
export class PostmortemService {
  private readonly redact: Redactor;
  private readonly fmt: TimeFormat;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: PostmortemOptions,
  ) {
    // Fail at start-up on a bad pattern or zone, not at the first resolve.
    this.redact = extendRedactor(options.redact, ...compilePiiPatterns(options.piiPatterns));
    this.fmt = timeFormat(options.displayTimeZone);
  }

  /** Whether drafts can have a model-written narrative at all. */
  get hasModel(): boolean {
    return this.options.llm !== undefined;
  }

  async draft(incident: Incident, opts: { readonly signal?: AbortSignal } = {}): Promise<PostmortemDraft> {
    const current = (await this.store.getIncident(incident.id)) ?? incident;
    const facts = await this.facts(current);

    let narrative: Narrative | null = null;
    let stats = EMPTY_STATS;
    let fallback: { code: string; reason: string } | undefined;
    if (!this.options.llm) {
      fallback = {
        code: 'bot.postmortem.no_llm',
        reason: 'No model is configured (no API key).',
      };
    } else if (current.private && this.options.excludePrivate) {
      fallback = {
        code: 'bot.postmortem.private',
        reason: 'The incident is private: nothing of it was sent to the model (excludePrivate).',
      };
    } else {
      try {
        const result = await narrate(facts, {
          llm: this.options.llm,
          timeoutMs: this.options.timeoutMs,
          budgetTokens: this.options.promptBudgetTokens,
          concurrency: this.options.chunkConcurrency ?? 4,
          maxChunks: this.options.maxChunks ?? 64,
          fmt: this.fmt,
          redact: this.redact,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        narrative = result.narrative;
        stats = result.stats;
      } catch (err) {
        if (!(err instanceof NarrateError)) throw err;
        stats = err.stats;
        // Posted in the channel and kept in the draft: a server's error may echo what it was sent.
        fallback = {
          code: err.code,
          reason: this.redact(`${describeError(err)} The deterministic draft was used.`),
        };
        // A bug, not the model's doing: its cause is an error of the bot's own, not a prompt or an
        // answer, so it is logged whole.
        if (err.kind === 'internal') {
          this.logger.error({ err: err.cause, incident: current.id }, 'post-mortem narrative hit a bug');
        }
        // The reason only: prompts and answers may hold incident text and are never logged.
        this.logger.warn(
          {
            incident: current.id,
            code: err.code,
            requests: stats.requests,
            rejections: stats.rejections.length,
          },
          'post-mortem narrative failed; using the deterministic draft',
        );
      }
    }

    const model = narrative ? (stats.model ?? this.options.model ?? null) : null;
    const now = this.clock.now();
    const markdown = renderMarkdown({
      facts,
      narrative,
      fmt: this.fmt,
      redact: this.redact,
      generatedAt: now,
      model,
      reason: fallback?.reason ?? null,
    });
    const postmortem = await this.store.putPostmortem({
      incidentId: current.id,
      markdown,
      source: narrative ? 'llm' : 'deterministic',
      model,
      note: this.note(stats, fallback?.reason),
      promptTokens: stats.promptTokens,
      createdAt: now,
    });
    this.logger.info(
      {
        incident: current.id,
        source: postmortem.source,
        version: postmortem.version,
        requests: stats.requests,
        promptTokens: stats.promptTokens,
      },
      'post-mortem drafted',
    );
    return {
      postmortem,
      ...(fallback ? { fallbackReason: fallback.reason, fallbackCode: fallback.code } : {}),
      attempts: stats.attempts,
      requests: stats.requests,
      chunks: stats.chunks,
      promptTokens: stats.promptTokens,
      maxPromptTokens: stats.maxPromptTokens,
      promptBudgetTokens: this.options.promptBudgetTokens,
      reportedPromptTokens: stats.reportedPromptTokens,
      rejections: stats.rejections,
    };
  }

  /** The stored draft, if any. */
  async latest(incidentId: string): Promise<StoredPostmortem | undefined> {
    return this.store.getPostmortem(incidentId);
  }

  private async facts(incident: Incident): Promise<PostmortemFacts> {
    // One at a time: on SQLite the store has one connection anyway.
    const timeline = await this.store.listTimeline(incident.id);
    const actions = await this.store.listActions(incident.id);
    const roles = await this.store.listRoles(incident.id);
    const alerts = await this.store.listIncidentAlerts(incident.id);
    return buildFacts({ incident, timeline, actions, roles, alerts, now: this.clock.now() });
  }

  private note(stats: NarrateStats, reason: string | undefined): string {
    const parts: string[] = [];
    if (reason) parts.push(reason);
    if (stats.promptTokens !== null) {
      parts.push(
        `Prompt ≈ ${stats.promptTokens} tokens (estimate: characters / ${CHARS_PER_TOKEN}) of a ${this.options.promptBudgetTokens}-token budget.`,
      );
    }
    if (stats.chunks) parts.push(`The timeline was summarised in ${stats.chunks} chunks first.`);
    if (stats.attempts > 1 && !reason) parts.push('The first answer was rejected and asked again once.');
    return parts.join(' ');
  }
}

/** What the composition root passes (from the environment and the YAML file). */
export interface PostmortemConfig {
  /** OPENAI_API_KEY; absent: deterministic drafts. */
  readonly apiKey?: string;
  /** OPENAI_BASE_URL; default https://api.openai.com/v1. */
  readonly baseUrl?: string;
  /** LLM_MODEL. */
  readonly model: string;
  /** LLM_TIMEOUT_SECONDS × 1000. */
  readonly timeoutMs: number;
  readonly promptBudgetTokens?: number;
  readonly excludePrivate?: boolean;
  readonly piiPatterns?: readonly string[];
  readonly displayTimeZone: string;
}

export const DEFAULT_PROMPT_BUDGET_TOKENS = 12_000;

/** The service with the OpenAI-compatible client when a key is configured. */
export function createPostmortemService(
  deps: { readonly store: Store; readonly clock: Clock; readonly logger: Logger; readonly redact: Redactor },
  config: PostmortemConfig,
): PostmortemService {
  const llm = config.apiKey
    ? new OpenAiLlmClient({
        apiKey: config.apiKey,
        redact: deps.redact,
        ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
        model: config.model,
        timeoutMs: config.timeoutMs,
      })
    : undefined;
  return new PostmortemService(deps.store, deps.clock, deps.logger, {
    ...(llm ? { llm } : {}),
    model: config.model,
    timeoutMs: config.timeoutMs,
    promptBudgetTokens: config.promptBudgetTokens ?? DEFAULT_PROMPT_BUDGET_TOKENS,
    excludePrivate: config.excludePrivate ?? true,
    piiPatterns: config.piiPatterns ?? [],
    displayTimeZone: config.displayTimeZone,
    redact: deps.redact,
  });
}
