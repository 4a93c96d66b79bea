import { z } from 'zod';
import type { ChatMessage } from '../chat/message.ts';
import { type FileUpload, isBase64, MIME_TYPE } from '../chat/port.ts';

/**
 * The bot's chat calls, one entry per outbox op: its payload's schema. A payload is written to
 * disk in the transaction that decides it and read back after a crash, maybe by another replica
 * or a newer version, so it is checked against its schema both when it is written and when it is
 * read back (an entry that does not parse fails for good, saying why, instead of reaching a
 * handler as a cast). Each op has exactly one handler (OpHandlers), given at composition.
 */
const button = z.object({
  id: z.string().min(1).max(100),
  label: z.string(),
  style: z.enum(['primary', 'danger']).optional(),
  confirm: z
    .object({ title: z.string(), text: z.string(), confirm: z.string(), deny: z.string() })
    .optional(),
});

/** A ChatMessage as stored: the neutral message (src/chat/message.ts), field for field. */
export const chatMessageSchema: z.ZodType<ChatMessage> = z.object({
  text: z.string(),
  header: z.string().optional(),
  sections: z.array(z.string()).optional(),
  fields: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
  buttons: z.array(button).optional(),
  context: z.array(z.string()).optional(),
  mentions: z.array(z.string()).optional(),
});

/**
 * A FileUpload as stored. Bytes ride as base64, checked here: Node's decoder skips what it does not
 * know, so a damaged payload would reach chat as other bytes; this fails it when it is written.
 * The content type ends up in a header (the sandbox serves the file), so it must be one.
 */
const fileSchema: z.ZodType<FileUpload> = z
  .object({
    filename: z.string().min(1),
    title: z.string(),
    content: z.string(),
    encoding: z.enum(['utf8', 'base64']).optional(),
    contentType: z.string().regex(MIME_TYPE, 'must be a MIME type such as application/gzip').optional(),
  })
  .refine((f) => f.encoding !== 'base64' || isBase64(f.content), {
    path: ['content'],
    message: 'is not valid base64',
  });

export const CHAT_OPS = {
  /** Open the incident's channel (or adopt the one an interrupted attempt made), then the rest. */
  open_channel: z.object({
    actor: z.object({ id: z.string(), name: z.string(), bot: z.boolean() }),
  }),
  /** Post (`initial`: only the channel's opening posts it) or redraw the incident card. */
  card: z.object({ initial: z.boolean().optional() }),
  topic: z.object({}),
  /** A message in the incident's channel, or in its platform's announcement channel. */
  post: z.object({
    to: z.enum(['incident', 'announce']),
    message: chatMessageSchema,
    /** Remembered once posted, so resolving the incident takes its buttons away (tracked_messages). */
    track: z.enum(['resolve_offer', 'reminder']).optional(),
  }),
  invite: z.object({ userIds: z.array(z.string()) }),
  /** Replace a message the bot posted (a snoozed reminder). */
  update: z.object({ channelId: z.string(), messageId: z.string(), message: chatMessageSchema }),
  archive: z.object({}),
  upload: z.object({ file: fileSchema }),
  /** Post (`initial`) or redraw a mitigation's request message, drawn from the stored action. */
  action: z.object({ actionId: z.string(), initial: z.boolean().optional() }),
  /** An alert incident's first triage, on the nodes its alerts name. */
  alert_triage: z.object({ nodes: z.array(z.string()), runbook: z.string().optional() }),
} as const;

export type ChatOps = typeof CHAT_OPS;
