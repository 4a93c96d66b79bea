import type { ServerResponse } from 'node:http';
import { MIME_TYPE } from '../port.ts';
import type { SandboxFile, SandboxMessage } from './workspace.ts';

/*
 * The files the bot uploads to the sandbox, as the page gets them: text (the post-mortem draft)
 * inline, as ever, so the page can render it; bytes (a diagnostic bundle) by name, type and size
 * only, downloaded from their own route, so a listing never carries megabytes of base64.
 */

/** The message as the page lists it: a binary file without its bytes. */
export function withoutBytes(m: SandboxMessage): SandboxMessage {
  if (m.file?.encoding !== 'base64') return m;
  const { content: _bytes, ...file } = m.file;
  return { ...m, file: { ...file, content: '' } };
}

/** The type a file is served as: its own if it is one, else what its name or encoding says. */
function servedType(file: SandboxFile): string {
  if (file.contentType && MIME_TYPE.test(file.contentType)) return file.contentType;
  if (file.encoding === 'base64') return 'application/octet-stream';
  return /\.md$/i.test(file.filename) ? 'text/markdown; charset=utf-8' : 'text/plain; charset=utf-8';
}

/**
 * `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): the quoted name in plain ASCII for
 * old clients, the exact one percent-encoded, so no name can break out of the header.
 */
function disposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** Answers with the file's bytes, as a download (never shown in the page's own origin). */
export function sendFile(res: ServerResponse, file: SandboxFile): void {
  const bytes = Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');
  res.writeHead(200, {
    'content-type': servedType(file),
    'content-length': bytes.length,
    'content-disposition': disposition(file.filename),
    // A private channel's file: not kept by caches; and never sniffed into something runnable.
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(bytes);
}
