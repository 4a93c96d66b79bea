import type { types } from '@slack/bolt';
import { z } from 'zod';
import {
  DEFAULT_SEVERITY,
  DESCRIPTION_MAX,
  type DeclareOptions,
  declareOptions,
  TITLE_MAX,
} from '../../commands/declare-options.ts';
import {
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

/** A submitted form: `/incident declare`'s options, checked by its own schema, and where to answer. */
export interface DeclareSubmission {
  readonly options: DeclareOptions;
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

/** The form's blocks are named for the command's options, except the checkbox behind `private`. */
const BLOCK_OF: Record<string, string> = {
  title: BLOCK.title,
  severity: BLOCK.severity,
  description: BLOCK.description,
  private: BLOCK.visibility,
};
const LABEL: Record<string, string> = {
  [BLOCK.title]: 'Title',
  [BLOCK.severity]: 'Severity',
  [BLOCK.description]: 'Description',
  [BLOCK.visibility]: 'Visibility',
};

/** The command's own words for a bad value, as a sentence under its field: "Severity must be …". */
function fieldError(block: string, message: string): string {
  const sentence = /^must\b/.test(message) ? `${LABEL[block] ?? block} ${message}` : message;
  return `${sentence[0]!.toUpperCase()}${sentence.slice(1)}${/[.!?]$/.test(sentence) ? '' : '.'}`;
}

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
  // Read untyped from Slack: only a list of options is a choice.
  const chosen: unknown = input(BLOCK.visibility)?.selected_options;
  const result = declareOptions.safeParse({
    title: input(BLOCK.title)?.value ?? '',
    severity: input(BLOCK.severity)?.selected_option?.value,
    description: input(BLOCK.description)?.value ?? '',
    private: Array.isArray(chosen) && chosen.some((o) => o?.value === PRIVATE),
  });
  const channelId = readMetadata(view.private_metadata);
  if (!result.success || channelId === undefined) {
    const errors: Record<string, string> = {};
    for (const issue of result.error?.issues ?? []) {
      const block = BLOCK_OF[String(issue.path[0])] ?? BLOCK.title;
      errors[block] ??= fieldError(block, issue.message);
    }
    // Only our own metadata can be missing: the form is stale or was not ours. Say so on a field,
    // since Slack shows errors only under blocks.
    if (channelId === undefined) {
      errors[BLOCK.title] ??=
        'This form lost track of its channel. Close it and run /incident declare again.';
    }
    return { errors };
  }
  return { options: result.data, channelId };
}
