import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { incidentRef, truncate } from '../../src/incidents/format.ts';
import { formatTimelineEntry } from '../../src/incidents/timeline-format.ts';

export default defineCommand({
  group: 'incident',
  name: 'timeline',
  description: 'Show the incident’s timeline (key events only with --key)',
  options: z.object({
    key: z.boolean().default(false).describe('Only key events (📌, status, severity, results)'),
    last: z
      .number({ error: 'must be a whole number from 1 to 500' })
      .int('must be a whole number from 1 to 500')
      .min(1, 'must be a whole number from 1 to 500')
      .max(500, 'must be a whole number from 1 to 500')
      .default(40)
      .describe('How many of the latest entries to show'),
  }),
  short: { key: 'k', last: 'n' },
  examples: ['/incident timeline', '/incident timeline --key'],
  permission: 'anyone',
  incident: 'required',
  async execute(ctx, o) {
    const incident = ctx.incident;
    const all = (await ctx.services.incidents.timeline(incident)).filter((e) => !o.key || e.key);
    const shown = all.slice(-o.last);
    const tz = ctx.actor.timeZone ?? ctx.services.displayTimeZone;
    const lines = shown.map((e) => formatTimelineEntry(e, tz));
    const header = `Timeline of ${incidentRef(incident)}${o.key ? ' (key events)' : ''}: ${all.length} entr${all.length === 1 ? 'y' : 'ies'}`;
    const more =
      all.length > shown.length
        ? [`${all.length - shown.length} earlier entries not shown (use --last).`]
        : [];
    const body = lines.length ? lines.join('\n') : '_nothing yet_';
    return ephemeral({
      text: header,
      header,
      sections: [truncate(body, ctx.chat.capabilities.maxTextLength)],
      context: [...more, `Times in ${tz}.`],
    });
  },
});
