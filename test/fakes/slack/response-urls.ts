import type { InteractionKind } from './records.ts';
import type { Workspace } from './workspace.ts';

/**
 * response_url: each slash command and click carries one, served by the fake. A post with
 * `response_type: 'in_channel'` appears in the channel, `replace_original` / `delete_original` act
 * on the message the button sat on, anything else is ephemeral to the person. Slack allows five
 * posts within 30 minutes per URL.
 */

export function issueResponseUrl(
  ws: Workspace,
  kind: InteractionKind,
  channel: string,
  user: string,
  messageTs?: string,
  ephemeralTs?: string,
): string {
  const id = ws.ids.ticket();
  ws.responseUrls.set(id, {
    id,
    kind,
    channel,
    user,
    messageTs,
    ephemeralTs,
    issuedAt: Date.now(),
    posts: [],
  });
  return id;
}

export function respond(
  ws: Workspace,
  id: string,
  body: unknown,
): { status: number; body: Record<string, unknown> } {
  const r = ws.responseUrls.get(id);
  if (!r) return { status: 404, body: { ok: false, error: 'invalid_url' } };
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const expired = Date.now() - r.issuedAt > 30 * 60_000;
  const status = r.posts.length >= 5 || expired ? 404 : 200;
  r.posts.push({ at: Date.now(), body, status });
  if (status !== 200) return { status, body: { ok: false, error: expired ? 'expired_url' : 'used_url' } };
  const text = typeof b.text === 'string' ? b.text : '';
  const blocks = Array.isArray(b.blocks) ? b.blocks : undefined;
  const original = r.messageTs ? ws.findMessage(r.channel, r.messageTs) : undefined;
  const yes = (v: unknown) => v === true || v === 'true';
  if (yes(b.delete_original)) {
    if (original) original.deletedAt = ws.ids.ts();
    const at = ws.ephemerals.findIndex((e) => e.ts === r.ephemeralTs && e.user === r.user);
    if (at >= 0) ws.ephemerals.splice(at, 1);
  } else if (yes(b.replace_original) && original) {
    original.text = text;
    original.blocks = blocks;
    original.edited = { user: ws.identity.botUserId, ts: ws.ids.ts() };
  } else if (b.response_type === 'in_channel') {
    const posted = ws.postMessage(
      ws.identity.botUserId,
      { channel: r.channel, text, blocks },
      'response_url',
    );
    if (!posted.ok) return { status: 200, body: { ok: false, error: posted.error } };
  } else {
    ws.recordEphemeral({
      channel: r.channel,
      user: r.user,
      text,
      blocks,
      threadTs: undefined,
      origin: 'response_url',
    });
  }
  return { status: 200, body: { ok: true } };
}
