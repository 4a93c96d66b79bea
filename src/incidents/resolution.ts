import type { ChatMessage } from '../chat/message.ts';
import { type Action, type Actor, assertTransition, type Incident, plural } from '../core/index.ts';
import type { ActionService } from './actions.ts';
import { cardButtonId } from './buttons.ts';
import { incidentRef } from './format.ts';
import type { IncidentService } from './service.ts';

/** What to do with mitigation requests still waiting for approval when an incident is resolved. */
export type OpenRequestChoice = 'cancel' | 'keep';

export type Resolution =
  /** Not resolved yet: requests are waiting and nobody said what to do with them. */
  | { readonly asked: ChatMessage }
  | { readonly incident: Incident; readonly cancelled: readonly Action[]; readonly kept: readonly Action[] };

function listed(actions: readonly Action[]): string {
  return actions.map((a) => `${a.kind} of ${a.target} (requested by ${a.requestedByName})`).join('; ');
}

/**
 * The question a resolve asks when mitigation requests still wait for approval: cancel them (what
 * resolving usually means) or keep them (a drain still wanted after the impact ended).
 */
export function openRequestsQuestion(incident: Incident, waiting: readonly Action[]): ChatMessage {
  const ref = incidentRef(incident);
  const text = `${ref} has ${plural(waiting.length, 'mitigation request')} still waiting for approval: ${listed(waiting)}. Cancel ${waiting.length === 1 ? 'it' : 'them'} as you resolve, or keep ${waiting.length === 1 ? 'it' : 'them'} open?`;
  return {
    text,
    sections: [text],
    buttons: [
      {
        id: cardButtonId('resolve-cancel', incident.id),
        label: 'Resolve, cancel requests',
        style: 'primary',
      },
      { id: cardButtonId('resolve-keep', incident.id), label: 'Resolve, keep requests' },
    ],
    context: ['Or: /incident resolve --requests cancel (or keep).'],
  };
}

/**
 * Resolving, by command or button: with requests still waiting and no `choice`, it asks instead
 * of resolving; `cancel` cancels them first (each request's message says so), then resolves.
 */
export async function resolveIncident(
  services: { readonly incidents: IncidentService; readonly actions: ActionService },
  incident: Incident,
  actor: Actor,
  choice?: OpenRequestChoice,
): Promise<Resolution> {
  // A move the lifecycle refuses (resolving a closed incident) is refused before anything is cancelled.
  assertTransition(incident.status, 'resolved');
  const waiting = await services.actions.waitingForApproval(incident);
  if (waiting.length > 0 && choice === undefined) {
    return { asked: openRequestsQuestion(incident, waiting) };
  }
  const cancelled =
    choice === 'cancel'
      ? await services.actions.cancelWaiting(incident, actor, `${incidentRef(incident)} was resolved`)
      : [];
  const resolved = await services.incidents.changeStatus(incident, 'resolved', actor);
  return { incident: resolved, cancelled, kept: choice === 'cancel' ? [] : waiting };
}

/**
 * Closing: a closed incident runs nothing and its channel may be archived, so requests still
 * waiting are cancelled first, never left showing "waiting for approval" in an archive.
 */
export async function closeIncident(
  services: { readonly incidents: IncidentService; readonly actions: ActionService },
  incident: Incident,
  actor: Actor,
): Promise<{ readonly incident: Incident; readonly cancelled: readonly Action[] }> {
  assertTransition(incident.status, 'closed');
  const cancelled = await services.actions.cancelWaiting(
    incident,
    actor,
    `${incidentRef(incident)} was closed`,
  );
  return { incident: await services.incidents.changeStatus(incident, 'closed', actor), cancelled };
}

/** The reply to whoever resolved: what became of the requests too. */
export function resolvedReply(r: Exclude<Resolution, { asked: ChatMessage }>): string {
  const ref = incidentRef(r.incident);
  if (r.cancelled.length > 0) return `${ref} resolved; cancelled ${listed(r.cancelled)}.`;
  if (r.kept.length > 0)
    return `${ref} resolved; ${plural(r.kept.length, 'mitigation request')} still ${r.kept.length === 1 ? 'waits' : 'wait'} for approval: ${listed(r.kept)}.`;
  return `${ref} resolved.`;
}

/** The reply to whoever closed. */
export function closedReply(incident: Incident, cancelled: readonly Action[]): string {
  const ref = incidentRef(incident);
  return cancelled.length > 0 ? `${ref} closed; cancelled ${listed(cancelled)}.` : `${ref} closed.`;
}
