import { pino } from 'pino';
import { createRedactor, type Incident } from '../../src/core/index.ts';
import { createPostmortemService, type PostmortemConfig } from '../../src/postmortem/index.ts';
import { FakeOpenAi, type RecordedRequest } from '../fakes/openai/index.ts';
import { alice, bob, harness } from '../incidents/harness.ts';

export const API_KEY = 'sk-test-0123456789abcdefghijklmn';
export const SLACK_TOKEN = 'xoxb-2718281828-3141592653-abcdefghijklmnop';
export const URL_PASSWORD = 'hunter2-Very-Secret';
export const EMAIL = 'carol.oncall@example.com';

/**
 * A realistic SEV2 through the real services (SQLite in memory, sandbox chat, simulated fleet):
 * declared 03:00, investigating 03:01, commander 03:01, a pinned finding, a secret and a password
 * posted in the channel, a drain requested 03:06 and approved by a second person 03:07, an update,
 * mitigated 03:20, resolved 03:40 (UTC).
 */
export async function scenario(options: { private?: boolean; resolve?: boolean } = {}) {
  const h = await harness();
  const min = (n: number) => h.clock.advance(n * 60_000);
  let incident: Incident = await h.incidents.declare(h.chat, {
    title: 'gpu-node-5 fell off the bus',
    description: 'Training job qwen2-72b stalled',
    severity: 'SEV2',
    private: options.private ?? false,
    actor: alice,
  });
  min(1);
  incident = await h.incidents.changeStatus(incident, 'investigating', alice);
  incident = await h.incidents.assignRole(incident, 'commander', alice, alice);
  incident = await h.incidents.assignRole(incident, 'responder', bob, alice);
  min(2);
  await h.services.history.recordMessage(
    incident,
    'm1',
    'nvidia-smi on gpu-node-5 lists 7 GPUs; dmesg shows Xid 79 for GPU 4 (fell off the bus)',
    bob,
    h.clock.now(),
  );
  await h.services.history.recordKeyMark(incident, 'm1', '📌', true);
  min(1);
  await h.services.history.recordMessage(
    incident,
    'm2',
    `the grafana bot token is ${SLACK_TOKEN}, logs at https://ops:${URL_PASSWORD}@logs.internal/gpu-node-5, ping ${EMAIL}`,
    alice,
    h.clock.now(),
  );
  min(2);
  const drain = await h.actions.request(incident, 'drain', 'gpu-node-5', alice);
  min(1);
  await h.actions.approve(drain.id, bob);
  min(3);
  incident = (await h.incidents.get(incident.id))!;
  incident = await h.incidents.postUpdate(
    incident,
    'Drained gpu-node-5; the job restarts on gpu-node-6.',
    alice,
  );
  min(10);
  incident = await h.incidents.changeStatus(incident, 'mitigated', alice);
  if (options.resolve ?? true) {
    min(20);
    incident = await h.incidents.changeStatus(incident, 'resolved', alice);
  }
  const timeline = await h.store.listTimeline(incident.id);
  return { h, incident, timeline };
}

export async function withModel(
  config: Partial<PostmortemConfig> = {},
  options: { private?: boolean; resolve?: boolean } = {},
) {
  const s = await scenario(options);
  const fake = await FakeOpenAi.start({ apiKey: API_KEY });
  const service = createPostmortemService(
    { store: s.h.store, clock: s.h.clock, logger: pino({ level: 'silent' }), redact: createRedactor() },
    {
      apiKey: API_KEY,
      baseUrl: fake.url,
      model: 'fake-model',
      timeoutMs: 2000,
      promptBudgetTokens: 12_000,
      piiPatterns: ['[\\w.+-]+@[\\w-]+\\.[\\w.]+'],
      displayTimeZone: 'UTC',
      ...config,
    },
  );
  const close = async () => {
    await fake.close();
    await s.h.close();
  };
  return { ...s, fake, service, close };
}

/** The user messages of a request, joined. */
export function userText(req: RecordedRequest): string {
  return (req.body.messages as { role: string; content: string }[])
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
}

/** Entry ids a request showed the model (timeline lines `#12 …` and references `[#12, #13]`). */
export function shownIds(req: RecordedRequest): number[] {
  const text = userText(req);
  const ids = new Set<number>();
  for (const m of text.matchAll(/^#(\d+) /gm)) ids.add(Number(m[1]));
  for (const m of text.matchAll(/\[((?:#\d+(?:, )?)+)\]/g)) {
    for (const id of m[1]!.matchAll(/#(\d+)/g)) ids.add(Number(id[1]));
  }
  return [...ids].sort((a, b) => a - b);
}

const claim = (text: string, cites: number[]) => ({ text, cites });

/** A narrative a careful model would write: prose, no times, citing entries it was shown. */
export function goodNarrative(ids: readonly number[]) {
  const a = ids[0]!;
  const b = ids[Math.min(3, ids.length - 1)]!;
  const c = ids[ids.length - 1]!;
  return {
    summary: claim('GPU 4 on gpu-node-5 fell off the bus; the node was drained and the job moved.', [a, b]),
    impact: claim('The qwen2-72b training job stalled until it restarted on another node.', [a]),
    rootCause: claim('Xid 79: GPU 4 fell off the PCIe bus; the hardware fault is not yet explained.', [b]),
    whatWentWell: [claim('The drain was approved by a second person and ran once.', [c])],
    whatWentWrong: [claim('A token was pasted in the incident channel.', [b])],
    lessonsLearned: [claim('Xid 79 needs a drain, not a restart.', [b])],
    prevention: [
      claim('Alert on Xid 79 directly and drain automatically.', [b]),
      claim('Add a runbook step.', [a]),
    ],
  };
}
