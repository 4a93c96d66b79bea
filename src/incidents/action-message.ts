import type { ChatMessage } from '../chat/message.ts';
import {
  type Action,
  type ApprovalPolicy,
  approvalSeverity,
  type Clock,
  describeActionState,
  type Incident,
  isBotActorId,
  isDestructive,
  needsSecondPerson,
} from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import { type HandlerResult, notReady, type OpEntry, postOnce } from '../delivery/entry.ts';
import type { ChatOps } from '../delivery/ops.ts';
import type { Store } from '../store/port.ts';
import { actionButtonId } from './buttons.ts';
import { incidentRef } from './format.ts';

/**
 * A mitigation's request message: its preview, its state, who requested it, and while it waits,
 * Approve and Cancel. It is drawn from the stored action whenever it is delivered, so however
 * late a delivery runs (after a crash, a retry) it shows the action as it is then: posted once,
 * with the request, and updated in place by every move after.
 */
export class ActionMessages {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly directory: ChatDirectory,
    private readonly policy: ApprovalPolicy,
  ) {}

  /** The outbox handler of the `action` op. */
  async deliver(entry: OpEntry<ChatOps, 'action'>): Promise<HandlerResult | undefined> {
    const action = await this.store.getAction(entry.payload.actionId);
    const incident = action && (await this.store.getIncident(action.incidentId));
    if (!action || !incident) return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    const chat = this.directory.chatFor(incident);
    const message = this.render(action, incident);
    if (action.messageId) {
      await chat.updateMessage(incident.channelId, action.messageId, message);
      return undefined;
    }
    if (entry.payload.initial !== true) throw notReady('the request message');
    const messageId = await postOnce(chat, incident.channelId, entry, message);
    return { after: (tx) => tx.setActionMessage(action.id, messageId) };
  }

  render(action: Action, incident: Incident): ChatMessage {
    const chat = this.directory.chatFor(incident);
    const time = (at: Date) => this.directory.channelTime(chat, at, false);
    const pending = action.status === 'requested';
    // A request the bot made (a runbook's recommendation) is approved by any one person.
    const byBot = isBotActorId(action.requestedBy);
    const twoPerson = needsSecondPerson(action, incident, this.policy);
    const header = `🛠️ ${action.kind} ${action.target}: ${describeActionState(action)}`;
    const context = [
      `Requested by ${action.requestedByName}${byBot ? ' (runbook recommendation)' : ''} · ${incidentRef(incident)}`,
      ...(action.decidedAt && DECIDED[action.status]
        ? [
            `${DECIDED[action.status]} by ${action.decidedByName ?? action.decidedBy} at ${time(action.decidedAt)}`,
          ]
        : []),
      pending
        ? `Expires ${time(action.expiresAt)}${twoPerson ? ` · ${approvalSeverity(action, incident)}: someone other than ${action.requestedByName} must approve` : ''}`
        : `Updated ${time(this.clock.now())}`,
    ];
    const danger = isDestructive(action.kind);
    return {
      text: header,
      header,
      sections: [
        `*Preview*\n${action.preview}`,
        ...(action.result ? [`*Result*: ${action.result.summary}`] : []),
        ...(action.result?.warning ? [`⚠️ ${action.result.warning}`] : []),
      ],
      ...(pending
        ? {
            buttons: [
              {
                id: actionButtonId('approve', action.id),
                label: 'Approve',
                style: danger ? ('danger' as const) : ('primary' as const),
                ...(twoPerson && !byBot
                  ? {
                      refusedFor: {
                        users: [action.requestedBy],
                        why: `You requested this ${action.kind}; at ${approvalSeverity(action, incident)} someone else must approve it.`,
                      },
                    }
                  : {}),
                ...(danger
                  ? {
                      confirm: {
                        title: `Run ${action.kind} on ${action.target}?`,
                        text: action.preview,
                        confirm: `Yes, ${action.kind}`,
                        deny: 'Not yet',
                      },
                    }
                  : {}),
              },
              { id: actionButtonId('cancel', action.id), label: 'Cancel' },
            ],
          }
        : {}),
      context,
    };
  }
}

/** Who decided, as the card says it: an approval stays on the card while it runs and after. */
const DECIDED: Partial<Record<Action['status'], string>> = {
  approved: 'Approved',
  running: 'Approved',
  succeeded: 'Approved',
  failed: 'Approved',
  unknown: 'Approved',
  cancelled: 'Cancelled',
};
