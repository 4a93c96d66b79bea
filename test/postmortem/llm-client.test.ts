import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedactor, isBotError } from '../../src/core/index.ts';
import { type LlmRequest, OpenAiLlmClient } from '../../src/postmortem/index.ts';
import { apiError, completion, FakeOpenAi } from '../fakes/openai/index.ts';

const KEY = 'sk-test-abcdefghijklmnopqrstuvwx';
const schema = {
  type: 'object',
  properties: { ok: { type: 'boolean' } },
  required: ['ok'],
  additionalProperties: false,
};
const request = (signal: AbortSignal = new AbortController().signal): LlmRequest => ({
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'ok?' },
  ],
  schemaName: 'probe',
  jsonSchema: schema,
  signal,
});

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isBotError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('OpenAiLlmClient (the real openai package against the fake server)', () => {
  let fake: FakeOpenAi;
  let client: OpenAiLlmClient;
  beforeAll(async () => {
    fake = await FakeOpenAi.start({ apiKey: KEY });
    client = new OpenAiLlmClient({
      apiKey: KEY,
      baseUrl: fake.url,
      model: 'qwen2.5-7b-instruct',
      timeoutMs: 1000,
      redact: createRedactor(),
    });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('sends a strict json_schema chat completion and returns the content, model and prompt tokens', async () => {
    fake.enqueue(completion({ ok: true }, { model: 'qwen2.5-7b-instruct-awq', promptTokens: 42 }));
    const res = await client.complete(request());
    expect(res).toEqual({ content: '{"ok":true}', model: 'qwen2.5-7b-instruct-awq', promptTokens: 42 });
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req!.body).toEqual({
      model: 'qwen2.5-7b-instruct',
      messages: request().messages,
      response_format: { type: 'json_schema', json_schema: { name: 'probe', schema, strict: true } },
    });
  });

  it('maps HTTP errors to bot.llm.status without echoing the key, and never retries', async () => {
    fake.enqueue(apiError(401, `Incorrect API key provided: ${KEY}.`, 'invalid_request_error'));
    const err = await codeOf(client.complete(request()));
    expect(err.code).toBe('bot.llm.status');
    expect(err.message).toMatch(/^The model server answered 401: Incorrect API key provided: \[redacted\]/);
    fake.enqueue(apiError(503, 'overloaded'));
    expect(await codeOf(client.complete(request()))).toEqual({
      code: 'bot.llm.status',
      message: 'The model server answered 503: overloaded.',
    });
    expect(fake.requests).toHaveLength(2);
  });

  it('refuses empty, refused and cut-off answers', async () => {
    fake.enqueue(completion(''));
    expect((await codeOf(client.complete(request()))).code).toBe('bot.llm.empty');
    fake.enqueue(completion('{"ok":', { finishReason: 'length' }));
    expect((await codeOf(client.complete(request()))).code).toBe('bot.llm.truncated');
    const refused = completion('x');
    (refused.body as any).choices[0].message.refusal = 'I cannot help with that.';
    fake.enqueue(refused);
    expect((await codeOf(client.complete(request()))).message).toBe(
      'The model refused: I cannot help with that.',
    );
  });

  it('times out on its own and stops on an abort', async () => {
    fake.enqueue({ ...completion({ ok: true }), delayMs: 3000 });
    expect(await codeOf(client.complete(request()))).toEqual({
      code: 'bot.llm.timeout',
      message: 'The model did not answer within 1000 ms.',
    });
    fake.enqueue({ ...completion({ ok: true }), delayMs: 3000 });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    expect((await codeOf(client.complete(request(ctl.signal)))).code).toBe('bot.llm.aborted');
  });

  it('says when the server cannot be reached', async () => {
    const gone = await FakeOpenAi.start();
    const url = gone.url;
    await gone.close();
    const c = new OpenAiLlmClient({
      apiKey: KEY,
      baseUrl: url,
      model: 'm',
      timeoutMs: 1000,
      redact: createRedactor(),
    });
    expect((await codeOf(c.complete(request()))).code).toBe('bot.llm.unreachable');
  });
});
