import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { runbookOption } from '../../src/commands/options.ts';
import { findRunbook } from '../../src/runbooks/find.ts';
import { runbookDetailMessage } from '../../src/runbooks/message.ts';

export default defineCommand({
  group: 'runbook',
  name: 'show',
  description: 'A runbook: diagnostics, hints, mitigations, escalation and steps',
  options: z.object({
    name: runbookOption,
  }),
  positional: ['name'],
  examples: ['/runbook show gpu-xid'],
  permission: 'anyone',
  incident: 'none',
  async execute(ctx, o) {
    return ephemeral(runbookDetailMessage(findRunbook(ctx.services.runbooks, o.name)));
  },
});
