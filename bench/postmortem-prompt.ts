/**
 * Post-mortem prompt building, printed, never asserted (goal: ≤ 200 ms to build the prompt for a
 * 5,000-entry timeline).
 *
 * Seeds an in-memory SQLite store with one incident and ENTRIES timeline entries (messages, notes,
 * status changes, mitigations, alerts; some pinned), then times, over several runs: reading the
 * record from the store, the facts, and the prompt plan (every entry redacted and formatted as a
 * line, the token estimate, and the chunks when the timeline is over the budget). Token counts are
 * estimates (characters / 4). Then one whole draft against an instant in-process model, to show
 * the requests a real model would get and the final prompt's size against the budget.
 *
 * Run with `npm run bench:postmortem` (ENTRIES=5000 BUDGETS=12000,32000,128000 by default).
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createRedactor, ManualClock, type TimelineKind } from '../src/core/index.ts';
import { buildFacts } from '../src/postmortem/facts.ts';
import {
  DEFAULT_PROMPT_BUDGET_TOKENS,
  type LlmClient,
  type LlmRequest,
  PostmortemService,
} from '../src/postmortem/index.ts';
import { planNarrative } from '../src/postmortem/narrate.ts';
import { compilePiiPatterns } from '../src/postmortem/redact.ts';
import { timeFormat } from '../src/postmortem/time.ts';
import { openSqliteStore } from '../src/store/index.ts';

const ENTRIES = Number(process.env.ENTRIES ?? 5000);
const BUDGETS = (process.env.BUDGETS ?? `${DEFAULT_PROMPT_BUDGET_TOKENS},32000,128000`)
  .split(',')
  .map(Number);
const RUNS = 10;
const EMAIL = '[\\w.+-]+@[\\w-]+\\.[\\w.]+';

const PEOPLE = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin'];
const SAYINGS = [
  'nvidia-smi on gpu-node-{n} shows GPU {g} at 87°C, throttling',
  'dmesg on gpu-node-{n}: NVRM: Xid (PCI:0000:9a:00): 79, GPU has fallen off the bus',
  'NCCL all-reduce stuck on rank {g}; checking the fabric counters on rack r{r}',
  'restarting the exporter on gpu-node-{n} to get fresh metrics',
  'the training job checkpointed at step 1200{g}; safe to drain',
  'paging the hardware vendor, ticket opened for gpu-node-{n}',
  'ib link on gpu-node-{n} port {g} flapping: 12 down events in 5 min',
  'looks like the same PSU batch as last month on rack r{r}; ping carol@example.com',
];

async function seed() {
  const clock = new ManualClock('2026-11-22T03:00:00Z');
  const opened = await openSqliteStore(':memory:');
  const { store } = opened;
  const incident = await store.createIncident({
    id: 'bench-incident',
    title: 'NCCL timeouts across rack r2 after GPU falls off the bus',
    description: 'Training jobs on r2 stall; several nodes report Xid 79.',
    severity: 'SEV1',
    private: false,
    platform: 'sandbox',
    createdBy: 'alice',
    createdAt: clock.now(),
  });
  await store.transaction(async (tx) => {
    const append = (kind: TimelineKind, text: string, key = false, data: Record<string, unknown> = {}) => {
      const who = PEOPLE[Math.floor(Math.random() * PEOPLE.length)]!;
      return tx.appendTimeline({
        incidentId: incident.id,
        kind,
        at: clock.now(),
        actorId: who.toLowerCase(),
        actorName: who,
        text,
        key,
        data,
      });
    };
    await append('declared', `Declared SEV1: ${incident.title}`, true, { severity: 'SEV1' });
    for (let i = 1; i < ENTRIES; i++) {
      clock.advance(1000 + Math.floor(Math.random() * 20_000));
      const n = (i % 8) + 1;
      const text = SAYINGS[i % SAYINGS.length]!.replace('{n}', String(n))
        .replace('{g}', String(i % 8))
        .replace('{r}', String((i % 4) + 1));
      if (i === 20)
        await append('status', 'Status declared → investigating', true, {
          from: 'declared',
          to: 'investigating',
        });
      else if (i % 500 === 0) await append('update', `Update ${i / 500}: ${text}`, true);
      else if (i % 97 === 0)
        await append('action_result', `drain of gpu-node-${n} succeeded: 2 jobs moved`, true);
      else if (i % 41 === 0) await append('alert', `GpuFellOffBus firing on gpu-node-${n}`, i < 100);
      else if (i % 7 === 0) await append('note', text);
      else await append('message', text, i % 250 === 0);
    }
  });
  return { clock, store, incident, close: opened.close };
}

/** Answers at once, citing what it was shown: the cost of everything but the model. */
const instantModel: LlmClient = {
  async complete(req: LlmRequest) {
    const text = req.messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    const ids = [...text.matchAll(/^#(\d+) |\[#(\d+)/gm)].map((m) => Number(m[1] ?? m[2]));
    const cites = [ids[0]!, ids.at(-1)!];
    const claim = { text: 'The record shows it.', cites };
    const content =
      req.schemaName === 'timeline_chunk_summary'
        ? { events: [claim] }
        : {
            summary: claim,
            impact: claim,
            rootCause: claim,
            whatWentWell: [claim],
            whatWentWrong: [claim],
            lessonsLearned: [claim],
            prevention: [claim],
          };
    return { content: JSON.stringify(content), model: 'instant' };
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main() {
  const t0 = performance.now();
  const { clock, store, incident, close } = await seed();
  console.log(`seeded ${ENTRIES} timeline entries in ${ms(performance.now() - t0)}\n`);
  const fmt = timeFormat('UTC');
  const redact = createRedactor({ extra: compilePiiPatterns([EMAIL]) });

  for (const budget of BUDGETS) {
    const times: number[] = [];
    let plan: ReturnType<typeof planNarrative> | undefined;
    for (let run = 0; run <= RUNS; run++) {
      const start = performance.now();
      const facts = buildFacts({
        incident,
        timeline: await store.listTimeline(incident.id),
        actions: await store.listActions(incident.id),
        roles: await store.listRoles(incident.id),
        alerts: await store.listIncidentAlerts(incident.id),
        now: clock.now(),
      });
      plan = planNarrative(facts, { fmt, redact, budgetTokens: budget });
      if (run > 0) times.push(performance.now() - start); // run 0 warms up
    }
    const p = plan!;
    console.log(`budget ${budget} tokens`);
    console.log(
      `  build the prompt (store read + facts + plan): median ${ms(median(times))}, max ${ms(Math.max(...times))} over ${RUNS} runs (goal ≤ 200 ms)`,
    );
    console.log(
      `  whole timeline as one prompt: ~${p.fullTokens} tokens (estimate, chars/4) → ${p.chunked ? 'over budget: chunked' : 'fits'}`,
    );
    if (p.chunked) {
      console.log(
        `  first round: ${p.chunked.chunks.length} chunks of ≤ ${p.chunked.perChunk} tokens of lines; ${p.chunked.keyLines.length} key entries kept for the final prompt; ${p.chunked.summaryRoom} tokens left for summaries`,
      );
    }
    const service = new PostmortemService(store, clock, pino({ level: 'silent' }), {
      llm: instantModel,
      timeoutMs: 10_000,
      promptBudgetTokens: budget,
      excludePrivate: true,
      piiPatterns: [EMAIL],
      displayTimeZone: 'UTC',
      redact: createRedactor(),
    });
    const d0 = performance.now();
    const draft = await service.draft(incident);
    console.log(
      `  whole draft with an instant model: ${ms(performance.now() - d0)}, ${draft.requests} requests (${draft.chunks} chunk summaries), final prompt ~${draft.promptTokens} tokens, largest prompt ~${draft.maxPromptTokens} of ${budget}${draft.fallbackReason ? `; fell back: ${draft.fallbackReason}` : ''}\n`,
    );
  }
  await close();
}

await main();
