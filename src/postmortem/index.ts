// Post-mortem drafts: facts from the record, a cited narrative from an OpenAI-compatible model
// (validated, redacted, chunked when long), and a deterministic fallback that never waits on it.
export { type ActionFact, buildFacts, type Milestone, type PostmortemFacts } from './facts.ts';
export {
  type LlmClient,
  type LlmMessage,
  type LlmRequest,
  type LlmResponse,
  OpenAiLlmClient,
  type OpenAiLlmOptions,
} from './llm.ts';
export { renderMarkdown } from './markdown.ts';
export { type Narrative, narrativeSchema } from './narrative.ts';
export { estimatePrompt, estimateTokens } from './prompt.ts';
export { compilePiiPatterns, piiPatternProblem, type Redactor } from './redact.ts';
export {
  createPostmortemService,
  DEFAULT_PROMPT_BUDGET_TOKENS,
  type PostmortemConfig,
  type PostmortemDraft,
  type PostmortemOptions,
  PostmortemService,
} from './service.ts';
