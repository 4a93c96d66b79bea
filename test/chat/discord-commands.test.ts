import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { commands } from '../../commands/index.ts';
import { buildDiscordCommands, interactionText } from '../../src/chat/discord/commands.ts';
import { ChannelEditPacer } from '../../src/chat/discord/edit-pacer.ts';
import { toDiscordMarkdown, toDiscordMessage } from '../../src/chat/discord/render.ts';
import { parseOptions } from '../../src/commands/parse.ts';
import { CommandRegistry } from '../../src/commands/registry.ts';

const built = buildDiscordCommands(commands);
const sub = (group: string, name: string) =>
  built.find((c) => c.name === group)!.options.find((o) => o.name === name)!;

describe('Discord command registration, from commands/', () => {
  it('has one top-level command per group, with a subcommand per command file and help everywhere', () => {
    expect(built.map((c) => c.name).sort()).toEqual(['incident', 'node', 'runbook', 'workload']);
    for (const group of built) {
      expect(group.type).toBe(1);
      expect(group.description.length).toBeLessThanOrEqual(100);
      const names = group.options.map((o) => o.name);
      const defs = commands.filter((d) => d.group === group.name).map((d) => d.name);
      expect(names).toEqual(expect.arrayContaining([...defs, 'help']));
      expect(group.options.every((o) => o.type === 1)).toBe(true);
    }
  });

  it('types options from the zod schemas: string, integer with bounds, boolean, choices', () => {
    const declare = sub('incident', 'declare');
    expect(declare.options).toEqual([
      expect.objectContaining({ name: 'title', type: 3, required: true }),
      expect.objectContaining({
        name: 'severity',
        type: 3,
        required: false,
        choices: ['SEV1', 'SEV2', 'SEV3', 'SEV4'].map((s) => ({ name: s, value: s })),
      }),
      expect.objectContaining({ name: 'description', type: 3, required: false }),
      expect.objectContaining({ name: 'private', type: 5, required: false }),
    ]);
    const timeline = sub('incident', 'timeline');
    expect(timeline.options).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'last', type: 4, min_value: 1, max_value: 500 }),
        // Commands bound to an incident also take its number, for use outside its channel.
        expect.objectContaining({ name: 'incident', type: 4, required: false }),
      ]),
    );
  });

  it('keeps within Discord’s rules: names, description lengths, required options first', () => {
    for (const group of built) {
      for (const s of group.options) {
        expect(s.name).toMatch(/^[-_a-z0-9]{1,32}$/);
        expect(s.description.length).toBeLessThanOrEqual(100);
        const options = s.options ?? [];
        expect(options.length).toBeLessThanOrEqual(25);
        const firstOptional = options.findIndex((o) => !o.required);
        if (firstOptional >= 0) expect(options.slice(firstOptional).every((o) => !o.required)).toBe(true);
        for (const o of options) expect(o.description.length).toBeLessThanOrEqual(100);
      }
    }
  });

  it('turns an interaction back into the text the one parser reads', () => {
    const text = interactionText([
      {
        name: 'declare',
        type: 1,
        options: [
          { name: 'title', type: 3, value: '-5 °C "cold" aisle' },
          { name: 'severity', type: 3, value: 'SEV2' },
          { name: 'private', type: 5, value: true },
        ],
      },
    ]);
    expect(text).toBe('declare --title="-5 °C \\"cold\\" aisle" --severity="SEV2" --private');
    const registry = new CommandRegistry(commands);
    const def = registry.resolve('incident', 'declare');
    expect(parseOptions(def, text.slice('declare'.length))).toMatchObject({
      title: '-5 °C "cold" aisle',
      severity: 'SEV2',
      private: true,
    });
    const timeline = interactionText([
      { name: 'timeline', type: 1, options: [{ name: 'last', type: 4, value: 5 }] },
    ]);
    expect(
      parseOptions(registry.resolve('incident', 'timeline'), timeline.slice('timeline'.length)),
    ).toMatchObject({
      last: 5,
    });
  });
});

describe('Discord rendering', () => {
  it('converts the common markup, leaving code alone', () => {
    expect(toDiscordMarkdown('*bold* _it_ <https://x.test|docs> `*not*`')).toBe(
      '**bold** _it_ [docs](https://x.test) `*not*`',
    );
    expect(toDiscordMarkdown('```\n*raw*\n```')).toBe('```\n*raw*\n```');
  });

  it('sends notes as content and cards as embeds with button rows, within every limit', () => {
    expect(toDiscordMessage({ text: 'hi <@1>', sections: ['hi <@1>'] })).toMatchObject({
      content: 'hi <@1>',
      embeds: [],
    });
    const buttons = Array.from({ length: 30 }, (_, i) => ({ id: `card:x:${i}`, label: `B${i}` }));
    const long = 'line\n'.repeat(3000);
    const m = toDiscordMessage({
      text: 'card',
      header: 'INC-1',
      sections: [long, long],
      fields: [{ label: 'Severity', value: 'SEV2' }],
      buttons: [
        ...buttons,
        {
          id: 'act:approve:1',
          label: 'Approve',
          style: 'danger',
          confirm: { title: 't', text: 'x', confirm: 'y', deny: 'n' },
        },
      ],
    });
    const total = m.embeds.reduce(
      (n, e) =>
        n +
        (e.title?.length ?? 0) +
        (e.description?.length ?? 0) +
        (e.fields ?? []).reduce((k, f) => k + f.name.length + f.value.length, 0),
      0,
    );
    expect(total).toBeLessThanOrEqual(6000);
    expect(m.embeds.every((e) => (e.description?.length ?? 0) <= 4096)).toBe(true);
    expect(m.embeds[0]?.description).toMatch(/not shown/);
    expect(m.components).toHaveLength(5);
    expect(m.components.every((r) => r.components.length <= 5)).toBe(true);
  });
});

describe('ChannelEditPacer', () => {
  it('sends two edits per window at once and the newest of the rest when the window opens', async () => {
    vi.useFakeTimers();
    try {
      const sent: unknown[] = [];
      const pacer = new ChannelEditPacer(
        async (_id, edit) => void sent.push(edit),
        pino({ level: 'silent' }),
        {
          windowMs: 1000,
          max: 2,
        },
      );
      await pacer.edit('c', { topic: 'a' });
      await pacer.edit('c', { name: 'b' });
      expect((await pacer.edit('c', { topic: 'c' })).deferredUntil).toBeInstanceOf(Date);
      await pacer.edit('c', { topic: 'd' });
      expect(sent).toEqual([{ topic: 'a' }, { name: 'b' }]);
      await vi.advanceTimersByTimeAsync(1100);
      expect(sent).toEqual([{ topic: 'a' }, { name: 'b' }, { topic: 'd' }]);
      pacer.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
