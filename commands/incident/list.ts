import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { formatDuration } from '../../src/core/index.ts';
import { incidentRef, severityEmoji } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'list',
  description: 'List open incidents (--all includes resolved and closed); private ones only to their members',
  options: z.object({ all: z.boolean().default(false).describe('Include resolved and closed incidents') }),
  short: { all: 'a' },
  permission: 'anyone',
  incident: 'none',
  async execute(ctx, o) {
    const statuses = o.all ? undefined : (['declared', 'investigating', 'mitigated'] as const);
    const incidents = await ctx.services.visibility.list(ctx.chat, ctx.actor, statuses, 50);
    if (incidents.length === 0) return ephemeral(o.all ? 'No incidents yet.' : 'No open incidents. 🎉');
    const now = ctx.clock.now().getTime();
    const lines = incidents.map((i) => {
      const where = i.channelId
        ? ctx.chat.channelLink({ id: i.channelId, name: i.channelName ?? '' })
        : '(no channel)';
      const age = formatDuration((i.resolvedAt?.getTime() ?? now) - i.createdAt.getTime());
      return `${severityEmoji(i.severity)} ${incidentRef(i)} · ${i.severity} · ${i.status} · ${age} · ${i.title} · ${where}`;
    });
    const header = o.all ? `Incidents (${incidents.length})` : `Open incidents (${incidents.length})`;
    return ephemeral({ text: header, header, sections: [lines.join('\n')] });
  },
});
