import { describe, expect, it } from 'vitest';
import { harness } from './harness.ts';

const FIREFIGHTER = '👩🏽‍🚒'; // woman, skin tone, ZWJ, fire engine: 7 code units
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

describe('/incident timeline, longer than a message', () => {
  // Regression: the cut fell inside an emoji (half a surrogate pair, or 👩🏽 left of 👩🏽‍🚒).
  it('cuts between whole emoji wherever the limit falls', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3', 'Fire in rack 4');
    const channel = incident.channelId!;
    await h.command('incident', `note ${FIREFIGHTER.repeat(400)}`, channel);
    // Each longer prefix moves the cut one code unit through the emoji it lands in.
    for (let shift = 0; shift < FIREFIGHTER.length; shift++) {
      await h.command('incident', `note ${'x'.repeat(shift + 1)}${FIREFIGHTER.repeat(400)}`, channel);
      const reply = await h.command('incident', 'timeline', channel);
      const section = reply.message.sections![0]!;
      expect(section.endsWith('… (cut)')).toBe(true);
      const kept = section.slice(0, -'… (cut)'.length);
      const last = [...segmenter.segment(kept)].at(-1)!.segment;
      expect(last).toBe(FIREFIGHTER);
    }
    await h.close();
  });
});
