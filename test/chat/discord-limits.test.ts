import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { toDiscordMessage } from '../../src/chat/discord/render.ts';
import type { ChatMessage } from '../../src/chat/message.ts';
import { DISCORD_LIMITS } from '../../src/core/index.ts';
import { messageProblem } from '../fakes/discord/validate.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = JSON.parse(readFileSync(join(ROOT, 'test/fakes/discord/spec-limits.json'), 'utf8')) as Record<
  string,
  number | string
>;
const SPEC = join(ROOT, '../shared/specs/discord_openapi.json.gz');

/** Total characters Discord counts against the 6,000 of a message's embeds. */
function embedTotal(body: ReturnType<typeof toDiscordMessage>): number {
  return body.embeds.reduce(
    (n, e) =>
      n +
      (e.title?.length ?? 0) +
      (e.description?.length ?? 0) +
      (e.footer?.text.length ?? 0) +
      (e.fields ?? []).reduce((m, f) => m + f.name.length + f.value.length, 0),
    0,
  );
}

describe("Discord's own limits", () => {
  it('the limits the renderer and the fake use are the ones in the specification', () => {
    expect({
      title: DISCORD_LIMITS.embedTitle,
      description: DISCORD_LIMITS.embedDescription,
      fields: DISCORD_LIMITS.embedFields,
      fieldName: DISCORD_LIMITS.fieldName,
      fieldValue: DISCORD_LIMITS.fieldValue,
      footer: DISCORD_LIMITS.footerText,
      embeds: DISCORD_LIMITS.embedsPerMessage,
    }).toEqual({
      title: FIXTURE['RichEmbed.title.maxLength'],
      description: FIXTURE['RichEmbed.description.maxLength'],
      fields: FIXTURE['RichEmbed.fields.maxItems'],
      fieldName: FIXTURE['RichEmbedField.name.maxLength'],
      fieldValue: FIXTURE['RichEmbedField.value.maxLength'],
      footer: FIXTURE['RichEmbedFooter.text.maxLength'],
      embeds: FIXTURE['MessageCreateRequest.embeds.maxItems'],
    });
  });

  // The specification sits beside the repository on the machines that have it; the fixture above is
  // its extract, committed so a clean clone checks the same numbers.
  it.skipIf(!existsSync(SPEC))('the committed extract matches the specification itself', () => {
    const schemas = JSON.parse(gunzipSync(readFileSync(SPEC)).toString('utf8')).components.schemas;
    for (const [key, value] of Object.entries(FIXTURE)) {
      if (key === 'source') continue;
      const [schema, property, limit] = key.split('.') as [string, string, string];
      expect(schemas[schema].properties[property][limit], key).toBe(value);
    }
  });

  it('a long reply near the 6,000 total, its marker included, is one Discord accepts', () => {
    // The /runbook show case: many sections whose sum lands around the budget, where the "earlier
    // parts are not shown" note used to be added without being counted.
    const problems: string[] = [];
    for (let count = 2; count <= 14; count++) {
      for (let size = 100; size <= 4200; size += 37) {
        const message: ChatMessage = {
          text: 'Runbook: GPU fell off the bus',
          header: '📖 Runbook: GPU fell off the bus (xid-79)',
          sections: Array.from({ length: count }, (_, i) => `${i}: ${'x'.repeat(size)}`),
          context: ['Matched by alertname=GPUXidError · runbooks/xid-79.md'],
        };
        const body = toDiscordMessage(message);
        const problem = messageProblem(body);
        if (problem || embedTotal(body) > 6000)
          problems.push(`${count}×${size}: ${problem} (${embedTotal(body)})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('fields and footer at their own maximum still leave a message Discord accepts, with its text', () => {
    const body = toDiscordMessage({
      text: 'Fleet',
      header: 'Fleet: 25 nodes',
      sections: ['The nodes the bot knows.'],
      fields: Array.from({ length: 25 }, (_, i) => ({ label: `gpu-node-${i}`, value: 'y'.repeat(1024) })),
      context: ['z'.repeat(2048)],
    });
    expect(messageProblem(body)).toBeUndefined();
    expect(embedTotal(body)).toBeLessThanOrEqual(6000);
    expect(body.embeds.map((e) => e.description).join('')).toContain('The nodes the bot knows.');
  });
});
