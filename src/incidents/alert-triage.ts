import type { Logger } from 'pino';
import { type Actor, type Clock, describeError } from '../core/index.ts';
import type { ChatDirectory } from '../delivery/directory.ts';
import { type HandlerResult, notReady, type OpEntry, type OutboxDraft } from '../delivery/entry.ts';
import type { ChatOps } from '../delivery/ops.ts';
import { compareNodeNames } from '../nodes/node-names.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { LoadedRunbook } from '../runbooks/schema.ts';
import type { Store } from '../store/port.ts';
import { post } from './drafts.ts';
import type { TriageService } from './triage.ts';

/**
 * Nodes an alert's automatic triage runs on at most. A storm group can name thousands; triaging
 * them all would take the fleet's SSH budget for minutes and post a report per node. The rest are
 * named, to triage by hand.
 */
export const MAX_ALERT_TRIAGE_NODES = 32;
/** Lists longer than this are not sorted naturally (the sort costs more than the order is worth). */
const NATURAL_SORT_MAX = 2_000;
/** Node names listed in one message at most; the rest are counted. */
const MAX_NAMED_NODES = 20;

/**
 * An alert incident's first triage (the `alert_triage` op): the matching runbook's diagnostics on
 * the nodes its alerts name, delivered beside the alert worker (it takes seconds). Not resumable:
 * a triage a restart cut off is not run again; the channel is told to run it by hand.
 */
export class AlertTriage {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly deps: {
      readonly directory: ChatDirectory;
      readonly triage: TriageService;
      readonly nodes: NodeRegistry;
      readonly runbooks: readonly LoadedRunbook[];
    },
    /** Who alert incidents and their requests are attributed to. */
    private readonly actor: Actor,
  ) {}

  /** The runbook's diagnostics on the nodes the alerts name (those in the inventory): the `alert_triage` op. */
  async deliver(entry: OpEntry<ChatOps, 'alert_triage'>): Promise<HandlerResult | undefined> {
    const incident = await this.store.getIncident(entry.incidentId!);
    if (!incident || incident.status === 'resolved' || incident.status === 'closed') return undefined;
    if (!incident.channelId) throw notReady('the incident channel');
    const chat = this.deps.directory.chatFor(incident);
    const channelId = incident.channelId;
    const runbook = this.deps.runbooks.find((r) => r.name === entry.payload.runbook);
    const named = entry.payload.nodes;
    try {
      const { known: triable, unknown } = await this.sortNodes(named);
      const known = triable.slice(0, MAX_ALERT_TRIAGE_NODES);
      const skipped = triable.slice(MAX_ALERT_TRIAGE_NODES);
      const next: OutboxDraft[] = [];
      // Diagnostics are not resumable: a triage a restart cut off is not run again (it would post
      // its findings and requests twice); the channel is told to run it by hand.
      const started = (await this.store.listTimeline(incident.id)).some(
        (e) => e.kind === 'note' && e.data?.triage === entry.id,
      );
      if (started) {
        const text = `⚠️ The automatic triage of ${listNodes(known)} was cut off by a restart of the bot. Run \`/node triage ${known.slice(0, MAX_NAMED_NODES).join(' ')}\` by hand if it is still needed.`;
        return { next: [post(incident, { text, sections: [text] })] };
      }
      if (known.length > 0) {
        await this.store.appendTimeline({
          incidentId: incident.id,
          kind: 'note',
          at: this.clock.now(),
          actorId: this.actor.id,
          actorName: this.actor.name,
          text: `Automatic triage of ${listNodes(known)}${runbook ? ` (runbook ${runbook.name})` : ''}`,
          data: { triage: entry.id },
        });
      }
      if (unknown.length) {
        const text = `Not triaged: ${listNodes(unknown)} ${unknown.length === 1 ? 'is' : 'are'} not in the node inventory (or cannot run diagnostics).`;
        next.push(post(incident, { text, sections: [text] }));
      }
      if (skipped.length) {
        const text = `Not triaged automatically: the alerts name ${triable.length} nodes, and the bot triages ${MAX_ALERT_TRIAGE_NODES} of them by itself. The other ${skipped.length}: ${listNodes(skipped)}. Run \`/node triage <node…>\` on those that matter.`;
        next.push(post(incident, { text, sections: [text] }));
      }
      if (known.length > 0) {
        await this.deps.triage.run({
          chat,
          channelId,
          incident,
          nodes: known,
          actor: this.actor,
          ...(runbook ? { runbook } : {}),
        });
      }
      return { next };
    } catch (err) {
      this.logger.warn({ err, incident: incident.id }, 'the runbook triage of an alert incident failed');
      const text = `⚠️ The automatic triage could not run: ${describeError(err)} Run /node triage by hand.`;
      return { next: [post(incident, { text, sections: [text] })] };
    }
  }

  /**
   * Which named nodes can run diagnostics, without a throw or a listing per name (a storm names
   * thousands): one look at each adapter's inventory, and one fresh listing when some name is not
   * in it yet (API-backed adapters learn their nodes by listing).
   */
  private async sortNodes(named: readonly string[]): Promise<{ known: string[]; unknown: string[] }> {
    const known: string[] = [];
    const split = (names: readonly string[]) => {
      const rest: string[] = [];
      for (const node of names) (this.deps.nodes.canRun(node, 'diagnose') ? known : rest).push(node);
      return rest;
    };
    let unknown = split(named);
    if (unknown.length > 0) {
      // API-backed adapters learn their nodes by listing: one fresh listing, then look again.
      await this.deps.nodes.listNodesSettled();
      unknown = split(unknown);
    }
    // In natural order (rack-2 before rack-10): the first ones are triaged, the rest listed. A
    // storm's thousands of names the inventory does not have stay in the order the alerts gave
    // them: sorting 60,000 names naturally held the event loop for a third of a second.
    return {
      known: known.length <= NATURAL_SORT_MAX ? known.sort(compareNodeNames) : known,
      unknown: unknown.length <= NATURAL_SORT_MAX ? unknown.sort(compareNodeNames) : unknown,
    };
  }
}

/** `a, b, c and 40 more`: a storm's node list stays one line. */
function listNodes(nodes: readonly string[]): string {
  if (nodes.length <= MAX_NAMED_NODES) return nodes.join(', ');
  return `${nodes.slice(0, MAX_NAMED_NODES).join(', ')} and ${nodes.length - MAX_NAMED_NODES} more`;
}
