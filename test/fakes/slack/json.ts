import type { ChannelRecord, FileRecord, MessageRecord, ViewRecord } from './records.ts';
import type { WorkspaceIdentity } from './workspace.ts';

/** Web API JSON shapes, after the examples in Slack's method reference. */

export function conversationJson(c: ChannelRecord, viewer: string, teamId: string): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    is_channel: true,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: c.private,
    created: c.created,
    is_archived: c.archived,
    is_general: c.general,
    unlinked: 0,
    name_normalized: c.name,
    is_shared: false,
    is_org_shared: false,
    is_ext_shared: false,
    is_pending_ext_shared: false,
    pending_shared: [],
    context_team_id: teamId,
    parent_conversation: null,
    creator: c.creator,
    is_member: c.members.has(viewer),
    topic: { value: c.topic, creator: c.topicSetBy, last_set: c.topicSetAt },
    purpose: { value: c.purpose, creator: '', last_set: 0 },
    previous_names: [...c.previousNames],
  };
}

export function messageJson(m: MessageRecord, id: WorkspaceIdentity): Record<string, unknown> {
  return {
    type: 'message',
    ...(m.subtype ? { subtype: m.subtype } : {}),
    text: m.text,
    user: m.user,
    ts: m.ts,
    team: id.teamId,
    ...(m.botId
      ? {
          bot_id: m.botId,
          app_id: m.appId,
          bot_profile: { id: m.botId, app_id: m.appId, name: id.botName, deleted: false, team_id: id.teamId },
        }
      : {}),
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.attachments ? { attachments: m.attachments } : {}),
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    ...(m.edited ? { edited: { ...m.edited } } : {}),
    ...(m.clientMsgId ? { client_msg_id: m.clientMsgId } : {}),
    ...(m.files.length > 0 ? { files: m.files.map((f) => ({ id: f })) } : {}),
    ...(m.pinnedBy ? { pinned_to: [m.channel] } : {}),
    ...(m.reactions.size > 0
      ? {
          reactions: [...m.reactions].map(([name, users]) => ({
            name,
            users: [...users],
            count: users.length,
          })),
        }
      : {}),
  };
}

export function viewJson(v: ViewRecord, id: WorkspaceIdentity): Record<string, unknown> {
  const view = v.view;
  return {
    id: v.id,
    team_id: id.teamId,
    type: view.type ?? 'modal',
    blocks: view.blocks ?? [],
    private_metadata: view.private_metadata ?? '',
    callback_id: view.callback_id ?? '',
    state: { values: {} },
    hash: v.hash,
    title: view.title,
    clear_on_close: view.clear_on_close ?? false,
    notify_on_close: view.notify_on_close ?? false,
    close: view.close ?? null,
    submit: view.submit ?? null,
    previous_view_id: null,
    root_view_id: v.id,
    app_id: id.appId,
    external_id: v.externalId,
    app_installed_team_id: id.teamId,
    bot_id: id.botId,
  };
}

export function fileJson(f: FileRecord, origin: string): Record<string, unknown> {
  const ext = f.filename.includes('.') ? f.filename.split('.').pop()! : 'text';
  return {
    id: f.id,
    created: f.created,
    timestamp: f.created,
    name: f.filename,
    title: f.title,
    mimetype: 'text/plain',
    filetype: ext,
    pretty_type: ext,
    user: f.userId,
    size: f.content?.length ?? f.length,
    mode: 'hosted',
    is_external: false,
    is_public: f.channel !== undefined,
    url_private: `${origin}/files-pri/${f.id}/${encodeURIComponent(f.filename)}`,
    permalink: `${origin}/files/${f.userId}/${f.id}/${encodeURIComponent(f.filename)}`,
    // Slack fills `shares` asynchronously after completeUploadExternal; it is empty in the answer.
    shares: {},
    channels: [],
    groups: [],
    ims: [],
  };
}
