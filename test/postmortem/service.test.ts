import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/core/index.ts';
import { createPostmortemService, estimatePrompt } from '../../src/postmortem/index.ts';
import { apiError, completion, type RecordedRequest } from '../fakes/openai/index.ts';
import { alice } from '../incidents/harness.ts';
import {
  API_KEY,
  EMAIL,
  goodNarrative,
  SLACK_TOKEN,
  scenario,
  shownIds,
  URL_PASSWORD,
  userText,
  withModel,
} from './scenario.ts';

type Setup = Awaited<ReturnType<typeof withModel>>;
let current: Setup | undefined;
async function setup(...args: Parameters<typeof withModel>): Promise<Setup> {
  current = await withModel(...args);
  return current;
}
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const answer = (req: RecordedRequest) => completion(goodNarrative(shownIds(req)));
const headings = (md: string) => md.split('\n').filter((l) => l.startsWith('#'));

describe('post-mortem drafts with a model (the real openai client against a fake server)', () => {
  it('renders the template: header, timeline from the record, cited narrative, actions, sources', async () => {
    const s = await setup();
    s.fake.enqueue(answer);
    const result = await s.service.draft(s.incident);
    expect(result.fallbackReason).toBeUndefined();
    expect(result).toMatchObject({ attempts: 1, requests: 1, chunks: 0 });
    const { postmortem } = result;
    expect(postmortem).toMatchObject({ source: 'llm', model: 'fake-model', version: 1 });
    expect(postmortem.promptTokens).toBeGreaterThan(100);
    expect(postmortem.note).toContain(`Prompt ≈ ${postmortem.promptTokens} tokens (estimate`);
    expect(await s.service.latest(s.incident.id)).toEqual(postmortem);

    const md = postmortem.markdown;
    expect(headings(md)).toEqual([
      '# Post-mortem INC-1: gpu-node-5 fell off the bus',
      '## Summary',
      '## Timeline',
      '### Key events',
      '## Root cause',
      '## Mitigation actions',
      '## Prevention',
      '## Lessons learned',
      '## What went well',
      '## What went wrong',
      '## Sources',
    ]);
    const id = (kind: string, pred: (t: string) => boolean = () => true) =>
      s.timeline.find((e) => e.kind === kind && pred(e.text))!.id;
    expect(md).toContain('- **Date:** 2026-11-22');
    expect(md).toContain('- **Duration:** 40 min (declared 03:00 → resolved 03:40 UTC)');
    expect(md).toContain('- **Severity:** SEV2 (Major degradation)');
    expect(md).toMatch(/- \*\*Impact:\*\* The qwen2-72b training job stalled .* \[#\d+\]/);
    expect(md).toContain('- **People:** Alice (commander), Bob (responder)');
    expect(md).toContain(`| 03:00 | Incident declared | [#${id('declared')}] |`);
    expect(md).toContain(`| 03:01 | Acknowledged | [#${id('status')}] |`);
    expect(md).toContain(`| 03:07 | Mitigation started | [#${id('action_approved')}] |`);
    expect(md).toContain(
      `| 03:20 | Mitigated (service restored) | [#${id('status', (t) => t.includes('→ mitigated'))}] |`,
    );
    expect(md).toContain(`| 03:40 | Resolved | [#${id('status', (t) => t.includes('→ resolved'))}] |`);
    expect(md).toContain('Time to acknowledge 1 min · to mitigate 20 min · to resolve 40 min');
    expect(md).toMatch(
      /1\. \*\*drain gpu-node-5\*\*: succeeded; requested by Alice at 03:06, approved by Bob at 03:07, ran at 03:07\./,
    );
    expect(md).toContain('- [ ] Alert on Xid 79 directly and drain automatically.');
    expect(md).toContain(`- 03:03 Bob: nvidia-smi on gpu-node-5 lists 7 GPUs`);

    // Every citation in the text is listed under Sources, and each source is a real entry.
    const [body, sources] = md.split('## Sources');
    const cited = new Set([...body!.matchAll(/\[#(\d+)\]/g)].map((m) => Number(m[1])));
    const listed = [...sources!.matchAll(/^- \[#(\d+)\] (\S+ \S+) UTC, (\w+): /gm)];
    expect(new Set(listed.map((m) => Number(m[1])))).toEqual(cited);
    for (const [, n, at, kind] of listed) {
      const entry = s.timeline.find((e) => e.id === Number(n))!;
      expect(entry.kind).toBe(kind);
      expect(entry.at.toISOString().slice(0, 16).replace('T', ' ')).toBe(at);
    }
  });

  it('sends one strict json_schema request with the rules, the facts and the timeline lines', async () => {
    const s = await setup();
    s.fake.enqueue(answer);
    await s.service.draft(s.incident);
    const [req] = s.fake.completions;
    expect(req!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req!.body).toMatchObject({
      model: 'fake-model',
      response_format: { type: 'json_schema', json_schema: { name: 'postmortem_narrative', strict: true } },
    });
    const schema = req!.body.response_format.json_schema.schema;
    expect(schema.required).toEqual([
      'summary',
      'impact',
      'rootCause',
      'whatWentWell',
      'whatWentWrong',
      'lessonsLearned',
      'prevention',
    ]);
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.stringify(schema)).not.toMatch(/minLength|maxLength|\$schema/);
    const [system, user] = req!.body.messages;
    expect(system.role).toBe('system');
    expect(system.content).toContain('Do not write clock times');
    const declared = s.timeline.find((e) => e.kind === 'declared')!;
    expect(user.content).toContain(
      `#${declared.id} 2026-11-22T03:00Z declared (key) Alice: Declared SEV2: gpu-node-5 fell off the bus`,
    );
    expect(user.content).toContain('- Incident declared: 2026-11-22T03:00Z');
    expect(user.content).toMatch(/- drain gpu-node-5: succeeded \(requested by Alice, decided by Bob\)/);
  });

  it('rejects an invented time and a made-up entry, asks again once with the reasons, accepts the fix', async () => {
    const s = await setup();
    s.fake.enqueue((req) => {
      const bad = goodNarrative(shownIds(req));
      bad.rootCause = { text: 'At 04:17 the GPU overheated.', cites: [9999] };
      return completion(bad);
    }, answer);
    const result = await s.service.draft(s.incident);
    expect(result).toMatchObject({ attempts: 2, requests: 2 });
    expect(result.fallbackReason).toBeUndefined();
    expect(result.postmortem.source).toBe('llm');
    expect(result.rejections).toEqual([
      'narrative, attempt 1: rootCause: cites #9999, which is not an entry you were given',
      'narrative, attempt 1: rootCause: mentions the time "04:17", which is not the time of any entry or milestone (UTC); leave times out and cite the entry instead',
    ]);
    const [first, second] = s.fake.completions;
    expect(second!.body.messages).toHaveLength(3);
    expect(second!.body.messages.slice(0, 2)).toEqual(first!.body.messages);
    const retry = second!.body.messages[2];
    expect(retry.role).toBe('user');
    expect(retry.content).toContain('Your answer was rejected');
    expect(retry.content).toContain('cites #9999');
    expect(retry.content).toContain('"04:17"');
    expect(result.postmortem.markdown).not.toContain('04:17');
  });

  it('accepts a time that is in the record', async () => {
    const s = await setup();
    s.fake.enqueue((req) => {
      const n = goodNarrative(shownIds(req));
      n.summary = { ...n.summary, text: 'The incident was declared at 03:00 UTC (2026-11-22T03:00Z).' };
      return completion(n);
    });
    const result = await s.service.draft(s.incident);
    expect(result).toMatchObject({ attempts: 1, rejections: [] });
    expect(result.postmortem.markdown).toContain('declared at 03:00 UTC');
  });

  it('falls back to the deterministic draft after two bad answers, saying why', async () => {
    const s = await setup();
    s.fake.enqueue(completion('not json at all'), (req) => {
      const bad = goodNarrative(shownIds(req));
      bad.summary = { text: 'Resolved at 05:55.', cites: [1] };
      return completion(bad);
    });
    const result = await s.service.draft(s.incident);
    expect(result.fallbackCode).toBe('bot.postmortem.rejected');
    expect(result.fallbackReason).toMatch(
      /^The model's narrative was rejected twice: summary: mentions the time "05:55".*The deterministic draft was used\.$/,
    );
    expect(result).toMatchObject({ attempts: 2, requests: 2 });
    expect(result.rejections[0]).toMatch(/^narrative, attempt 1: the answer is not JSON/);
    expect(result.postmortem).toMatchObject({ source: 'deterministic', model: null });
    expect(result.postmortem.note).toContain('rejected twice');
    expect(result.postmortem.markdown).toContain(
      '_What was the root cause, and what contributed to it? (timeline: #',
    );
  });

  it('an answer that fails the schema is asked again too', async () => {
    const s = await setup();
    s.fake.enqueue(completion({ summary: { text: 'x', cites: [] } }), answer);
    const result = await s.service.draft(s.incident);
    expect(result.postmortem.source).toBe('llm');
    expect(result.rejections.some((r) => r.includes('summary.cites'))).toBe(true);
  });

  it('falls back on a timeout without waiting for the model', async () => {
    const s = await setup({ timeoutMs: 300 });
    s.fake.enqueue({ ...answer, delayMs: 5000, body: {} });
    const t0 = Date.now();
    const result = await s.service.draft(s.incident);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(result.fallbackCode).toBe('bot.llm.timeout');
    expect(result.fallbackReason).toBe(
      'The model did not answer within 300 ms. The deterministic draft was used.',
    );
    expect(result.postmortem.source).toBe('deterministic');
  });

  it('falls back on a 500 and on a 429, saying what the server said', async () => {
    const s = await setup();
    s.fake.enqueue(apiError(500, 'the GPU under the model caught fire'), apiError(429, 'Rate limit reached'));
    const first = await s.service.draft(s.incident);
    expect(first.fallbackCode).toBe('bot.llm.status');
    expect(first.fallbackReason).toContain(
      'The model server answered 500: the GPU under the model caught fire',
    );
    const second = await s.service.draft(s.incident);
    expect(second.fallbackReason).toContain('answered 429');
    expect(second.postmortem.version).toBe(2);
    expect(s.fake.completions).toHaveLength(2); // maxRetries: 0
  });

  it('falls back when the server cannot be reached', async () => {
    const s = await setup();
    await s.fake.close();
    const result = await s.service.draft(s.incident);
    expect(result.fallbackCode).toBe('bot.llm.unreachable');
    expect(result.postmortem.source).toBe('deterministic');
  });

  it('never sends secrets or configured PII to the model, and keeps them out of the draft', async () => {
    const s = await setup();
    await s.h.services.history.recordMessage(
      s.incident,
      'm9',
      'key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY----- and AKIAABCDEFGHIJKLMNOP, Authorization: Bearer abcdef0123456789xyz',
      alice,
      s.h.clock.now(),
    );
    await s.h.services.history.recordKeyMark(s.incident, 'm2', '📌', true);
    s.fake.enqueue(answer);
    const result = await s.service.draft(s.incident);
    const raw = s.fake.completions.map((r) => r.raw).join('\n');
    for (const secret of [
      SLACK_TOKEN,
      URL_PASSWORD,
      EMAIL,
      'b3BlbnNzaC1rZXk',
      'AKIAABCDEFGHIJKLMNOP',
      'abcdef0123456789xyz',
    ]) {
      expect(raw).not.toContain(secret);
      expect(result.postmortem.markdown).not.toContain(secret);
    }
    expect(raw).toContain('https://ops:[redacted]@logs.internal/gpu-node-5');
    expect(raw).toContain('the grafana bot token is [redacted]');
    expect(result.postmortem.markdown).toContain('the grafana bot token is [redacted]');
  });

  it('keeps a private incident from the model unless told otherwise', async () => {
    const s = await setup({}, { private: true });
    const result = await s.service.draft(s.incident);
    expect(s.fake.requests).toHaveLength(0);
    expect(result).toMatchObject({ fallbackCode: 'bot.postmortem.private', attempts: 0, requests: 0 });
    expect(result.postmortem.note).toBe(
      'The incident is private: nothing of it was sent to the model (excludePrivate).',
    );
    expect(result.postmortem.markdown).toContain(
      '> Draft from the incident record; the narrative sections are questions for the author. Why: The incident is private',
    );

    const shared = createPostmortemService(
      { store: s.h.store, clock: s.h.clock, logger: pino({ level: 'silent' }), redact: createRedactor() },
      {
        apiKey: API_KEY,
        baseUrl: s.fake.url,
        model: 'fake-model',
        timeoutMs: 2000,
        displayTimeZone: 'UTC',
        excludePrivate: false,
      },
    );
    s.fake.enqueue(answer);
    expect((await shared.draft(s.incident)).postmortem.source).toBe('llm');
  });

  it('stops when the caller cancels, and falls back', async () => {
    const s = await setup();
    s.fake.enqueue({ ...completion({}), delayMs: 5000 });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const result = await s.service.draft(s.incident, { signal: ctl.signal });
    expect(result.fallbackCode).toBe('bot.llm.aborted');
    expect(result.postmortem.source).toBe('deterministic');
  });

  it('falls back when the budget cannot hold even the facts', async () => {
    const s = await setup({ promptBudgetTokens: 1200 });
    const result = await s.service.draft(s.incident);
    expect(result.fallbackCode).toBe('bot.postmortem.budget');
    expect(result.fallbackReason).toMatch(/^The prompt budget \(1200 tokens\) is too small/);
    expect(s.fake.requests).toHaveLength(0);
  });

  it('refuses a bad PII pattern at construction', async () => {
    const s = await scenario();
    expect(() =>
      createPostmortemService(
        { store: s.h.store, clock: s.h.clock, logger: pino({ level: 'silent' }), redact: createRedactor() },
        { model: 'm', timeoutMs: 1000, displayTimeZone: 'UTC', piiPatterns: ['(['] },
      ),
    ).toThrow(/PII pattern 1 \(\(\[\) cannot be used/);
    await s.h.close();
  });

  it('drafts an open incident as ongoing', async () => {
    const s = await setup({}, { resolve: false });
    s.fake.enqueue(answer);
    const md = (await s.service.draft(s.incident)).postmortem.markdown;
    expect(md).toContain('- **Duration:** ongoing, 20 min so far (declared 03:00 UTC)');
    expect(md).toContain('- **Status:** mitigated');
    expect(md).not.toContain('| Resolved |');
  });
});

describe('post-mortem drafts without a model', () => {
  it('writes the deterministic draft with the narrative as questions pointing at entries', async () => {
    const s = await scenario();
    const service = createPostmortemService(
      { store: s.h.store, clock: s.h.clock, logger: pino({ level: 'silent' }), redact: createRedactor() },
      { model: 'gpt-4o-mini', timeoutMs: 1000, displayTimeZone: 'UTC' },
    );
    expect(service.hasModel).toBe(false);
    const result = await service.draft(s.incident);
    expect(result).toMatchObject({ fallbackCode: 'bot.postmortem.no_llm', attempts: 0, promptTokens: null });
    expect(result.postmortem).toMatchObject({ source: 'deterministic', model: null, promptTokens: null });
    const md = result.postmortem.markdown;
    expect(headings(md)).toContain('## Mitigation actions');
    expect(md).toMatch(
      /## Summary\n\n_What happened, in two or three sentences\? \(timeline: #\d+(, #\d+)*\)_/,
    );
    expect(md).toMatch(
      /- \*\*Impact:\*\* Major degradation\. _What was the impact on users, jobs and capacity\?/,
    );
    expect(md).toMatch(/## Prevention\n\n- \[ \] _What would prevent a recurrence/);
    expect(md).toContain('| 03:40 | Resolved |');
    // The questions' hints are real entries, listed under Sources.
    const hinted = [...md.matchAll(/\(timeline: ([^)]+)\)/g)].flatMap((m) =>
      [...m[1]!.matchAll(/#(\d+)/g)].map((x) => Number(x[1])),
    );
    expect(hinted.length).toBeGreaterThan(0);
    for (const id of hinted) expect(md).toMatch(new RegExp(`^- \\[#${id}\\] `, 'm'));
    await s.h.close();
  });
});

describe('long timelines', () => {
  it('summarises 3,000 entries in chunks within the budget, then writes the narrative from the summaries', async () => {
    const budget = 6000;
    const s = await setup({ promptBudgetTokens: budget });
    const base = s.h.clock.now().getTime();
    await s.h.store.transaction(async (tx) => {
      for (let i = 0; i < 3000; i++) {
        await tx.appendTimeline({
          incidentId: s.incident.id,
          kind: 'message',
          at: new Date(base + i * 1000),
          actorId: i % 2 ? 'alice' : 'bob',
          actorName: i % 2 ? 'Alice' : 'Bob',
          text: `checking rack r${i % 7} gpu-node-${i % 8} fabric counters, iteration ${i}: all nominal so far`,
        });
      }
    });
    s.fake.fallback = (req) => {
      if (req.body.response_format.json_schema.name === 'timeline_chunk_summary') {
        const ids = shownIds(req);
        return completion({
          events: [
            {
              text: 'Responders checked fabric counters on the racks; all nominal.',
              cites: [ids[0]!, ids.at(-1)!],
            },
          ],
        });
      }
      return answer(req);
    };
    const result = await s.service.draft(s.incident);
    expect(result.fallbackReason).toBeUndefined();
    expect(result.postmortem.source).toBe('llm');
    const reqs = s.fake.completions;
    const names = reqs.map((r) => r.body.response_format.json_schema.name);
    expect(result.chunks).toBeGreaterThanOrEqual(3);
    expect(names).toEqual([...Array(result.chunks).fill('timeline_chunk_summary'), 'postmortem_narrative']);
    expect(result.requests).toBe(reqs.length);
    expect(result.promptTokens).toBeLessThanOrEqual(budget);
    expect(result.maxPromptTokens).toBeLessThanOrEqual(budget);
    for (const r of reqs) {
      expect(estimatePrompt(r.body.messages, r.body.response_format.json_schema.schema)).toBeLessThanOrEqual(
        budget,
      );
    }
    // The chunks (sent four at a time) cover every entry once.
    const covered = reqs
      .slice(0, -1)
      .flatMap((r) => [...userText(r).matchAll(/^#(\d+) /gm)].map((m) => Number(m[1])));
    const all = (await s.h.store.listTimeline(s.incident.id)).map((e) => e.id);
    expect(covered.sort((a, b) => a - b)).toEqual(all);
    const final = userText(reqs.at(-1)!);
    expect(final).toContain(`The timeline has ${all.length} entries, too many to show`);
    expect(final).toContain('Summaries of the whole timeline');
    expect(final).toContain('- Responders checked fabric counters on the racks; all nominal. [#');
    expect(result.postmortem.note).toContain(`summarised in ${result.chunks} chunks`);
  });

  it('falls back when a chunk summary is rejected twice', async () => {
    const s = await setup({ promptBudgetTokens: 3000 });
    await s.h.store.transaction(async (tx) => {
      for (let i = 0; i < 400; i++) {
        await tx.appendTimeline({
          incidentId: s.incident.id,
          kind: 'note',
          at: s.h.clock.now(),
          actorId: 'alice',
          actorName: 'Alice',
          text: `note ${i}: still looking at the PCIe link training logs of gpu-node-5`,
        });
      }
    });
    s.fake.fallback = () => completion({ events: [{ text: 'Looked at logs.', cites: [424242] }] });
    const result = await s.service.draft(s.incident);
    expect(result.fallbackCode).toBe('bot.postmortem.rejected');
    expect(result.fallbackReason).toMatch(
      /^The model's summary of part \d+ of \d+ was rejected twice: events\[0\]: cites #424242/,
    );
    expect(result.postmortem.source).toBe('deterministic');
  });
});
