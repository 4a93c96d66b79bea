import type { ActionKind } from '../core/index.ts';

/**
 * Auto-heal's decision, pure (issue 17; DESIGN.md §11): one finding on one node, one rule, what the
 * bot and people have done lately → none, wait, trip the breaker, or act in shadow, suggest or auto
 * mode. Everything it needs is passed in (the store keeps it, so replicas agree); nothing here has
 * I/O or a clock of its own. Safety first: each check that can say no runs before any that says
 * yes, and an outcome nobody is sure of (a timeout) is never retried by itself.
 *
 * Not wired to anything yet: the configuration, the sweeper and the channel messages come next.
 */

/** Least to most: a rule may be stricter than the global mode, never looser. */
export const AUTOMATION_MODES = ['off', 'shadow', 'suggest', 'auto'] as const;
export type AutomationMode = (typeof AUTOMATION_MODES)[number];

/** Actions that take a node out of the fleet: what the budget counts. */
const NODE_REMOVING: ReadonlySet<ActionKind> = new Set(['cordon', 'drain']);

export interface AutomationRule {
  readonly name: string;
  /** Stricter than the global mode where set. */
  readonly mode?: AutomationMode;
  readonly actions: readonly ActionKind[];
  /** How long the finding must have held, from the first time it was seen. */
  readonly graceMs: number;
  /** Failed attempts (an unsure outcome counts as one) after which the rule stops and pages. */
  readonly maxAttempts: number;
  /** `exponential`: base, 2×base, 4×base… between attempts; `none`: base each time. */
  readonly backoff: 'none' | 'exponential';
  readonly backoffBaseMs: number;
}

/** The blast radius: at most this much of the fleet taken out within `windowMs`, by anyone. */
export interface AutomationBudget {
  readonly maxNodesPercent: number;
  readonly windowMs: number;
  /** Nodes of one rack (the `rack` label) taken out within the window, at most. */
  readonly maxPerRack: number;
}

export interface AutomationSituation {
  readonly mode: AutomationMode;
  readonly rule: AutomationRule;
  readonly budget: AutomationBudget;
  readonly now: Date;
  /** Tripped until a person resumes automation. */
  readonly breakerTripped: boolean;
  readonly node: {
    readonly name: string;
    readonly rack?: string;
    /** `incident-bot/automation: off` on the node. */
    readonly optedOut: boolean;
    /** The memory of bad hardware says RMA: resets are over, a person decides. */
    readonly needsRma: boolean;
    /** A mitigation a person requested is open on it: theirs to finish. */
    readonly humanMitigationOpen: boolean;
  };
  readonly finding: {
    readonly firstSeenAt: Date;
    /** Re-checked right before acting: a finding that cleared is dropped. */
    readonly stillHolds: boolean;
  };
  /** This rule's earlier attempts on this node, oldest first. */
  readonly attempts: readonly { readonly at: Date; readonly outcome: 'succeeded' | 'failed' | 'unknown' }[];
  /** The inventory, and nodes taken out (cordoned or drained, by automation or people) in the window. */
  readonly fleet: {
    readonly total: number;
    readonly removed: readonly { readonly node: string; readonly rack?: string; readonly at: Date }[];
  };
}

export type AutomationDecision =
  | { readonly kind: 'none'; readonly why: string; readonly page?: true }
  | { readonly kind: 'wait'; readonly until: Date; readonly why: string }
  /** The budget would be exceeded: stop all automation and page; a person resumes it. */
  | { readonly kind: 'trip'; readonly why: string }
  | {
      readonly kind: 'shadow' | 'suggest' | 'run';
      readonly actions: readonly ActionKind[];
      readonly why: string;
    };

const strictest = (a: AutomationMode, b: AutomationMode | undefined): AutomationMode =>
  b === undefined || AUTOMATION_MODES.indexOf(a) <= AUTOMATION_MODES.indexOf(b) ? a : b;

/** How many nodes the budget allows out at once: never none, so one action can always run. */
export function budgetNodes(budget: AutomationBudget, total: number): number {
  return Math.max(1, Math.floor((total * budget.maxNodesPercent) / 100));
}

export function decide(s: AutomationSituation): AutomationDecision {
  const { rule, node, now } = s;
  const mode = strictest(s.mode, rule.mode);
  if (mode === 'off') return { kind: 'none', why: 'automation is off' };
  if (node.optedOut) return { kind: 'none', why: `${node.name} is opted out of automation (its label)` };
  if (s.breakerTripped) return { kind: 'none', why: 'the breaker is tripped: a person resumes automation' };
  if (node.needsRma) return { kind: 'none', why: `${node.name} needs an RMA: a person decides` };
  if (node.humanMitigationOpen) return { kind: 'none', why: `a person's mitigation is open on ${node.name}` };
  if (!s.finding.stillHolds) return { kind: 'none', why: 'the finding no longer holds' };

  const ready = new Date(s.finding.firstSeenAt.getTime() + rule.graceMs);
  if (now < ready) return { kind: 'wait', until: ready, why: `grace period of rule ${rule.name}` };

  const last = s.attempts.at(-1);
  // Nobody knows whether it happened: a second try could do it twice. A person looks.
  if (last?.outcome === 'unknown') {
    return { kind: 'none', why: `the last attempt of ${rule.name} has an unknown outcome`, page: true };
  }
  const failures = s.attempts.filter((a) => a.outcome !== 'succeeded').length;
  if (failures >= rule.maxAttempts) {
    return {
      kind: 'none',
      why: `${rule.name} failed ${failures} times on ${node.name}: stopped`,
      page: true,
    };
  }
  if (last) {
    const n = s.attempts.length;
    const wait = rule.backoff === 'exponential' ? rule.backoffBaseMs * 2 ** (n - 1) : rule.backoffBaseMs;
    const next = new Date(last.at.getTime() + wait);
    if (now < next) return { kind: 'wait', until: next, why: `backoff of rule ${rule.name}` };
  }

  if (rule.actions.some((a) => NODE_REMOVING.has(a))) {
    const since = now.getTime() - s.budget.windowMs;
    const recent = s.fleet.removed.filter((r) => r.at.getTime() >= since && r.node !== node.name);
    const allowed = budgetNodes(s.budget, s.fleet.total);
    const sameRack = node.rack === undefined ? [] : recent.filter((r) => r.rack === node.rack);
    const over =
      recent.length + 1 > allowed
        ? `${recent.length + 1} nodes out within the window, over the budget of ${allowed} (${s.budget.maxNodesPercent}% of ${s.fleet.total})`
        : sameRack.length + 1 > s.budget.maxPerRack
          ? `${sameRack.length + 1} nodes of rack ${node.rack} out within the window, over ${s.budget.maxPerRack} per rack`
          : undefined;
    // Shadow mode only says what would have happened, the trip included.
    if (over)
      return mode === 'shadow'
        ? { kind: 'shadow', actions: [], why: `would trip: ${over}` }
        : { kind: 'trip', why: over };
  }
  const kind = mode === 'auto' ? 'run' : mode;
  return { kind, actions: rule.actions, why: `rule ${rule.name}` };
}
