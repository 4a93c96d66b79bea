import { describe, expect, it } from 'vitest';
import { toDiscordMarkdown, toDiscordMessage } from '../../src/chat/discord/render.ts';
import { DISCORD_LIMITS } from '../../src/core/index.ts';

describe('toDiscordMessage: who may be notified', () => {
  it('allows no mention parsed from the text, only the declared ids the content mentions', () => {
    const body = toDiscordMessage({
      text: 'Escalating: <@111> and <@222>, <@&333> and <@&444>, @everyone',
      mentions: ['111', '444', '999'],
    });
    expect(body.allowed_mentions).toEqual({ parse: [], users: ['111'], roles: ['444'], replied_user: false });
  });

  it('allows nothing when nothing was declared', () => {
    const body = toDiscordMessage({ text: 'x', header: 'Alert', sections: ['<@&333> <@111>'] });
    expect(body.allowed_mentions).toEqual({ parse: [], users: [], roles: [], replied_user: false });
  });

  it('lists at most 100 users, as the API allows', () => {
    const ids = Array.from({ length: 150 }, (_, i) => String(1000 + i));
    const body = toDiscordMessage({ text: ids.map((id) => `<@${id}>`).join(' '), mentions: ids });
    expect(body.allowed_mentions.users).toHaveLength(100);
  });
});

describe('toDiscordMarkdown: links show where they go', () => {
  it.each([
    ['[https://good.example](https://evil.example/x)', '<https://evil.example/x>'],
    ['<https://evil.example/x|https://good.example>', '<https://evil.example/x>'],
    ['<https://evil.example/x|good.example/login>', '<https://evil.example/x>'],
    ['[the runbook](https://runbooks.example/xid)', '[the runbook](https://runbooks.example/xid)'],
    ['<https://runbooks.example/xid|runbook>', '[runbook](https://runbooks.example/xid)'],
    ['<https://grafana.example/d/1|grafana.example>', '[grafana.example](https://grafana.example/d/1)'],
  ])('%j → %j', (input, expected) => {
    expect(toDiscordMarkdown(input)).toBe(expected);
  });
});

describe('long sections over several embeds', () => {
  it('closes and reopens a code block it splits, losing none of its text', () => {
    // One line of a log longer than an embed, inside a code block: split inside the line.
    const log = Array.from({ length: 1100 }, (_, i) => `l${i}`).join(' ');
    const { embeds } = toDiscordMessage({
      text: 'log',
      header: 'Output',
      sections: [`\`\`\`\n${log}\n\`\`\``],
    });
    const parts = embeds.map((e) => e.description ?? '');
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(DISCORD_LIMITS.embedDescription);
      expect((p.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const joined = parts.map((p) => p.replace(/^```\n/, '').replace(/\n```$/, '')).join('');
    expect(joined).toBe(log);
  });
});

describe('toDiscordMessage: times', () => {
  it('puts a context holding a <t:…> time in a last field, since Discord draws no markup in a footer', () => {
    const body = toDiscordMessage({
      text: 'INC-1',
      header: 'INC-1: GPU trouble',
      fields: [{ label: 'Status', value: 'declared' }],
      context: ['Declared <t:1700000000:R>', 'Commands: /incident help'],
    });
    const embed = body.embeds.at(-1)!;
    expect(embed.footer).toBeUndefined();
    expect(embed.fields?.at(-1)).toEqual({
      name: '\u200b',
      value: 'Declared <t:1700000000:R> · Commands: /incident help',
      inline: false,
    });
    // Without a time the footer stays a footer.
    expect(
      toDiscordMessage({ text: 'x', header: 'y', context: ['Commands: /incident help'] }).embeds[0]!.footer,
    ).toEqual({
      text: 'Commands: /incident help',
    });
  });
});
