import {
  formatDuration,
  REDACT_MARGIN,
  SEVERITY_INFO,
  type TimelineEntry,
  truncateText,
} from '../core/index.ts';
import { describePerson, type PostmortemFacts } from './facts.ts';
import type { Claim, Narrative } from './narrative.ts';
import { cut } from './prompt.ts';
import type { Redactor } from './redact.ts';
import type { TimeFormat } from './time.ts';

export interface RenderInput {
  readonly facts: PostmortemFacts;
  /** The validated narrative; null: the narrative sections become questions for the author. */
  readonly narrative: Narrative | null;
  readonly fmt: TimeFormat;
  readonly redact: Redactor;
  readonly generatedAt: Date;
  readonly model: string | null;
  /** Why there is no narrative (shown under the header). */
  readonly reason: string | null;
}

const MAX_KEY_EVENTS = 60;
const MAX_TEXT = 240;

/**
 * The draft, in the shape of the usual post-mortem template (header, timeline, root cause,
 * mitigation, prevention checklist, lessons, what went well/wrong). Everything with a time, a
 * duration, an action or a name is rendered from the facts; the model only fills prose, and every
 * citation it makes is listed under Sources with the entry it points at.
 */
export function renderMarkdown(input: RenderInput): string {
  const { facts, narrative, fmt, redact } = input;
  const { incident } = facts;
  const byId = new Map(facts.entries.map((e) => [e.id, e]));
  const cited = new Set<number>();
  const day = fmt.local(facts.start).date;
  const time = (at: Date) => {
    const t = fmt.local(at);
    return t.date === day ? t.hm : `${t.date} ${t.hm}`;
  };
  const cite = (ids: readonly (number | null)[]) => {
    const real = [...new Set(ids.filter((i): i is number => i !== null && byId.has(i)))];
    for (const i of real) cited.add(i);
    return real.map((i) => `[#${i}]`).join(' ');
  };
  // Cut (with a margin for a secret straddling the cut) before redacting: only what is shown is
  // worth redacting, and a 40,000-character message then costs what a short one does.
  const text = (s: string, max = MAX_TEXT) => oneLine(redact(cut(unbreak(s), max + REDACT_MARGIN)), max);
  const claim = (c: Claim) => {
    const inline = new Set([...c.text.matchAll(/#(\d+)\b/g)].map((m) => Number(m[1])));
    for (const i of inline) if (byId.has(i)) cited.add(i);
    const refs = cite(c.cites.filter((i) => !inline.has(i)));
    return `${text(c.text, 2000)}${refs ? ` ${refs}` : ''}`;
  };
  const question = (q: string, given: readonly number[]) => {
    // One entry can answer several parts of a question (acknowledged and mitigated at once): once.
    const hints = [...new Set(given)];
    for (const i of hints) cited.add(i);
    return `_${q}${hints.length ? ` (timeline: ${hints.map((i) => `#${i}`).join(', ')})` : ''}_`;
  };
  const hints = hintIds(facts);

  const out: string[] = [];
  out.push(`# Post-mortem INC-${incident.number}: ${text(incident.title, 300)}`, '');

  const zone = fmt.zoneLabel;
  const { durations: d } = facts;
  const firstAlert = facts.milestones.find((m) => m.kind === 'first_alert');
  const startLabel = firstAlert && firstAlert.at <= incident.createdAt ? 'first alert' : 'declared';
  const duration = d.ongoing
    ? `ongoing, ${formatDuration(d.total)} so far (${startLabel} ${time(facts.start)} ${zone})`
    : `${formatDuration(d.total)} (${startLabel} ${time(facts.start)} → resolved ${time(facts.end!)} ${zone})`;
  const impact = narrative
    ? claim(narrative.impact)
    : `${SEVERITY_INFO[incident.severity].impact}. ${question('What was the impact on users, jobs and capacity?', hints.impact)}`;
  out.push(
    `- **Date:** ${day}`,
    `- **Duration:** ${duration}`,
    `- **Severity:** ${incident.severity} (${SEVERITY_INFO[incident.severity].impact})`,
    `- **Impact:** ${impact}`,
    `- **Status:** ${incident.status}`,
  );
  if (facts.nodes.length)
    out.push(`- **Nodes:** ${facts.nodes.slice(0, 20).join(', ')}${facts.nodes.length > 20 ? ', …' : ''}`);
  if (facts.alerts.length) {
    out.push(
      `- **Alerts:** ${facts.alerts
        .slice(0, 10)
        .map((a) => `${text(a.name, 80)}${a.count > 1 ? ` ×${a.count}` : ''}`)
        .join(', ')}`,
    );
  }
  if (facts.people.length)
    out.push(`- **People:** ${facts.people.map((p) => text(describePerson(p), 120)).join(', ')}`);
  out.push('');
  out.push(
    narrative
      ? `> Draft from the incident record. The narrative was written by a model${input.model ? ` (${input.model})` : ''} and cites timeline entries as [#id] (listed under Sources); times, durations, actions and people come from the record. Review before sharing.`
      : `> Draft from the incident record; the narrative sections are questions for the author.${input.reason ? ` Why: ${text(input.reason, 500)}` : ''}`,
    '',
  );

  out.push('## Summary', '');
  out.push(
    narrative
      ? claim(narrative.summary)
      : question('What happened, in two or three sentences?', hints.summary),
    '',
  );

  out.push('## Timeline', '', `Times in ${zone}.`, '', '| Time | Event | Entry |', '|---|---|---|');
  for (const m of facts.milestones) out.push(`| ${time(m.at)} | ${m.label} | ${cite([m.entryId]) || '—'} |`);
  out.push('');
  const spans = [
    d.toDeclare !== null ? `first alert → declared ${formatDuration(d.toDeclare)}` : null,
    d.toAcknowledge !== null ? `to acknowledge ${formatDuration(d.toAcknowledge)}` : null,
    d.toMitigate !== null ? `to mitigate ${formatDuration(d.toMitigate)}` : null,
    d.toResolve !== null ? `to resolve ${formatDuration(d.toResolve)}` : null,
  ].filter((s) => s !== null);
  if (spans.length) out.push(`Time ${spans.join(' · ')} (from the declaration unless noted).`, '');
  const milestoneIds = new Set(facts.milestones.map((m) => m.entryId));
  const events = facts.keyEvents.filter((e) => !milestoneIds.has(e.id));
  if (events.length) {
    out.push('### Key events', '');
    for (const e of events.slice(0, MAX_KEY_EVENTS))
      out.push(`- ${time(e.at)} ${eventText(e, text)} ${cite([e.id])}`);
    if (events.length > MAX_KEY_EVENTS) {
      out.push(`- … and ${events.length - MAX_KEY_EVENTS} more key events (/incident timeline --key).`);
    }
    out.push('');
  }

  out.push('## Root cause', '');
  out.push(
    narrative
      ? claim(narrative.rootCause)
      : question('What was the root cause, and what contributed to it?', hints.rootCause),
    '',
  );

  out.push('## Mitigation actions', '');
  if (facts.actions.length === 0) out.push('_No mitigation actions were recorded._');
  facts.actions.forEach((a, i) => {
    const parts: string[] = [`requested by ${text(a.requestedBy, 80)} at ${time(a.requestedAt)}`];
    if (a.decidedBy && a.decidedAt) {
      const verb = a.status === 'cancelled' ? 'cancelled' : 'approved';
      parts.push(`${verb} by ${text(a.decidedBy, 80)} at ${time(a.decidedAt)}`);
    }
    if (a.startedAt) {
      const end = a.finishedAt && time(a.finishedAt) !== time(a.startedAt) ? `–${time(a.finishedAt)}` : '';
      parts.push(`ran ${end ? '' : 'at '}${time(a.startedAt)}${end}`);
    }
    const result = a.resultSummary ? ` Result: ${sentence(text(a.resultSummary))}` : '';
    const refs = cite(a.entryIds);
    out.push(
      `${i + 1}. **${a.kind} ${text(a.target, 120)}**: ${statusWord(a.status)}; ${parts.join(', ')}.${result}${refs ? ` ${refs}` : ''}`,
    );
  });
  out.push('');

  const list = (
    title: string,
    items: readonly Claim[] | undefined,
    q: string,
    hintsFor: readonly number[],
    box = false,
  ) => {
    const bullet = box ? '- [ ] ' : '- ';
    out.push(`## ${title}`, '');
    if (!narrative) out.push(`${bullet}${question(q, hintsFor)}`);
    else if (!items?.length) out.push('_None noted._');
    else for (const c of items) out.push(`${bullet}${claim(c)}`);
    out.push('');
  };
  list(
    'Prevention',
    narrative?.prevention,
    'What would prevent a recurrence, or catch it sooner? One checkbox per action item, with an owner.',
    hints.rootCause,
    true,
  );
  list('Lessons learned', narrative?.lessonsLearned, 'What did we learn?', hints.lessons);
  list('What went well', narrative?.whatWentWell, 'What went well (response, tools, decisions)?', hints.well);
  list(
    'What went wrong',
    narrative?.whatWentWrong,
    'What went wrong (gaps, delays, failed attempts)?',
    hints.wrong,
  );

  out.push('## Sources', '');
  for (const id of [...cited].sort((a, b) => a - b)) {
    const e = byId.get(id);
    if (e)
      out.push(
        `- [#${id}] ${fmt.local(e.at).date} ${fmt.local(e.at).hm} ${zone}, ${e.kind}: ${eventText(e, text)}`,
      );
  }
  if (cited.size === 0) out.push('_No timeline entries cited._');
  out.push(
    '',
    `_Drafted by incident-bot at ${fmt.local(input.generatedAt).date} ${fmt.local(input.generatedAt).hm} ${zone}._`,
    '',
  );
  return out.join('\n');
}

function statusWord(status: string): string {
  switch (status) {
    case 'requested':
      return 'not approved yet';
    case 'expired':
      return 'expired without approval (not run)';
    case 'cancelled':
      return 'cancelled (not run)';
    case 'unknown':
      return 'outcome unknown';
    default:
      return status;
  }
}

function eventText(e: TimelineEntry, text: (s: string, max?: number) => string): string {
  return `${e.actorName ? `${text(e.actorName, 60)}: ` : ''}${text(e.text)}`;
}

function sentence(s: string): string {
  return /[.!?…)]$/.test(s) ? s : `${s}.`;
}

/**
 * Line breaks, with the whitespace around them, become one space. One pass over the whitespace
 * runs: `\s*\n\s*` rescanned a long run of spaces from every position in it (quadratic).
 */
function unbreak(s: string): string {
  return s.replace(/\s+/g, (ws) => (ws.includes('\n') ? ' ' : ws));
}

function oneLine(s: string, max: number): string {
  const flat = unbreak(s).replace(/\|/g, '\\|').trim();
  return truncateText(flat, max);
}

/** Entries a question points the author at: where the answer is likely to be found. */
function hintIds(facts: PostmortemFacts) {
  const pick = (pred: (e: TimelineEntry) => boolean, max = 6) =>
    facts.entries
      .filter(pred)
      .slice(0, max)
      .map((e) => e.id);
  const milestones = facts.milestones.flatMap((m) => (m.entryId === null ? [] : [m.entryId]));
  const or = (ids: number[]) => (ids.length ? ids : milestones.slice(0, 6));
  const failed = (e: TimelineEntry) =>
    (e.kind === 'action_result' && e.data.ok === false) ||
    e.kind === 'action_expired' ||
    e.kind === 'escalation' ||
    e.kind === 'severity';
  const humanKey = (e: TimelineEntry) =>
    e.key && (e.kind === 'message' || e.kind === 'note' || e.kind === 'update');
  return {
    summary: milestones.slice(0, 6),
    impact: or(pick((e) => e.kind === 'declared' || e.kind === 'alert' || e.kind === 'severity')),
    rootCause: or(
      pick((e) => e.kind === 'alert' || humanKey(e) || e.kind === 'action_result' || e.kind === 'escalation'),
    ),
    lessons: or(pick(humanKey)),
    well: or(pick((e) => (e.kind === 'action_result' && e.data.ok === true) || e.kind === 'status')),
    wrong: or(pick(failed)),
  };
}
