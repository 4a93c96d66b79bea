import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { severityOption } from '../../src/commands/options.ts';
import { incidentRef } from '../../src/incidents/format.ts';

export default defineCommand({
  group: 'incident',
  name: 'severity',
  description: 'Change the incident’s severity (SEV1 … SEV4)',
  options: z.object({ severity: severityOption.describe('SEV1 (total outage) … SEV4 (minor)') }),
  positional: ['severity'],
  examples: ['/incident severity SEV1'],
  permission: 'anyone',
  incident: 'required',
  async execute(ctx, o) {
    const incident = await ctx.services.incidents.changeSeverity(ctx.incident, o.severity, ctx.actor);
    return ephemeral(`${incidentRef(incident)} is now ${incident.severity}.`);
  },
});
