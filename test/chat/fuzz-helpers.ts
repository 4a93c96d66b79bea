import { resolve } from 'node:path';
import fc from 'fast-check';
import { type Logger, pino } from 'pino';
import { expect } from 'vitest';
import { z } from 'zod';
import { commands } from '../../commands/index.ts';
import { createInboundHandler } from '../../src/app/inbound.ts';
import { ephemeral, type Reply } from '../../src/chat/message.ts';
import type { InboundEvent, InboundHandler } from '../../src/chat/port.ts';
import type { CommandDefinition } from '../../src/commands/define.ts';
import { CommandRegistry } from '../../src/commands/registry.ts';
import type { harness } from '../incidents/harness.ts';

/*
 * What the Slack and Discord payload fuzz tests share: what a clear answer and a well-formed
 * InboundEvent are, the arbitrary values they build payloads from, mutations of real payloads,
 * and a command registry that parses but does not act.
 */

/** The repository's root, which text a person reads must never name. */
export const ROOT = resolve(import.meta.dirname, '../..');

/** A stack frame, a source location or a raw JS error name in text a person reads. */
export function leaks(text: string): boolean {
  return (
    /\n\s*at \S/.test(text) ||
    /\.[cm]?[jt]s:\d+:\d+/.test(text) ||
    text.includes(ROOT) ||
    /node_modules[\\/]/.test(text) ||
    /\b(?:Type|Reference|Range|Syntax)Error\b/.test(text)
  );
}

/** The generic error line: it means something other than a BotError escaped a parser. */
export const GENERIC = /Something went wrong on the bot's side/;

const nonEmpty = z.string().min(1);
const base = {
  eventId: nonEmpty,
  channelId: nonEmpty,
  actor: z.object({
    id: nonEmpty,
    name: z.string(),
    groups: z.array(z.string()),
    timeZone: z.string().optional(),
  }),
  // zod's date() refuses an Invalid Date: the timeline stores `at` as ISO text.
  at: z.date(),
};
/** The port's InboundEvent, as the core trusts it to be (src/chat/port.ts). */
export const inboundEvent = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('command'),
    command: nonEmpty,
    text: z.string(),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
  z.object({ ...base, type: z.literal('button'), buttonId: nonEmpty, messageId: nonEmpty }),
  z.object({
    ...base,
    type: z.literal('message'),
    messageId: nonEmpty,
    text: z.string(),
    threadId: nonEmpty.optional(),
  }),
  z.object({ ...base, type: z.literal('message_edited'), messageId: nonEmpty, text: z.string() }),
  z.object({ ...base, type: z.literal('message_deleted'), messageId: nonEmpty }),
  z.object({
    ...base,
    type: z.literal('reaction'),
    messageId: nonEmpty,
    emoji: nonEmpty,
    added: z.boolean(),
  }),
  z.object({ ...base, type: z.literal('pin'), messageId: nonEmpty, added: z.boolean() }),
]);

/** Throws, naming every field that is off, unless `event` is a well-formed InboundEvent. */
export function expectWellFormed(event: InboundEvent): void {
  const r = inboundEvent.safeParse(event);
  if (!r.success) {
    throw new Error(
      `malformed InboundEvent ${JSON.stringify(event)}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
}

/** Text a person reads: no leak, not the generic line, and an error that says what is wrong. */
export function expectClearText(text: string): void {
  expect(leaks(text), text).toBe(false);
  // Not the generic line: that one means something other than a BotError escaped a parser.
  expect(text).not.toMatch(GENERIC);
  if (text.startsWith('❌')) expect(text.replace(/^❌\s*/, '').trim().length).toBeGreaterThan(5);
}

/** A reply's text and sections, if there is a reply, read as expectClearText reads text. */
export function expectClearReply(reply: Reply | undefined): void {
  if (reply) expectClearText([reply.message.text, ...(reply.message.sections ?? [])].join('\n'));
}

// ---------------------------------------------------------------- arbitrary values

/** A few graphemes repeated to 3,000-40,000 characters, past every platform's length limit. */
export const hugeText = fc
  .tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), fc.integer({ min: 3000, max: 40_000 }))
  .map(([s, n]) => s.repeat(Math.ceil(n / s.length)));

/** Odd strings: any short text, any bytes, the platform's own tricky `constants`, or huge text. */
export function oddTextOf(constants: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(...constants),
    hugeText,
  );
}

/** Any value a field could hold instead of the expected one: odd text, any JSON, odd scalars. */
export function weirdOf(oddText: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.oneof(
    oddText,
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom<unknown>(null, true, false, 0, -1, 1e308, [], {}),
  );
}

// ---------------------------------------------------------------- mutations of real payloads

/** Where a value sits in a JSON value: object keys and array indexes. */
export type Path = (string | number)[];

/** Every path into a JSON value (objects and arrays), shallow first; capped so huge payloads stay cheap. */
export function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (out.length > 400 || prefix.length > 6 || typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) {
    const p = [...prefix, Array.isArray(value) ? Number(k) : k];
    out.push(p);
    pathsOf(v, p, out);
  }
  return out;
}

/** One change to a payload: delete, or replace with `value`, the `pick`-th of its paths. */
export interface Mutation {
  readonly pick: number;
  readonly op: 'delete' | 'replace';
  readonly value: unknown;
}

/** Mutations whose replacement values come from `weird`. */
export function mutationOf(weird: fc.Arbitrary<unknown>): fc.Arbitrary<Mutation> {
  return fc.record({
    pick: fc.nat(),
    op: fc.constantFrom<'delete' | 'replace'>('delete', 'replace'),
    value: weird,
  });
}

/** A copy of `payload` with each mutation applied in turn (the original is left alone). */
export function mutate<T>(payload: T, mutations: readonly Mutation[]): T {
  const copy = structuredClone(payload) as any;
  for (const m of mutations) {
    const paths = pathsOf(copy);
    if (paths.length === 0) break;
    const path = paths[m.pick % paths.length]!;
    let parent = copy;
    for (const k of path.slice(0, -1)) parent = parent[k];
    const key = path.at(-1)!;
    if (m.op === 'delete' && Array.isArray(parent)) parent.splice(Number(key), 1);
    else if (m.op === 'delete') delete parent[key];
    else parent[key] = structuredClone(m.value);
  }
  return copy;
}

// ---------------------------------------------------------------- the bot under test

/** What a command's execute() was given, as parsingRegistry records it. */
export type Executed = { command: string; options: Record<string, unknown> };

/** Commands as registered, with execute() recording what it was given instead of acting. */
export function parsingRegistry(executed: Executed[]): CommandRegistry {
  return new CommandRegistry(
    commands.map(
      (d) =>
        ({
          ...d,
          async execute(_ctx: unknown, options: Record<string, unknown>) {
            executed.push({ command: `${d.group} ${d.name}`, options });
            return ephemeral(`ran /${d.group} ${d.name}`);
          },
        }) as unknown as CommandDefinition,
    ),
  );
}

/** The real inbound handler for `platform` over the harness, with parsingRegistry's commands. */
export function parsingInbound(
  platform: 'slack' | 'discord',
  h: Awaited<ReturnType<typeof harness>>,
  executed: Executed[],
): InboundHandler {
  return createInboundHandler({ id: platform } as never, {
    services: h.services,
    registry: parsingRegistry(executed),
    store: h.store,
    clock: h.clock,
    logger: pino({ level: 'silent' }),
    reminders: h.reminders,
  });
}

/** A pino log line as the fuzz tests read it back. */
export interface LogRecord {
  level: number;
  msg?: string;
  err?: { stack?: string; message?: string };
}

/** A debug-level logger whose every line is parsed into `logs`, for the tests to read back. */
export function logCapture(): { logs: LogRecord[]; logger: Logger } {
  const logs: LogRecord[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void logs.push(JSON.parse(line) as LogRecord) },
  );
  return { logs, logger };
}
