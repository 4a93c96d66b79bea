import type { ChannelRecord, FileRecord } from './records.ts';
import { fail, ok, type SlackResult } from './result.ts';
import type { Workspace } from './workspace.ts';

/**
 * The v2 upload flow WebClient.filesUploadV2 uses: files.getUploadURLExternal hands out an upload
 * URL and a file id for a `length` up to the workspace's limit (else `file_upload_size_restricted`);
 * the bytes are POSTed there and kept as they are (WebClient sends them raw, multipart works too);
 * files.completeUploadExternal with `files=[{id,title}]` and `channel_id` shares them in one
 * message. Completing a file that was never uploaded answers `file_not_found`.
 */

export function startUpload(
  ws: Workspace,
  actor: string,
  input: { filename?: string; length?: number; snippetType?: string; altText?: string },
): SlackResult<FileRecord> {
  if (!input.filename) return fail('invalid_arguments');
  // "missing_argument: … Typically only occurs when the length provided is 0."
  if (!input.length || !Number.isFinite(input.length) || input.length <= 0) return fail('missing_argument');
  // The method page's refusal of a size the workspace does not take; nothing is handed out.
  if (input.length > ws.maxUploadBytes) return fail('file_upload_size_restricted');
  const f: FileRecord = {
    id: ws.ids.next('F'),
    ticket: ws.ids.ticket(),
    filename: input.filename,
    title: input.filename,
    length: input.length,
    snippetType: input.snippetType,
    altText: input.altText,
    userId: actor,
    created: Math.floor(Date.now() / 1000),
    content: undefined,
    completed: false,
    channel: undefined,
    initialComment: undefined,
    threadTs: undefined,
    messageTs: undefined,
  };
  ws.files.set(f.id, f);
  return ok(f);
}

export function receiveUpload(ws: Workspace, ticket: string, bytes: Buffer): FileRecord | undefined {
  const f = [...ws.files.values()].find((x) => x.ticket === ticket);
  if (!f || f.completed) return undefined;
  f.content = bytes;
  return f;
}

export function completeUpload(
  ws: Workspace,
  actor: string,
  input: {
    files: readonly { id?: string; title?: string }[];
    channel?: string;
    initialComment?: string;
    threadTs?: string;
  },
): SlackResult<FileRecord[]> {
  if (input.files.length === 0) return fail('invalid_arguments');
  const records: FileRecord[] = [];
  for (const entry of input.files) {
    const f = entry.id ? ws.files.get(entry.id) : undefined;
    if (!f || f.content === undefined || f.completed) return fail('file_not_found');
    records.push(f);
  }
  let channel: ChannelRecord | undefined;
  if (input.channel) {
    channel = ws.findChannel(input.channel);
    if (!channel) return fail('invalid_channel');
    if (channel.private && !channel.members.has(actor)) return fail('posting_to_channel_denied');
    if (channel.archived) return fail('is_archived');
  }
  input.files.forEach((entry, i) => {
    const f = records[i]!;
    f.completed = true;
    if (entry.title) f.title = entry.title;
    f.channel = channel?.id;
    f.initialComment = input.initialComment;
    f.threadTs = input.threadTs;
  });
  if (channel) {
    const bot = ws.users.get(actor)?.botId;
    // Slack shares the files with one message, posted asynchronously: its ts is not in the answer.
    const m = ws.addMessage({
      channel: channel.id,
      ts: ws.ids.ts(),
      text: input.initialComment ?? '',
      blocks: undefined,
      attachments: undefined,
      user: actor,
      botId: bot,
      appId: bot ? ws.identity.appId : undefined,
      subtype: undefined,
      threadTs: input.threadTs,
      clientMsgId: undefined,
      metadata: undefined,
      origin: 'api',
      files: records.map((f) => f.id),
    });
    for (const f of records) f.messageTs = m.ts;
  }
  return ok(records);
}
