import type { IncomingMessage } from 'node:http';

/**
 * Reads a Web API request the ways Slack accepts one: application/x-www-form-urlencoded (what
 * WebClient sends), application/json (with the token in the Authorization header), multipart
 * form data, or a GET query string.
 */
export interface ParsedBody {
  readonly params: Record<string, unknown>;
  /** Files of a multipart body, by field name. */
  readonly files: Record<string, Buffer>;
  readonly raw: Buffer;
  readonly contentType: string;
}

export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Fields whose form values are JSON text (WebClient JSON-encodes objects and arrays). */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

export class BadRequest extends Error {
  constructor(readonly error: string) {
    super(error);
  }
}

export async function parseBody(req: IncomingMessage, url: URL): Promise<ParsedBody> {
  const raw = await readRaw(req);
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const files: Record<string, Buffer> = {};
  if (raw.length > 0) {
    if (contentType.startsWith('application/json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new BadRequest('invalid_json');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new BadRequest('invalid_json');
      Object.assign(params, parsed);
    } else if (contentType.startsWith('multipart/form-data')) {
      const form = await new Request('http://fake.invalid/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: raw,
      }).formData();
      for (const [key, value] of form) {
        if (typeof value === 'string') params[key] = value;
        else files[key] = Buffer.from(await value.arrayBuffer());
      }
    } else if (contentType.startsWith('application/x-www-form-urlencoded') || contentType === '') {
      Object.assign(params, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
    } else {
      throw new BadRequest('invalid_post_type');
    }
  }
  for (const key of JSON_FIELDS) {
    const v = params[key];
    if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
      try {
        params[key] = JSON.parse(v);
      } catch {
        throw new BadRequest(key === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments');
      }
    }
  }
  return { params, files, raw, contentType };
}

/** Form values arrive as strings; JSON bodies may carry real booleans. */
export function bool(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
