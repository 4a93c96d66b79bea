import { describe, expect, it } from 'vitest';
import { alice, harness, simulatedWith } from './harness.ts';

/** A configured secret of no known shape: only the redactor's literal catches it. */
const KEY = 'gw-local-7f3a9c2e5b1d4a60-opaque';

/**
 * One redactor for everything that leaves the bot (main.ts builds it once): what a node printed
 * reaches the channel through it whether it came back as an action's output or in a triage report,
 * and the post-mortem's prompt uses the same one (plus its PII patterns).
 */
describe('redaction of what nodes print, in chat', () => {
  it('blanks a configured secret a node printed in its triage, in the channel and the timeline', async () => {
    const h = await harness({
      secrets: [KEY],
      // The simulated fleet, whose gpu-node-7 OOM-killed a process named after the secret.
      adapters: simulatedWith((real) => ({
        diagnose: async (node, id, opts) => {
          const out = await real.diagnose(node, id, opts);
          if (node !== 'gpu-node-7' || id !== 'oom') return out;
          const line = `[ 8123.456789] Out of memory: Killed process 4242 (${KEY}) total-vm:81234567kB, anon-rss:70123456kB`;
          return { ...out, exitCode: 0, stdout: `${line}\n` };
        },
      })),
    });
    const incident = await h.declare('SEV3', 'Jobs dying on gpu-node-7');
    const channelId = incident.channelId!;
    await h.triage.run({ chat: h.chat, channelId, incident, nodes: ['gpu-node-7'], actor: alice });
    const report = (await h.messages(channelId)).find((m) => m.message.header?.startsWith('🟠 gpu-node-7'));
    const shown = JSON.stringify(report?.message);
    expect(shown).toContain('1 OOM kill ([redacted])');
    expect(shown).not.toContain(KEY);
    const timeline = JSON.stringify(await h.store.listTimeline(incident.id));
    expect(timeline).toContain('Triage of 1 node in');
    expect(timeline).not.toContain(KEY);
    await h.close();
  });
});
