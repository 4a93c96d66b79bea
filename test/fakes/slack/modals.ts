import { blockErrors, LIMITS } from './block-kit.ts';
import type { TriggerRecord, ViewRecord } from './records.ts';
import { fail, ok, type SlackResult } from './result.ts';
import type { Workspace } from './workspace.ts';

/**
 * trigger_ids and modals. A trigger_id comes with each slash command and click, "expires in 3
 * seconds" and can be exchanged once (`expired_trigger_id`, `exchanged_trigger_id`,
 * `invalid_trigger_id`; docs.slack.dev/reference/methods/views.push). Modal titles, submit and
 * close labels are at most 24 characters; views.update with a stale `hash` is a `hash_conflict`.
 */

export function issueTrigger(ws: Workspace, userId: string): string {
  const id = ws.ids.triggerId();
  ws.triggers.set(id, { id, userId, issuedAt: Date.now(), used: false });
  return id;
}

function exchangeTrigger(ws: Workspace, triggerId: string | undefined): SlackResult<TriggerRecord> {
  const t = triggerId === undefined ? undefined : ws.triggers.get(triggerId);
  if (!t) return fail('invalid_trigger_id');
  if (t.used) return fail('exchanged_trigger_id');
  if (Date.now() - t.issuedAt > ws.triggerTtlMs) return fail('expired_trigger_id');
  t.used = true;
  return ok(t);
}

function viewErrors(view: unknown): string[] {
  if (typeof view !== 'object' || view === null) return ['[ERROR] missing required field: view'];
  const errors: string[] = [];
  const v = view as Record<string, unknown>;
  if (v.type !== 'modal') errors.push('[ERROR] must be one of modal [json-pointer:/view/type]');
  for (const key of ['title', 'submit', 'close'] as const) {
    const t = (v[key] as { text?: unknown } | undefined)?.text;
    if (key === 'title' && typeof t !== 'string') {
      errors.push('[ERROR] missing required field: title [json-pointer:/view/title]');
    }
    if (typeof t === 'string' && t.length > LIMITS.modalTitle) {
      errors.push(
        `[ERROR] must be less than ${LIMITS.modalTitle + 1} characters [json-pointer:/view/${key}/text]`,
      );
    }
  }
  if (typeof v.private_metadata === 'string' && v.private_metadata.length > LIMITS.privateMetadata) {
    errors.push(
      `[ERROR] must be less than ${LIMITS.privateMetadata + 1} characters [json-pointer:/view/private_metadata]`,
    );
  }
  if (typeof v.callback_id === 'string' && v.callback_id.length > LIMITS.callbackId) {
    errors.push(
      `[ERROR] must be less than ${LIMITS.callbackId + 1} characters [json-pointer:/view/callback_id]`,
    );
  }
  errors.push(
    ...blockErrors(v.blocks ?? [], LIMITS.blocksPerModal).map((e) => e.replace('/blocks', '/view/blocks')),
  );
  return errors;
}

function newHash(ws: Workspace): string {
  return `${Math.floor(Date.now() / 1000)}.${ws.ids.ticket().slice(0, 8)}`;
}

export function openView(
  ws: Workspace,
  triggerId: string | undefined,
  view: unknown,
): SlackResult<ViewRecord> {
  const t = exchangeTrigger(ws, triggerId);
  if (!t.ok) return fail(t.error);
  const errors = viewErrors(view);
  if (errors.length > 0) return fail('invalid_arguments', { response_metadata: { messages: errors } });
  const v = view as Record<string, unknown>;
  const externalId = typeof v.external_id === 'string' ? v.external_id : '';
  if (externalId && [...ws.views.values()].some((x) => x.externalId === externalId)) {
    return fail('duplicate_external_id');
  }
  const record: ViewRecord = {
    id: ws.ids.next('V'),
    view: v,
    hash: newHash(ws),
    userId: t.value.userId,
    triggerId: t.value.id,
    externalId,
    openedAt: Date.now(),
    history: [{ at: Date.now(), view: v }],
    submittedValues: undefined,
    lastAck: undefined,
  };
  ws.views.set(record.id, record);
  return ok(record);
}

export function updateView(
  ws: Workspace,
  input: { viewId?: string; externalId?: string; hash?: string },
  view: unknown,
): SlackResult<ViewRecord> {
  const record = input.viewId
    ? ws.views.get(input.viewId)
    : [...ws.views.values()].find((v) => input.externalId && v.externalId === input.externalId);
  if (!record) return fail('not_found');
  if (input.hash !== undefined && input.hash !== record.hash) return fail('hash_conflict');
  const errors = viewErrors(view);
  if (errors.length > 0) return fail('invalid_arguments', { response_metadata: { messages: errors } });
  record.view = view as Record<string, unknown>;
  record.hash = newHash(ws);
  record.history.push({ at: Date.now(), view: record.view });
  return ok(record);
}
