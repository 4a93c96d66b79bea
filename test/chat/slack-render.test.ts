import type { types } from '@slack/bolt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatButton, ChatMessage } from '../../src/chat/message.ts';
import { splitMrkdwn, toMrkdwn } from '../../src/chat/slack/mrkdwn.ts';
import {
  DECLARE_CALLBACK_ID,
  declareModal,
  parseDeclareSubmission,
  toBlocks,
} from '../../src/chat/slack/render.ts';
import { SLACK_LIMITS as L, SEVERITIES } from '../../src/core/index.ts';
import { cardButtonId } from '../../src/incidents/buttons.ts';
import { renderCard } from '../../src/incidents/card.ts';
import { makeIncident, T0 } from '../core/fixtures.ts';

type Block = types.KnownBlock;
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

/** Every Slack limit the renderer promises, checked on its output. Returns the problems found. */
function violations(out: { text: string; blocks: Block[] }): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const textOk = (t: unknown, max: number, what: string) => {
    check(typeof t === 'string' && t.trim().length > 0, `${what}: empty`);
    check(typeof t === 'string' && t.length <= max, `${what}: ${String(t).length} > ${max}`);
  };
  textOk(out.text, L.fallbackText, 'fallback text');
  check(out.blocks.length >= 1 && out.blocks.length <= L.messageBlocks, `${out.blocks.length} blocks`);
  const actionIds = new Set<string>();
  for (const b of out.blocks) {
    if (b.type === 'header') textOk(b.text.text, L.headerText, 'header');
    else if (b.type === 'section') {
      if (b.text) textOk(b.text.text, L.sectionText, 'section text');
      if (b.fields) {
        check(b.fields.length >= 1 && b.fields.length <= L.fieldsPerSection, `${b.fields.length} fields`);
        for (const f of b.fields) textOk(f.text, L.fieldText, 'field');
      }
      check(Boolean(b.text || b.fields), 'section without text or fields');
    } else if (b.type === 'actions') {
      check(
        b.elements.length >= 1 && b.elements.length <= L.elementsPerActions,
        `${b.elements.length} buttons`,
      );
      for (const e of b.elements) {
        if (e.type !== 'button') {
          problems.push(`unexpected ${e.type}`);
          continue;
        }
        textOk(e.text.text, L.buttonText, 'button text');
        check(Boolean(e.action_id) && e.action_id!.length <= L.actionId, 'action_id length');
        check(!actionIds.has(e.action_id!), `duplicate action_id ${e.action_id}`);
        actionIds.add(e.action_id!);
        check(e.value === e.action_id && e.value!.length <= L.buttonValue, 'value');
        if (e.confirm) {
          textOk(e.confirm.title?.text, L.confirmTitle, 'confirm title');
          textOk(e.confirm.text.text, L.confirmText, 'confirm text');
          textOk(e.confirm.confirm?.text, L.confirmButton, 'confirm button');
          textOk(e.confirm.deny?.text, L.confirmButton, 'deny button');
        }
      }
    } else if (b.type === 'context') {
      check(
        b.elements.length >= 1 && b.elements.length <= L.elementsPerContext,
        `${b.elements.length} context`,
      );
      for (const e of b.elements) textOk('text' in e ? e.text : undefined, L.contextText, 'context');
    } else problems.push(`unexpected block ${b.type}`);
  }
  return problems;
}

/** All mrkdwn strings of a rendering, for escaping checks. */
function mrkdwnTexts(out: { text: string; blocks: Block[] }): string[] {
  const texts = [out.text];
  for (const b of out.blocks) {
    if (b.type === 'section') {
      if (b.text) texts.push(b.text.text);
      for (const f of b.fields ?? []) texts.push(f.text);
    }
    if (b.type === 'context') for (const e of b.elements) if ('text' in e) texts.push(e.text);
  }
  return texts;
}

/** The tokens Slack may parse; anything else must have reached Slack escaped. */
const ALLOWED_TOKEN =
  /<(?:(?:https?:\/\/|mailto:)[^\s|<>]+(?:\|[^<>\n]*)?|[@#][A-Z0-9_]+(?:\|[^<>|\n]*)?|!subteam\^[A-Z0-9_]+(?:\|[^<>|\n]*)?|!date\^\d+\^[^^|<>\n]+\|[^<>\n]*)>/g;
function escapedCompletely(text: string): boolean {
  const rest = text.replace(ALLOWED_TOKEN, '');
  return !/[<>]/.test(rest) && !/&(?!amp;|lt;|gt;)/.test(text);
}

function card(overrides: Parameters<typeof makeIncident>[0] = {}) {
  return renderCard({
    incident: makeIncident({ description: 'Xid 79 on gpu-node-5; jobs are failing', ...overrides }),
    roles: [
      {
        incidentId: 'inc_1',
        role: 'commander',
        userId: 'U0BOB',
        userName: 'Bob',
        assignedAt: minutes(2),
      },
    ],
    lastUpdate: { text: 'Draining gpu-node-5', at: minutes(9), by: 'Bob' },
    now: minutes(30),
    time: (at: Date, withDate: boolean) =>
      `<!date^${Math.floor(at.getTime() / 1000)}^${withDate ? '{date_short_pretty} {time}' : '{time}'}|${at.toISOString()}>`,
    mention: (id: string) => `<@${id}>`,
    ago: (at: Date) => `<!date^${Math.floor(at.getTime() / 1000)}^{ago}|since ${at.toISOString()}>`,
  });
}

describe('toBlocks: the incident card', () => {
  it('renders header, sections, fields, buttons and context as Block Kit', () => {
    const out = toBlocks(card());
    expect(violations(out)).toEqual([]);
    expect(out.text).toBe('🟠 INC-42: GPU nodes failing — SEV2, investigating');
    expect(out.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'actions',
      'context',
    ]);

    const [header, description, update, fields, actions, context] = out.blocks as [
      types.HeaderBlock,
      types.SectionBlock,
      types.SectionBlock,
      types.SectionBlock,
      types.ActionsBlock,
      types.ContextBlock,
    ];
    expect(header.text).toEqual({ type: 'plain_text', text: '🟠 INC-42: GPU nodes failing', emoji: true });
    expect(description.text).toEqual({ type: 'mrkdwn', text: 'Xid 79 on gpu-node-5; jobs are failing' });
    // The reader's own time zone: Slack's date token survives escaping.
    expect(update.text?.text).toMatch(
      /^\*Latest update\* \(<!date\^\d+\^\{time\}\|[^<>]+>, Bob\):\nDraining gpu-node-5$/,
    );

    expect(fields.fields?.map((f) => f.text)).toEqual([
      '*Severity*\nSEV2 · Major degradation · respond &lt; 15 min',
      '*Status*\n🔍 investigating',
      '*Commander*\n<@U0BOB>',
      '*Communications lead*\n_unassigned_',
      '*Responders*\n_unassigned_',
      expect.stringMatching(
        /^\*Declared\*\n<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]+> by <@U_ALICE>$/,
      ),
    ]);

    const buttons = actions.elements as types.Button[];
    expect(buttons.map((b) => [b.action_id, b.value, b.text.text, b.style])).toEqual([
      [
        cardButtonId('take-command', 'inc_1'),
        cardButtonId('take-command', 'inc_1'),
        'Take over command',
        undefined,
      ],
      [cardButtonId('mitigated', 'inc_1'), cardButtonId('mitigated', 'inc_1'), 'Mark mitigated', undefined],
      [cardButtonId('sev1', 'inc_1'), cardButtonId('sev1', 'inc_1'), 'Raise to SEV1', undefined],
      [cardButtonId('sev3', 'inc_1'), cardButtonId('sev3', 'inc_1'), 'Lower to SEV3', undefined],
      [cardButtonId('resolve', 'inc_1'), cardButtonId('resolve', 'inc_1'), 'Resolve', 'primary'],
    ]);
    expect(buttons[4]!.confirm).toEqual({
      title: { type: 'plain_text', text: 'Resolve INC-42?', emoji: true },
      text: { type: 'plain_text', text: 'Impact has ended and no more mitigation is needed.', emoji: true },
      confirm: { type: 'plain_text', text: 'Resolve', emoji: true },
      deny: { type: 'plain_text', text: 'Not yet', emoji: true },
    });
    expect(context.elements).toEqual([
      // Slack draws "30 minutes ago" itself, whenever the card is read: it never goes stale.
      {
        type: 'mrkdwn',
        text: `Declared <!date^${Math.floor(minutes(0).getTime() / 1000)}^{ago}|since ${minutes(0).toISOString()}>`,
      },
      { type: 'mrkdwn', text: 'Commands: /incident help' },
    ]);
  });

  it('gives a destructive button a red confirm button in its dialog', () => {
    const out = toBlocks(card({ status: 'resolved', resolvedAt: minutes(20) }));
    const close = out.blocks
      .flatMap((b) => (b.type === 'actions' ? b.elements : []))
      .find((e) => e.type === 'button' && e.action_id === cardButtonId('close', 'inc_1')) as types.Button;
    expect(close.style).toBe('danger');
    expect(close.confirm?.style).toBe('danger');
  });
});

describe('toBlocks: escaping', () => {
  const section = (text: string) => {
    const b = toBlocks({ text, sections: [text] }).blocks[0] as types.SectionBlock;
    return b.text?.text;
  };

  it("escapes Slack's three control characters in prose", () => {
    expect(section('if a < b && b > c')).toBe('if a &lt; b &amp;&amp; b &gt; c');
    expect(section('/incident help <command>')).toBe('/incident help &lt;command&gt;');
    expect(section('&amp; stays literal')).toBe('&amp;amp; stays literal');
  });

  it('keeps our links, escaping & in them', () => {
    expect(section('see <https://grafana.example/d?a=1&b=2|the dashboard>')).toBe(
      'see <https://grafana.example/d?a=1&amp;b=2|the dashboard>',
    );
    expect(section('<mailto:oncall@example.com>')).toBe('<mailto:oncall@example.com>');
    expect(section('<javascript:alert(1)|x>')).toBe('&lt;javascript:alert(1)|x&gt;');
  });

  it('keeps the user and user-group references the message declares, and channel references', () => {
    const text = '<@U123> in <#C456> and <#C789|inc-1>, paging <!subteam^S42|oncall>';
    const b = toBlocks({ text, sections: [text], mentions: ['U123', 'S42'] }).blocks[0] as types.SectionBlock;
    expect(b.text?.text).toBe(text);
  });

  it('shows every other user or user-group reference literally: quoted text pings nobody', () => {
    const text = 'GPU down <!subteam^S0123|@sre> <@U0123> cc <@U123>';
    const out = toBlocks({ text, sections: [text], mentions: ['U123'] });
    expect((out.blocks[0] as types.SectionBlock).text?.text).toBe(
      'GPU down &lt;!subteam^S0123|@sre&gt; &lt;@U0123&gt; cc <@U123>',
    );
    expect(out.text).toBe('GPU down &lt;!subteam^S0123|@sre&gt; &lt;@U0123&gt; cc <@U123>');
    expect(section('<@U123> and <!subteam^S42>')).toBe('&lt;@U123&gt; and &lt;!subteam^S42&gt;');
  });

  it('shows a link whose label names another address with its real target', () => {
    expect(section('<https://evil.example/x|https://good.example>')).toBe('<https://evil.example/x>');
    expect(section('see <https://evil.example|good.example/login> now')).toBe(
      'see <https://evil.example> now',
    );
    // A label naming the target's own host, or no host at all, stays.
    expect(section('<https://grafana.example/d/1|grafana.example>')).toBe(
      '<https://grafana.example/d/1|grafana.example>',
    );
    expect(section('<https://runbooks.example/xid|runbook>')).toBe('<https://runbooks.example/xid|runbook>');
  });

  it('does not let quoted text broadcast to a whole channel', () => {
    expect(section('ping <!channel> and <!here>')).toBe('ping &lt;!channel&gt; and &lt;!here&gt;');
  });

  it('escapes everything inside code, where nothing is a token', () => {
    expect(section('`<@U123> & <none>`')).toBe('`&lt;@U123&gt; &amp; &lt;none&gt;`');
    expect(section('```\nNAME  <none>  a&b\n```')).toBe('```\nNAME  &lt;none&gt;  a&amp;b\n```');
  });

  it('leaves plain text (header, buttons) unescaped, as Slack shows it literally', () => {
    const out = toBlocks({
      text: 'x',
      header: 'A < B & C',
      buttons: [{ id: 'card:resolve:inc_1', label: 'Go > now' }],
    });
    expect((out.blocks[0] as types.HeaderBlock).text.text).toBe('A < B & C');
    expect(((out.blocks[1] as types.ActionsBlock).elements[0] as types.Button).text.text).toBe('Go > now');
    expect(out.text).toBe('x');
  });

  it('escapes the notification fallback too', () => {
    expect(toBlocks({ text: 'a < b' }).text).toBe('a &lt; b');
  });
});

describe('toBlocks: limits', () => {
  it('cuts a header to 150 characters, on one line', () => {
    const out = toBlocks({ text: 't', header: `${'h'.repeat(200)}\nsecond line` });
    const text = (out.blocks[0] as types.HeaderBlock).text.text;
    expect(text).toHaveLength(150);
    expect(text.endsWith('…')).toBe(true);
    expect(toBlocks({ text: 't', header: 'one\ntwo' }).blocks[0]).toMatchObject({
      text: { text: 'one two' },
    });
  });

  it('splits a long section on paragraph boundaries', () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i}: ${'word '.repeat(40).trim()}`);
    const out = toBlocks({ text: 't', sections: [paragraphs.join('\n\n')] });
    expect(violations(out)).toEqual([]);
    const texts = out.blocks.map((b) => (b as types.SectionBlock).text!.text);
    expect(texts.length).toBeGreaterThan(2);
    for (const t of texts) expect(t.startsWith('Paragraph ')).toBe(true);
    expect(texts.join('\n\n')).toBe(paragraphs.join('\n\n'));
  });

  it('keeps a code block whole when it fits in a block of its own', () => {
    const prose = Array.from({ length: 8 }, (_, i) => `Line of prose ${i} ${'x'.repeat(120)}`).join('\n\n');
    const code = `\`\`\`\n${Array.from({ length: 30 }, (_, i) => `row ${i} ${'y'.repeat(70)}`).join('\n')}\n\`\`\``;
    const out = toBlocks({ text: 't', sections: [`${prose}\n\n${code}`] });
    const texts = out.blocks.map((b) => (b as types.SectionBlock).text!.text);
    expect(texts).toHaveLength(2);
    expect(texts[1]).toBe(code);
  });

  it('closes and reopens a code block that is itself too long for one block', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `row ${i} ${'z'.repeat(60)}`);
    const out = toBlocks({ text: 't', sections: [`Output:\n\`\`\`\n${lines.join('\n')}\n\`\`\``] });
    expect(violations(out)).toEqual([]);
    const texts = out.blocks.map((b) => (b as types.SectionBlock).text!.text);
    expect(texts.length).toBeGreaterThan(3);
    for (const t of texts) expect(t.split('```').length % 2).toBe(1); // balanced fences
    const rows = texts.join('\n').match(/row \d+/g);
    expect(rows).toHaveLength(200);
  });

  it('cuts a line longer than a block without breaking an entity or a link', () => {
    const text = `${'a&b '.repeat(900)}<https://example.com/x|link> ${'c<d '.repeat(900)}`;
    const pieces = splitMrkdwn(toMrkdwn(text), 3000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(3000);
      expect(escapedCompletely(p)).toBe(true);
    }
  });

  it('puts fields in sections of at most 10, label bold then value, each at most 2000 characters', () => {
    const fields = Array.from({ length: 25 }, (_, i) => ({
      label: `L${i}`,
      value: i === 3 ? 'v'.repeat(5000) : `v${i}`,
    }));
    const out = toBlocks({ text: 't', fields });
    expect(violations(out)).toEqual([]);
    expect(out.blocks.map((b) => (b as types.SectionBlock).fields?.length)).toEqual([10, 10, 5]);
    const first = (out.blocks[0] as types.SectionBlock).fields!;
    expect(first[0]!.text).toBe('*L0*\nv0');
    expect(first[3]!.text.length).toBeLessThanOrEqual(2000);
    expect(first[3]!.text).toMatch(/^\*L3\*\nv{1900,}…$/);
  });

  it('puts buttons in actions blocks of at most 25, dropping repeated and impossible ids', () => {
    const buttons: ChatButton[] = Array.from({ length: 30 }, (_, i) => ({
      id: `act:approve:a${i}`,
      label: `B${i}`,
    }));
    const out = toBlocks({
      text: 't',
      buttons: [
        ...buttons,
        { id: 'act:approve:a0', label: 'again' },
        { id: 'x'.repeat(256), label: 'too long' },
        { id: '', label: 'empty' },
        { id: 'act:cancel:long', label: 'L'.repeat(100) },
      ],
    });
    expect(violations(out)).toEqual([]);
    // Without a header, sections or fields, the text shows first, as in the sandbox.
    expect(out.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 't' } });
    const blocks = out.blocks.filter((b): b is types.ActionsBlock => b.type === 'actions');
    expect(blocks.map((b) => b.elements.length)).toEqual([25, 6]);
    const ids = blocks.flatMap((b) => b.elements.map((e) => (e as types.Button).action_id));
    expect(ids).toEqual([...buttons.map((b) => b.id), 'act:cancel:long']);
    expect((blocks[1]!.elements[5] as types.Button).text.text).toHaveLength(75);
  });

  it("keeps a confirmation dialog within Slack's lengths", () => {
    const out = toBlocks({
      text: 't',
      buttons: [
        {
          id: 'act:approve:a1',
          label: 'Approve',
          style: 'danger',
          confirm: { title: 'T'.repeat(150), text: 'x'.repeat(400), confirm: 'C'.repeat(40), deny: '' },
        },
      ],
    });
    expect(violations(out)).toEqual([]);
    const confirm = ((out.blocks[1] as types.ActionsBlock).elements[0] as types.Button).confirm!;
    expect(confirm.title!.text).toHaveLength(100);
    expect(confirm.text.text).toHaveLength(300);
    expect(confirm.confirm!.text).toHaveLength(30);
    expect(confirm.deny!.text).toBe('Cancel');
    expect(confirm.style).toBe('danger');
  });

  it('puts context in blocks of at most 10 elements', () => {
    const out = toBlocks({ text: 't', context: Array.from({ length: 12 }, (_, i) => `c${i}`) });
    const blocks = out.blocks.filter((b): b is types.ContextBlock => b.type === 'context');
    expect(blocks.map((b) => b.elements.length)).toEqual([10, 2]);
  });

  it('stays within 50 blocks by dropping the oldest section text, with a marker, never a button', () => {
    const sections = Array.from({ length: 80 }, (_, i) => `Section ${i}`);
    const buttons = Array.from({ length: 60 }, (_, i) => ({ id: `act:approve:b${i}`, label: `B${i}` }));
    const out = toBlocks({ text: 't', header: 'H', sections, buttons, fields: [{ label: 'a', value: 'b' }] });
    expect(violations(out)).toEqual([]);
    expect(out.blocks).toHaveLength(50);
    const texts = out.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
    // 50 − header − fields − 3 actions = 45: the marker and the newest 44 sections.
    expect(texts[0]).toMatch(/^_… 36 earlier parts are not shown/);
    expect(texts[1]).toBe('Section 36');
    expect(texts.at(-1)).toBe('Section 79');
    const ids = out.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    expect(ids).toHaveLength(60);
  });

  it('cuts the fallback text to 3000 characters', () => {
    const out = toBlocks({ text: 'a&'.repeat(3000) });
    expect(out.text.length).toBeLessThanOrEqual(3000);
    expect(escapedCompletely(out.text)).toBe(true);
  });

  it('always renders something, even for an empty message', () => {
    const out = toBlocks({ text: '' });
    expect(violations(out)).toEqual([]);
    expect(out.blocks).toHaveLength(1);
  });
});

describe('toBlocks: any message', () => {
  // Fragments that exercise markup, escaping and cutting; repeated to pass every length limit.
  const fragment = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.constantFrom(
      '```',
      '`',
      '\n',
      '\n\n',
      ' ',
      '*bold*',
      '_it_',
      '<',
      '>',
      '&',
      '&amp;',
      '|',
      '<https://example.com/a?b=1&c=2|label>',
      '<https://example.com>',
      '<https://example.com|two\n\nlines>',
      '<@U123>',
      '<#C123|inc>',
      '<!here>',
      '<!subteam^S1>',
      '<!date^1700000000^{time}|12:00 UTC>',
      '🔴',
      '\ud83d',
    ),
  );
  const text = fc
    .tuple(fc.array(fragment, { maxLength: 12 }), fc.constantFrom(1, 1, 1, 20, 400))
    .map(([parts, times]) => parts.join('').repeat(times));
  const button = fc.record(
    {
      id: fc.oneof(
        fc.constantFrom('card:resolve:inc_1', 'act:approve:a1', ''),
        fc.string({ maxLength: 300 }),
      ),
      label: text,
      style: fc.constantFrom('primary', 'danger'),
      confirm: fc.record({ title: text, text, confirm: text, deny: text }),
    },
    { requiredKeys: ['id', 'label'] },
  ) as fc.Arbitrary<ChatButton>;
  const message = fc.record(
    {
      text,
      header: text,
      sections: fc.array(text, { maxLength: 70 }),
      fields: fc.array(fc.record({ label: text, value: text }), { maxLength: 30 }),
      buttons: fc.array(button, { maxLength: 60 }),
      context: fc.array(text, { maxLength: 25 }),
    },
    { requiredKeys: ['text'] },
  ) as fc.Arbitrary<ChatMessage>;

  it('never throws and never exceeds a Slack limit', () => {
    fc.assert(
      fc.property(message, (m) => {
        const out = toBlocks(m);
        expect(violations(out)).toEqual([]);
        // Every button that can be one reaches Slack: never dropped for space.
        const wanted = new Set((m.buttons ?? []).map((b) => b.id).filter((id) => id && id.length <= 255));
        const got = out.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
        expect(got).toHaveLength(wanted.size);
      }),
      { numRuns: 300 },
    );
  });

  it('escapes every control character that is not a token', () => {
    fc.assert(
      fc.property(message, (m) => {
        for (const t of mrkdwnTexts(toBlocks(m))) expect(escapedCompletely(t)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('declare modal', () => {
  it('is a modal Slack accepts: callback id, channel in private_metadata, four inputs', () => {
    const view = declareModal({ channelId: 'C0GENERAL' });
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe(DECLARE_CALLBACK_ID);
    expect(JSON.parse(view.private_metadata!)).toEqual({ channelId: 'C0GENERAL' });
    for (const t of [view.title, view.submit, view.close]) expect(t!.text.length).toBeLessThanOrEqual(24);
    const blocks = view.blocks as types.InputBlock[];
    expect(blocks.map((b) => [b.block_id, b.optional ?? false, b.element.type])).toEqual([
      ['title', false, 'plain_text_input'],
      ['severity', false, 'static_select'],
      ['description', true, 'plain_text_input'],
      ['visibility', true, 'checkboxes'],
    ]);
    expect(blocks[0]!.element).toMatchObject({ action_id: 'title', max_length: 200 });
    expect(blocks[2]!.element).toMatchObject({ action_id: 'description', multiline: true, max_length: 3000 });
    const select = blocks[1]!.element as types.StaticSelect;
    expect(select.options!.map((o) => o.value)).toEqual([...SEVERITIES]);
    expect(select.initial_option).toEqual(select.options![2]);
    for (const o of select.options!) {
      expect(o.text.text.length).toBeLessThanOrEqual(75);
      expect(o.description!.text.length).toBeLessThanOrEqual(75);
    }
    expect(select.options![0]!.text.text).toBe('SEV1 · Total outage');
    expect((blocks[3]!.element as types.Checkboxes).initial_options).toBeUndefined();
  });

  it('fills in defaults', () => {
    const view = declareModal({
      channelId: 'C1',
      defaults: { title: 't'.repeat(300), severity: 'SEV1', description: 'known', private: true },
    });
    const blocks = view.blocks as types.InputBlock[];
    expect((blocks[0]!.element as types.PlainTextInput).initial_value).toHaveLength(200);
    expect((blocks[1]!.element as types.StaticSelect).initial_option?.value).toBe('SEV1');
    expect((blocks[2]!.element as types.PlainTextInput).initial_value).toBe('known');
    expect((blocks[3]!.element as types.Checkboxes).initial_options?.map((o) => o.value)).toEqual([
      'private',
    ]);
  });

  const submitted = (
    v: { title?: string | null; severity?: string; description?: string | null; private?: boolean },
    metadata = JSON.stringify({ channelId: 'C0GENERAL' }),
  ) => ({
    private_metadata: metadata,
    state: {
      values: {
        title: { title: { type: 'plain_text_input', value: v.title ?? null } },
        severity: {
          severity: {
            type: 'static_select',
            selected_option: v.severity
              ? { text: { type: 'plain_text', text: v.severity }, value: v.severity }
              : null,
          },
        },
        description: { description: { type: 'plain_text_input', value: v.description ?? null } },
        visibility: {
          visibility: {
            type: 'checkboxes',
            selected_options: v.private
              ? [{ text: { type: 'plain_text', text: 'Private' }, value: 'private' }]
              : [],
          },
        },
      },
    },
  });

  it('reads a submission', () => {
    expect(
      parseDeclareSubmission(submitted({ title: '  gpu-node-5 down ', severity: 'SEV2', private: true })),
    ).toEqual({
      options: { title: 'gpu-node-5 down', severity: 'SEV2', description: '', private: true },
      channelId: 'C0GENERAL',
    });
    expect(
      parseDeclareSubmission(submitted({ title: 'x', severity: 'SEV4', description: 'd' })),
    ).toMatchObject({ options: { description: 'd', private: false } });
  });

  it('answers bad fields with /incident declare’s own words, keyed by block id', () => {
    expect(parseDeclareSubmission(submitted({ title: '   ', severity: 'SEV9' }))).toEqual({
      errors: {
        title: 'The title is empty.',
        severity: 'Severity must be one of SEV1, SEV2, SEV3, SEV4 (SEV1 is the most severe).',
      },
    });
    expect(
      parseDeclareSubmission(
        submitted({ title: 't'.repeat(201), severity: 'SEV1', description: 'd'.repeat(3001) }),
      ),
    ).toEqual({
      errors: {
        title: 'The title is longer than 200 characters.',
        description: 'The description is longer than 3000 characters.',
      },
    });
  });

  it('says so when the form has lost its channel', () => {
    for (const metadata of ['', 'not json', JSON.stringify({ channelId: '<script>' })]) {
      expect(parseDeclareSubmission(submitted({ title: 't', severity: 'SEV3' }, metadata))).toEqual({
        errors: { title: expect.stringContaining('/incident declare') },
      });
    }
    expect(parseDeclareSubmission({})).toHaveProperty('errors.title');
  });
});
