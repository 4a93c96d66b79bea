import type OpenAI from 'openai';
import { BotError, graphemeHead, kindOfHttpStatus, type Redactor } from '../core/index.ts';

export interface LlmMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface LlmRequest {
  readonly messages: readonly LlmMessage[];
  /** The `response_format` schema's name (letters, digits, `_`, `-`). */
  readonly schemaName: string;
  readonly jsonSchema: Record<string, unknown>;
  readonly signal: AbortSignal;
}

export interface LlmResponse {
  /** The raw answer; the caller parses and validates it. */
  readonly content: string;
  /** As the server counted them, when it says. */
  readonly promptTokens?: number;
  readonly model: string;
}

/**
 * The port: one structured completion. Throws a BotError (`bot.llm.*`) for a timeout, an HTTP
 * error, an unreachable server or an empty/refused/cut-off answer.
 */
export interface LlmClient {
  complete(req: LlmRequest): Promise<LlmResponse>;
}

export interface OpenAiLlmOptions {
  readonly apiKey: string;
  /** Any OpenAI-compatible server: `https://api.openai.com/v1`, `https://<res>.openai.azure.com/openai/v1`, `http://vllm:8000/v1`, `http://ollama:11434/v1`. */
  readonly baseUrl?: string;
  readonly model: string;
  readonly timeoutMs: number;
  /** Sent only when set. */
  readonly temperature?: number;
  /** Extra headers some gateways want (e.g. Azure's `api-key`). */
  readonly headers?: Record<string, string>;
  /** For error messages: servers echo what they were sent, the key among it. */
  readonly redact: Redactor;
}

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The `openai` module once a client has loaded it; its error classes are only needed after that. */
let sdk: typeof import('openai') | undefined;

/**
 * The LlmClient on the `openai` package's Chat Completions with `response_format: json_schema`
 * (strict), the request shape OpenAI, Azure OpenAI (v1 API), vLLM and Ollama all accept.
 * No retries: the post-mortem service decides what a failure means (it falls back, never waits).
 */
export class OpenAiLlmClient implements LlmClient {
  private client: OpenAI | undefined;

  constructor(private readonly options: OpenAiLlmOptions) {}

  /** The package is loaded on the first request: a bot that never drafts never pays its memory. */
  private async openai(): Promise<OpenAI> {
    if (this.client) return this.client;
    sdk ??= await import('openai');
    this.client = new sdk.default({
      apiKey: this.options.apiKey,
      // Passed explicitly: the package would otherwise read OPENAI_BASE_URL from the environment.
      baseURL: this.options.baseUrl ?? DEFAULT_BASE_URL,
      timeout: this.options.timeoutMs,
      maxRetries: 0,
      ...(this.options.headers ? { defaultHeaders: this.options.headers } : {}),
    });
    return this.client;
  }

  get model(): string {
    return this.options.model;
  }

  async complete(req: LlmRequest): Promise<LlmResponse> {
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      const client = await this.openai();
      completion = await client.chat.completions.create(
        {
          model: this.options.model,
          messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
          // Only when configured: some models (OpenAI's reasoning models) refuse any but the default.
          ...(this.options.temperature === undefined ? {} : { temperature: this.options.temperature }),
          response_format: {
            type: 'json_schema',
            json_schema: { name: req.schemaName, schema: req.jsonSchema, strict: true },
          },
        },
        { signal: req.signal, timeout: this.options.timeoutMs },
      );
    } catch (err) {
      throw llmError(err, this.options.timeoutMs, this.options.redact, req.signal);
    }
    const choice = completion.choices?.[0];
    const content = choice?.message?.content;
    if (choice?.message?.refusal) {
      throw new BotError(
        'bot.llm.refused',
        `The model refused: ${shown(choice.message.refusal, this.options.redact)}`,
      );
    }
    if (choice?.finish_reason === 'length') {
      throw new BotError('bot.llm.truncated', 'The model’s answer was cut off at its token limit.');
    }
    if (!content) throw new BotError('bot.llm.empty', 'The model answered with no content.');
    return {
      content,
      model: completion.model || this.options.model,
      ...(typeof completion.usage?.prompt_tokens === 'number'
        ? { promptTokens: completion.usage.prompt_tokens }
        : {}),
    };
  }
}

/**
 * The openai package's errors as coded ones; the message is what a person reads in the channel and
 * the draft's note, so whatever the server or the network said passes through `redact` (a server
 * that echoed the key it was sent put it there). Cut after redacting less than it shows, so a
 * secret cut at the edge is still recognised whole.
 */
export function llmError(err: unknown, timeoutMs: number, redact: Redactor, signal?: AbortSignal): BotError {
  if (err instanceof BotError) return err;
  if (signal?.aborted && signal.reason instanceof BotError) return signal.reason;
  if (!sdk) return failed(err);
  if (err instanceof sdk.APIConnectionTimeoutError) {
    return new BotError('bot.llm.timeout', `The model did not answer within ${timeoutMs} ms.`, {
      cause: err,
    });
  }
  if (err instanceof sdk.APIUserAbortError) {
    return new BotError('bot.llm.aborted', 'The request to the model was cancelled.', { cause: err });
  }
  if (err instanceof sdk.APIConnectionError) {
    const cause = err.cause instanceof Error ? `: ${shown(err.cause.message, redact)}` : '';
    return new BotError('bot.llm.unreachable', `The model server could not be reached${cause}.`, {
      cause: err,
    });
  }
  if (err instanceof sdk.APIError) {
    // Servers echo bits of the key in 401s ("Incorrect API key provided: sk-…").
    const detail = shown(err.message.replace(/^\d{3}\s*/, ''), redact);
    return new BotError(
      'bot.llm.status',
      `The model server answered ${err.status}${detail ? `: ${detail}` : ''}.`,
      {
        cause: err,
        ...(typeof err.status === 'number'
          ? { kind: kindOfHttpStatus(err.status), platformCode: err.status }
          : {}),
      },
    );
  }
  return failed(err);
}

/** At most 200 characters of `text`, redacted; cut to a margin first so a long error costs little. */
function shown(text: string, redact: Redactor): string {
  return graphemeHead(redact(graphemeHead(text, 400)), 200);
}

/**
 * Neither the SDK's error nor the network's: a bug on the bot's side (internal). Its words stay in
 * the log (the post-mortem service logs the cause of an internal failure); the channel and the
 * draft's note say only that it happened.
 */
function failed(err: unknown): BotError {
  return new BotError(
    'bot.llm.failed',
    'The model request failed on the bot’s side; the bot’s log has the details.',
    { cause: err },
  );
}
