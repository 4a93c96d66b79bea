import { existsSync, readFileSync } from 'node:fs';
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DEFAULT_GROUP_BY } from './alerts/labels.ts';
import { DEFAULT_NODE_LABEL_KEYS } from './alerts/nodes.ts';
import { DEFAULT_SEVERITY_MAPPING } from './alerts/severity.ts';
import { CHAT_PLATFORMS, type ChatPlatformId } from './chat/platforms.ts';
import { ACTION_KINDS, DEFAULT_POLICY, SEVERITIES } from './core/index.ts';
import { DEFAULT_BUNDLES } from './incidents/bundles.ts';
import { DEFAULT_HARDWARE } from './incidents/hardware-memory.ts';
import { DEFAULT_REMINDERS } from './incidents/reminders.ts';
import { NODE_ADAPTERS } from './nodes/adapters.ts';
import { piiPatternProblem } from './postmortem/redact.ts';

/**
 * The structure half of the configuration (the environment is the other, src/config.ts): one YAML file, validated by zod, every error
 * naming the file, line and key path. Keys are strict so a typo is an error, not a silent default.
 */
/**
 * A user id, or `@` and a group's name: a Slack user group handle, a sandbox group or a Discord
 * role, whose names may hold spaces and punctuation (`@Hardware On-call`). Matched exactly, in any case.
 */
const principal = z
  .string()
  .regex(
    /^(?:[A-Za-z0-9._-]+|@[^\s@<>](?:[^\p{Cc}@<>]{0,98}[^\s@<>])?)$/u,
    'must be a user id or an @group name such as @sre (a Discord role by its exact name, e.g. "@Hardware On-call")',
  );

const policySchema = z
  .object({
    approvers: z.array(principal).default([...DEFAULT_POLICY.approvers]),
    requesters: z.array(principal).default([...DEFAULT_POLICY.requesters]),
    twoPersonSeverities: z.array(z.enum(SEVERITIES)).default([...DEFAULT_POLICY.twoPersonSeverities]),
    // Fractions allowed (0.5 is thirty seconds), so short drills and tests need no patched clock.
    expiryMinutes: z
      .number()
      .min(0.05, 'must be at least 0.05 (three seconds)')
      .max(1440, 'must be at most 1440 (a day)')
      .default(DEFAULT_POLICY.expiryMinutes),
    actions: z
      .partialRecord(
        z.enum(ACTION_KINDS),
        z
          .object({ approvers: z.array(principal).optional(), requesters: z.array(principal).optional() })
          .strict(),
      )
      .optional(),
  })
  .strict();

// One entry per node adapter module (src/nodes/adapters.ts), told apart by `type`.
const adapterSchema = z.discriminatedUnion(
  'type',
  NODE_ADAPTERS.map((m) => m.options) as unknown as [
    (typeof NODE_ADAPTERS)[number]['options'],
    ...(typeof NODE_ADAPTERS)[number]['options'][],
  ],
);

const sandboxUserSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9._-]{1,32}$/, 'must be 1-32 characters of a-z, 0-9, . _ -'),
    name: z.string().min(1).max(64),
    groups: z.array(z.string().min(1)).default([]),
  })
  .strict();

const DEFAULT_SANDBOX_USERS = [
  { id: 'alice', name: 'Alice (SRE)', groups: ['sre'] },
  { id: 'bob', name: 'Bob (SRE)', groups: ['sre'] },
  { id: 'carol', name: 'Carol (ML platform)', groups: ['ml-platform'] },
  { id: 'dave', name: 'Dave (support)', groups: ['support'] },
];

const labelName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Prometheus label name (letters, digits and _)');

const alertsSchema = z
  .object({
    /**
     * Labels that make an alert group when the sender gives no group key (the generic webhook). Set
     * `groupByLabels: true` to group Alertmanager and Grafana alerts by these labels as well, instead
     * of by the sender's groupKey.
     */
    groupBy: z
      .array(labelName)
      .min(1)
      .default([...DEFAULT_GROUP_BY]),
    groupByLabels: z.boolean().default(false),
    /** Labels naming the node an alert is about, tried in order. */
    nodeLabels: z
      .array(labelName)
      .min(1)
      .default([...DEFAULT_NODE_LABEL_KEYS]),
    /** The chat platform alert incidents open on; default: slack, then discord, then the sandbox. */
    platform: z.enum(CHAT_PLATFORMS.map((m) => m.id) as [ChatPlatformId, ...ChatPlatformId[]]).optional(),
    /** Who alert-opened incidents, and their triage and requests, are attributed to. */
    actorName: z.string().min(1).max(64).default('Alertmanager'),
  })
  .strict();

const severitySchema = z
  .object({
    labelKeys: z
      .array(labelName)
      .min(1)
      .default([...DEFAULT_SEVERITY_MAPPING.labelKeys]),
    /** Label value (any case) → severity; adds to or replaces the built-in table. */
    values: z.record(z.string().min(1), z.enum(SEVERITIES)).default({}),
    fallback: z.enum(SEVERITIES).default(DEFAULT_SEVERITY_MAPPING.fallback),
  })
  .strict();

const stormGuardSchema = z
  .object({
    /** New incident channels alerts may open in any minute; beyond it, alerts join the storm incident. */
    maxNewPerMinute: z.number().int().min(0).max(1000).default(5),
  })
  .strict();

// Reminders: fractions allowed (0.05 is three seconds) for drills and tests; null turns one off.
const reminderMinutes = z
  .number()
  .min(0.05, 'must be at least 0.05 (three seconds), or null for none')
  .max(1440, 'must be at most 1440 (a day), or null for none')
  .nullable();

const remindersSchema = z
  .object({
    enabled: z.boolean().default(DEFAULT_REMINDERS.enabled),
    /** Minutes between status-update reminders per severity; null: none at that severity. */
    update: z
      .object({
        SEV1: reminderMinutes.default(DEFAULT_REMINDERS.update.SEV1),
        SEV2: reminderMinutes.default(DEFAULT_REMINDERS.update.SEV2),
        SEV3: reminderMinutes.default(DEFAULT_REMINDERS.update.SEV3),
        SEV4: reminderMinutes.default(DEFAULT_REMINDERS.update.SEV4),
      })
      .strict()
      .default({ ...DEFAULT_REMINDERS.update }),
    commanderAfterMinutes: reminderMinutes.default(DEFAULT_REMINDERS.commanderAfterMinutes),
    actionNudgeAfterMinutes: reminderMinutes.default(DEFAULT_REMINDERS.actionNudgeAfterMinutes),
    sweepSeconds: z
      .number()
      .min(1, 'must be at least 1')
      .max(300, 'must be at most 300 (five minutes)')
      .default(DEFAULT_REMINDERS.sweepSeconds),
  })
  .strict();

const postmortemSchema = z
  .object({
    /** Draft the post-mortem when an incident is resolved (it can always be asked for). */
    onResolve: z.boolean().default(true),
    /** Keep private incidents from the model: their draft is the deterministic one. */
    excludePrivate: z.boolean().default(true),
    /**
     * Regular expressions whose matches are redacted before anything reaches the model. They run on
     * RE2 (linear time, so no pattern can stall the bot); one it cannot run is refused here, by name.
     */
    piiPatterns: z
      .array(
        z
          .string()
          .min(1)
          .superRefine((pattern, ctx) => {
            const problem = piiPatternProblem(pattern);
            if (problem)
              ctx.addIssue({
                code: 'custom',
                message: `${JSON.stringify(pattern)} cannot be used: ${problem}`,
              });
          }),
      )
      .default([]),
    /** The most prompt tokens (estimated) one request may carry; longer timelines are summarised first. */
    promptBudgetTokens: z.number().int().min(1000).max(1_000_000).default(12_000),
  })
  .strict();

const discordSchema = z
  .object({
    /** The category incident channels open in; created when missing. */
    category: z.string().trim().min(1).max(100).default('Incidents'),
    /** Where closed incidents move, read-only (`… 2`, `… 3` once one holds Discord's 50 channels). */
    archiveCategory: z.string().trim().min(1).max(96).default('Incidents Archive'),
    /** Where new incidents and updates are announced: a channel id or #name. */
    announceChannel: z
      .string()
      .trim()
      .regex(/^(#?[^\s#]{1,100}|\d{15,21})$/, 'must be a channel id or a #channel-name')
      .optional(),
  })
  .strict();

const hardwareSchema = z
  .object({
    /** How far back a triage report tells a GPU's past Xids, and remembers how many GPUs a node had. */
    memoryDays: z.number().int().min(1).max(90).default(DEFAULT_HARDWARE.memoryDays),
    /**
     * When a GPU needs an RMA: this many fatal Xids (ones that call for a drain or reset) within
     * this many hours; when a node does: this many succeeded mitigations within this many days.
     */
    rma: z
      .object({
        fatalXidCount: z.number().int().min(1).max(1000).default(DEFAULT_HARDWARE.rma.fatalXidCount),
        fatalXidHours: z.number().int().min(1).max(2160).default(DEFAULT_HARDWARE.rma.fatalXidHours),
        nodeRemediations: z.number().int().min(1).max(1000).default(DEFAULT_HARDWARE.rma.nodeRemediations),
        nodeRemediationDays: z
          .number()
          .int()
          .min(1)
          .max(90)
          .default(DEFAULT_HARDWARE.rma.nodeRemediationDays),
      })
      .strict()
      .default({ ...DEFAULT_HARDWARE.rma }),
  })
  .strict();

const bundlesSchema = z
  .object({
    /** One diagnostic bundle per node in this many minutes (a failed collection does not count). */
    cooldownMinutes: z.number().int().min(1).max(1440).default(DEFAULT_BUNDLES.cooldownMinutes),
    /** How long a collection may run on the node (nvidia-bug-report.sh takes minutes). */
    timeoutMinutes: z.number().int().min(1).max(60).default(DEFAULT_BUNDLES.timeoutMinutes),
  })
  .strict();

const fileSchema = z
  .object({
    policy: policySchema.default(policySchema.parse({})),
    /** When absent, sandbox mode runs the simulated fleet. */
    adapters: z.array(adapterSchema).optional(),
    sandbox: z
      .object({ users: z.array(sandboxUserSchema).min(1).default(DEFAULT_SANDBOX_USERS) })
      .strict()
      .default({ users: DEFAULT_SANDBOX_USERS }),
    escalation: z
      .object({
        /** Paged (mentioned) after repeated failed mitigations: user ids, or groups such as @oncall. */
        onCall: z.array(principal).default([]),
        afterFailures: z.number().int().min(1).max(10).default(2),
      })
      .strict()
      .default({ onCall: [], afterFailures: 2 }),
    incidents: z
      .object({
        /** Responders invited to every new incident channel (user ids). */
        responders: z.array(principal).default([]),
        archiveOnClose: z.boolean().default(true),
      })
      .strict()
      .default({ responders: [], archiveOnClose: true }),
    alerts: alertsSchema.default(alertsSchema.parse({})),
    severity: severitySchema.default(severitySchema.parse({})),
    stormGuard: stormGuardSchema.default(stormGuardSchema.parse({})),
    reminders: remindersSchema.default(remindersSchema.parse({})),
    postmortem: postmortemSchema.default(postmortemSchema.parse({})),
    hardware: hardwareSchema.default(hardwareSchema.parse({})),
    bundles: bundlesSchema.default(bundlesSchema.parse({})),
    discord: discordSchema.default(discordSchema.parse({})),
    runbooks: z
      .object({
        /** The runbook folder, relative to the working directory; default: the runbooks/ shipped with the bot. */
        dir: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type FileConfig = z.infer<typeof fileSchema>;

export function loadFileConfig(path: string | undefined): FileConfig {
  if (path === undefined) return fileSchema.parse({});
  if (!existsSync(path)) {
    throw new ConfigError([`CONFIG_FILE: ${path} does not exist`]);
  }
  return parseFileConfig(readFileSync(path, 'utf8'), path);
}

export function parseFileConfig(text: string, path: string): FileConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const line = e.linePos?.[0]?.line;
        return `${path}${line ? `:${line}` : ''}: ${(e.message.split('\n')[0] ?? '').replace(/:\s*$/, '')}`;
      }),
    );
  }
  const parsed = fileSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  // Point at the deepest node that exists, so "unknown key" and "missing key" both get a line.
  const lineOf = (keyPath: readonly string[]): number | undefined => {
    for (let n = keyPath.length; n >= 0; n--) {
      const node = doc.getIn(keyPath.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const where = (keyPath: readonly string[]) => {
    const line = lineOf(keyPath);
    return `${path}${line ? `:${line}` : ''}: ${keyPath.length ? keyPath.join('.') : '(top level)'}`;
  };
  const problems: string[] = [];
  for (const issue of parsed.error.issues) {
    const keyPath = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      // zod reports these on the parent; name each key and the line of the key itself.
      const parent = keyPath.length ? doc.getIn(keyPath, true) : doc.contents;
      for (const key of issue.keys) {
        const pair = isMap(parent)
          ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === key)
          : undefined;
        const keyNode = pair && isScalar(pair.key) ? pair.key : undefined;
        const line = keyNode?.range ? lineCounter.linePos(keyNode.range[0]).line : lineOf([...keyPath, key]);
        problems.push(
          `${path}${line ? `:${line}` : ''}: ${[...keyPath, key].join('.')}: unknown key (check the spelling)`,
        );
      }
    } else {
      problems.push(`${where(keyPath)}: ${issue.message}`);
    }
  }
  throw new ConfigError(problems);
}

/** Every configuration problem found, each naming its variable or file:line: key. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
