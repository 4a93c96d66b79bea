import type { Redactor } from '../core/index.ts';
import type { ActionService } from '../incidents/actions.ts';
import type { BundleService } from '../incidents/bundles.ts';
import type { ChannelHistory } from '../incidents/history.ts';
import type { PostmortemPublisher } from '../incidents/postmortem.ts';
import type { IncidentService } from '../incidents/service.ts';
import type { TriageService } from '../incidents/triage.ts';
import type { IncidentVisibility } from '../incidents/visibility.ts';
import type { NodeRegistry } from '../nodes/registry.ts';
import type { LoadedRunbook } from '../runbooks/schema.ts';
import type { CommandDefinition } from './define.ts';

/** What commands reach through their context; main.ts builds it once. */
export interface Services {
  readonly incidents: IncidentService;
  /** Which incidents a person may see from outside their channels (private ones). */
  readonly visibility: IncidentVisibility;
  /** What people do in incident channels, on the timeline. */
  readonly history: ChannelHistory;
  readonly actions: ActionService;
  readonly triage: TriageService;
  /** Diagnostic bundles: /node collect and the button an escalation offers. */
  readonly bundles: BundleService;
  readonly nodes: NodeRegistry;
  /** Loaded and checked at start-up (runbooks/). */
  readonly runbooks: readonly LoadedRunbook[];
  readonly postmortem: PostmortemPublisher;
  /** Every registered command, for help. */
  readonly commands: readonly CommandDefinition[];
  readonly displayTimeZone: string;
  /** Blanks secrets (built-in rules and the configured ones) out of text shown to people: logs. */
  readonly redact: Redactor;
}
