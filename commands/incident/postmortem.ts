import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { incidentRef } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'postmortem',
  description: 'Draft the post-mortem from the timeline (again), posted as a Markdown file in the channel',
  options: z.object({}),
  examples: ['/incident postmortem'],
  permission: 'anyone',
  incident: 'required',
  async execute(ctx) {
    const draft = await ctx.services.postmortem.publish(ctx.incident, ctx.actor);
    const { postmortem } = draft;
    const how =
      postmortem.source === 'llm'
        ? `written with ${postmortem.model}`
        : `deterministic (${draft.fallbackReason ?? 'no model configured'})`;
    return ephemeral(
      `Post-mortem draft v${postmortem.version} for ${incidentRef(ctx.incident)} posted in the channel: ${how}.`,
    );
  },
});
