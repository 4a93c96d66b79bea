import type { types } from '@slack/bolt';
import { z } from 'zod';
import {
  BOT_LIMITS,
  responseTargetLabel,
  SEVERITIES,
  SEVERITY_INFO,
  type Severity,
  SLACK_LIMITS,
} from '../../core/index.ts';
import { truncatePlain } from './mrkdwn.ts';

/** The view's callback_id: what `app.view(...)` routes the submission on. */
export const DECLARE_CALLBACK_ID = 'incident_declare';

/** Block ids, which are also the keys of `response_action: 'errors'`; each input's action_id is the same. */
const BLOCK = {
  title: 'title',
  severity: 'severity',
  description: 'description',
  visibility: 'visibility',
} as const;

/** The limits of `/incident declare` (commands/incident/declare.ts), enforced by the form as well. */
const TITLE_MAX = BOT_LIMITS.title;
const DESCRIPTION_MAX = BOT_LIMITS.description;
const DEFAULT_SEVERITY: Severity = 'SEV3';
const PRIVATE = 'private';

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

/** Option text and description: 75 characters each (option object reference). */
const OPTION_MAX = SLACK_LIMITS.optionText;
function severityOption(severity: Severity): types.PlainTextOption {
  const info = SEVERITY_INFO[severity];
  return {
    text: plain(truncatePlain(`${severity} · ${info.impact}`, OPTION_MAX)),
    description: plain(
      truncatePlain(`e.g. ${info.example} · response: ${responseTargetLabel(severity)}`, OPTION_MAX),
    ),
    value: severity,
  };
}

const privateOption: types.PlainTextOption = {
  text: plain('Private incident'),
  description: plain('Private channel, kept out of the announcement channel'),
  value: PRIVATE,
};

export interface DeclareDefaults {
  readonly title?: string;
  readonly severity?: Severity;
  readonly description?: string;
  readonly private?: boolean;
}

/**
 * The form `/incident declare` opens when it has no arguments. private_metadata carries the channel
 * the command was typed in (at most 3,000 characters; a channel id is a dozen), so the reply goes
 * back there. Modal limits: title, submit and close 24 characters; 100 blocks.
 */
export function declareModal(input: { channelId: string; defaults?: DeclareDefaults }): types.ModalView {
  const d = input.defaults ?? {};
  const title = d.title?.trim() ? truncatePlain(d.title.trim(), TITLE_MAX) : undefined;
  const description = d.description?.trim()
    ? truncatePlain(d.description.trim(), DESCRIPTION_MAX)
    : undefined;
  return {
    type: 'modal',
    callback_id: DECLARE_CALLBACK_ID,
    private_metadata: JSON.stringify({ channelId: input.channelId }),
    title: plain('Declare an incident'),
    submit: plain('Declare'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: BLOCK.title,
        label: plain('Title'),
        hint: plain('What is wrong, in a few words. It also names the incident channel.'),
        element: {
          type: 'plain_text_input',
          action_id: BLOCK.title,
          max_length: TITLE_MAX,
          placeholder: plain('gpu-node-5 fell off the bus'),
          focus_on_load: true,
          ...(title ? { initial_value: title } : {}),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.severity,
        label: plain('Severity'),
        element: {
          type: 'static_select',
          action_id: BLOCK.severity,
          options: SEVERITIES.map(severityOption),
          initial_option: severityOption(d.severity ?? DEFAULT_SEVERITY),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.description,
        optional: true,
        label: plain('Description'),
        element: {
          type: 'plain_text_input',
          action_id: BLOCK.description,
          multiline: true,
          max_length: DESCRIPTION_MAX,
          placeholder: plain('What is known so far: impact, affected nodes, alerts'),
          ...(description ? { initial_value: description } : {}),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.visibility,
        optional: true,
        label: plain('Visibility'),
        element: {
          type: 'checkboxes',
          action_id: BLOCK.visibility,
          options: [privateOption],
          ...(d.private ? { initial_options: [privateOption] } : {}),
        },
      },
    ],
  };
}

export interface DeclareSubmission {
  readonly title: string;
  readonly severity: Severity;
  readonly description: string;
  readonly private: boolean;
  readonly channelId: string;
}

/** The part of a view_submission payload we read; Bolt's ViewOutput fits it. */
interface StateValue {
  readonly value?: string | null;
  readonly selected_option?: { readonly value?: string } | null;
  readonly selected_options?: readonly { readonly value?: string }[];
}
export interface DeclareView {
  readonly private_metadata?: string;
  readonly state?: { readonly values?: Record<string, Record<string, StateValue> | undefined> };
}

const fields = z.object({
  [BLOCK.title]: z
    .string()
    .trim()
    .min(1, 'Give the incident a short title.')
    .max(TITLE_MAX, `Keep the title to ${TITLE_MAX} characters.`),
  [BLOCK.severity]: z.enum(SEVERITIES, { error: 'Pick a severity: SEV1 (total outage) … SEV4 (minor).' }),
  [BLOCK.description]: z
    .string()
    .trim()
    .max(DESCRIPTION_MAX, `Keep the description to ${DESCRIPTION_MAX} characters.`),
});

const metadata = z.object({ channelId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/) });

function readMetadata(raw: string | undefined): string | undefined {
  try {
    const parsed = metadata.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data.channelId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a submitted declare form. Errors come back keyed by block id, ready for
 * `ack({ response_action: 'errors', errors })`, which shows each under its field.
 */
export function parseDeclareSubmission(
  view: DeclareView,
): DeclareSubmission | { errors: Record<string, string> } {
  const values = view.state?.values ?? {};
  const input = (block: string) => values[block]?.[block];
  const result = fields.safeParse({
    [BLOCK.title]: input(BLOCK.title)?.value ?? '',
    [BLOCK.severity]: input(BLOCK.severity)?.selected_option?.value,
    [BLOCK.description]: input(BLOCK.description)?.value ?? '',
  });
  const channelId = readMetadata(view.private_metadata);
  if (!result.success || channelId === undefined) {
    const errors: Record<string, string> = {};
    for (const issue of result.error?.issues ?? []) {
      const block = String(issue.path[0]);
      errors[block] ??= issue.message;
    }
    // Only our own metadata can be missing: the form is stale or was not ours. Say so on a field,
    // since Slack shows errors only under blocks.
    if (channelId === undefined) {
      errors[BLOCK.title] ??=
        'This form lost track of its channel. Close it and run /incident declare again.';
    }
    return { errors };
  }
  // Read untyped from Slack: only a list of options is a choice.
  const chosen: unknown = input(BLOCK.visibility)?.selected_options;
  return {
    title: result.data[BLOCK.title],
    severity: result.data[BLOCK.severity],
    description: result.data[BLOCK.description],
    private: Array.isArray(chosen) && chosen.some((o) => o?.value === PRIVATE),
    channelId,
  };
}
