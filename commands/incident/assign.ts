import { z } from 'zod';
import { ephemeral } from '../../src/chat/message.ts';
import { defineCommand } from '../../src/commands/define.ts';
import { roleOption } from '../../src/commands/options.ts';
import { BotError, ROLE_LABEL } from '../../src/core/index.ts';

export default defineCommand({
  group: 'incident',
  name: 'assign',
  description: 'Give someone a role: commander (ic), communications (comms) or responder',
  options: z.object({
    role: roleOption.describe('commander, communications or responder'),
    user: z.string().trim().min(1).describe('Who: a mention, or "me"'),
  }),
  positional: ['role', 'user'],
  examples: ['/incident assign commander @alice', '/incident assign comms me'],
  permission: 'anyone',
  incident: 'required',
  async execute(ctx, o) {
    const user = o.user.toLowerCase() === 'me' ? ctx.actor : await ctx.chat.resolveUser(o.user);
    if (!user) {
      throw new BotError('bot.user.unknown', `No one called "${o.user}" is in this workspace.`, {
        hint: 'Mention them (@name), or write "me".',
      });
    }
    await ctx.services.incidents.assignRole(ctx.incident, o.role, user, ctx.actor);
    return ephemeral(`${ctx.chat.mention(user.id)} is now ${ROLE_LABEL[o.role].toLowerCase()}.`, [user.id]);
  },
});
