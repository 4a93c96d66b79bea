import type { Logger } from 'pino';
import type { ChatPlatform } from '../chat/port.ts';
import { type Actor, type Incident, type IncidentStatus, isRecordMember } from '../core/index.ts';
import type { Store } from '../store/port.ts';

/**
 * Who an incident answers to from outside its channel. It must live on the platform asked from,
 * and a private one answers only to its members: the record's (declarer, role holders, configured
 * responders) or the channel's own as the platform tells. Callers answer "no such incident"
 * otherwise, so a private incident's existence does not leak.
 */
export class IncidentVisibility {
  constructor(
    private readonly store: Pick<Store, 'listRoles' | 'listIncidents'>,
    private readonly logger: Logger,
    /** User ids (and `@groups`) invited to every incident channel: members of private ones too. */
    private readonly responders: readonly string[],
  ) {}

  /** Whether `actor`, on `chat`, may see and work on the incident from outside its channel. */
  async visibleTo(chat: ChatPlatform, incident: Incident, actor: Actor): Promise<boolean> {
    if (incident.platform !== chat.id) return false;
    if (!incident.private) return true;
    const roles = await this.store.listRoles(incident.id);
    if (isRecordMember(incident, roles, actor, this.responders)) return true;
    if (!incident.channelId || !chat.isMember || actor.bot) return false;
    try {
      return await chat.isMember(incident.channelId, actor.id);
    } catch (err) {
      // Unknown is not a yes: the person sees "no such incident" and can ask in the channel.
      this.logger.warn(
        { err, incident: incident.number },
        'could not ask the platform who is in a private channel',
      );
      return false;
    }
  }

  /** Newest first, only those `actor` may see on `chat`. */
  async list(
    chat: ChatPlatform,
    actor: Actor,
    statuses: readonly IncidentStatus[] | undefined,
    limit = 50,
  ): Promise<Incident[]> {
    // Private incidents are few; read a wider window, keep what the person may see.
    const candidates = await this.store.listIncidents({
      ...(statuses ? { statuses } : {}),
      platform: chat.id,
      limit: limit * 10,
    });
    const out: Incident[] = [];
    for (const incident of candidates) {
      if (out.length >= limit) break;
      if (await this.visibleTo(chat, incident, actor)) out.push(incident);
    }
    return out;
  }
}
