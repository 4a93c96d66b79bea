import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { formatBytes, formatElapsed, type Redactor } from '../core/index.ts';
import type { BundleFile, CollectedBundle } from './bundle.ts';

/**
 * A collected bundle made into what a chat platform takes: redacted, archived (one tar of text
 * files), compressed (gzip), and split into parts that each fit the platform's upload limit. Text
 * is redacted before anything else sees it, a few hundred KiB at a time, and compressed a MiB at a
 * time, so a bug report of tens of MiB never holds the event loop (bench/bundle.ts).
 */

/** Redacted this much text at a time, at line boundaries, between turns of the event loop. */
const REDACT_CHUNK = 256 * 1024;
/** A tar block; headers are one, contents are padded to whole blocks. */
const BLOCK = 512;
/** Room a part keeps below the limit for its README and tar headers. */
const PART_OVERHEAD = 64 * 1024;

export interface ArchiveInput {
  readonly bundle: CollectedBundle;
  /** What the README says of where it came from (`INC-12`, who asked, when). */
  readonly context: readonly string[];
  /** The largest file the platform takes. */
  readonly maxBytes: number;
  /** The platform's name for the README (`Slack`). */
  readonly platform: string;
  readonly collectedAt: Date;
  readonly redact: Redactor;
}

export interface ArchivePart {
  readonly filename: string;
  readonly bytes: Buffer;
}

export interface BuiltArchive {
  readonly parts: readonly ArchivePart[];
  /** The text collected, before compression. */
  readonly rawBytes: number;
  readonly redactions: number;
  /** Files cut down to fit the upload limit, and how much of each was kept. */
  readonly cut: readonly { readonly name: string; readonly kept: number; readonly of: number }[];
}

/** A file of the archive: its text in pieces (a 32 MiB string joined at once holds the event loop). */
interface Entry {
  readonly name: string;
  readonly parts: readonly string[];
  readonly note: string;
}

const byteLength = (parts: readonly string[]) => parts.reduce((n, p) => n + Buffer.byteLength(p, 'utf8'), 0);

/**
 * Blanks secrets out of `text` in chunks cut at line ends, yielding between them. A chunk never
 * ends inside a private key block (the redactor removes a whole block, up to its END line).
 */
export async function redactLarge(
  text: string,
  redact: Redactor,
): Promise<{ parts: string[]; count: number }> {
  const out: string[] = [];
  let count = 0;
  let at = 0;
  while (at < text.length) {
    let end = Math.min(text.length, at + REDACT_CHUNK);
    if (end < text.length) {
      const newline = text.indexOf('\n', end);
      end = newline < 0 ? text.length : newline + 1;
      const chunk = text.slice(at, end);
      if (chunk.lastIndexOf('-----BEGIN') > chunk.lastIndexOf('-----END')) {
        const close = text.indexOf('-----END', end);
        const line = close < 0 ? -1 : text.indexOf('\n', close);
        end = line < 0 ? text.length : line + 1;
      }
    }
    const chunk = text.slice(at, end);
    const clean = redact(chunk);
    count += markers(clean) - markers(chunk);
    out.push(clean);
    at = end;
    if (at < text.length) await new Promise((r) => setImmediate(r));
  }
  return { parts: out, count };
}

function markers(text: string): number {
  let n = 0;
  for (let i = text.indexOf('[redacted'); i >= 0; i = text.indexOf('[redacted', i + 1)) n++;
  return n;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header: a regular file, mode 0644, owned by nobody in particular. */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const h = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'ascii');
  h.write(' '.repeat(8), 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** Characters turned into bytes and compressed at a time, between turns of the event loop. */
const WRITE_CHUNK = 1024 * 1024;

/**
 * A gzip-compressed tar of text files under `dir/`, ending in the two zero blocks tar expects.
 * Streamed through zlib a MiB at a time: a whole 32 MiB report turned into bytes at once holds the
 * event loop for a fifth of a second.
 */
export async function gzipTar(
  dir: string,
  files: readonly { name: string; parts: readonly string[] }[],
  mtime: Date,
): Promise<Buffer> {
  const z = createGzip();
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    z.on('end', resolve);
    z.on('error', reject);
  });
  const write = async (b: Buffer) => {
    if (!z.write(b)) await once(z, 'drain');
  };
  for (const f of files) {
    const size = byteLength(f.parts);
    await write(tarHeader(`${dir}/${f.name}`, size, mtime));
    for (const text of f.parts) {
      for (let at = 0; at < text.length; ) {
        let end = Math.min(text.length, at + WRITE_CHUNK);
        // Never between the two halves of a surrogate pair: each half alone is not UTF-8.
        const last = text.charCodeAt(end - 1);
        if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
        await write(Buffer.from(text.slice(at, end), 'utf8'));
        at = end;
        await new Promise((r) => setImmediate(r));
      }
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) await write(Buffer.alloc(pad));
  }
  z.end(Buffer.alloc(2 * BLOCK));
  await done;
  return Buffer.concat(out);
}

/** `20261208T0031Z`: sorts, and means the same in every time zone. */
function fileStamp(d: Date): string {
  return `${d.toISOString().slice(0, 16).replaceAll('-', '').replace(':', '')}Z`;
}

/** A node name is safe in a file name (NODE_NAME_PATTERN); a long one is cut so tar can hold it. */
export function bundleBaseName(node: string, at: Date): string {
  return `diagnostics-${node.slice(0, 64)}-${fileStamp(at)}`;
}

/** Keeps the head and the tail of `text`, about `keep` characters in all, saying what was cut. */
function cutMiddle(text: string, keep: number, why: string): string {
  if (text.length <= keep) return text;
  const half = Math.floor(keep / 2);
  const headEnd = text.lastIndexOf('\n', half) + 1 || half;
  const tailStart = text.indexOf('\n', text.length - half) + 1 || text.length - half;
  const gone = tailStart - headEnd;
  return `${text.slice(0, headEnd)}\n[… ${formatBytes(gone)} cut here: ${why} …]\n\n${text.slice(tailStart)}`;
}

function readme(
  input: ArchiveInput,
  entries: readonly Entry[],
  part: number,
  parts: number,
  redactions: number,
): string {
  const { bundle } = input;
  const lines = [
    `Diagnostic bundle of ${bundle.node}`,
    '',
    ...input.context,
    `Collector: ${bundle.collector === 'nvidia-bug-report' ? 'nvidia-bug-report.sh --safe-mode' : 'the fixed set (this node has no nvidia-bug-report.sh)'}, in ${formatElapsed(bundle.durationMs)}`,
    ...(parts > 1
      ? [
          `Part ${part} of ${parts}: split to fit ${input.platform}'s upload limit of ${formatBytes(input.maxBytes)}.`,
        ]
      : []),
    '',
    'Files in this part:',
    ...entries.map((e) => `  ${e.name}: ${e.note}`),
    '',
    redactions > 0
      ? `Redacted: ${redactions} secret${redactions === 1 ? '' : 's'} (tokens, keys and passwords the bot's redactor matched). Read it before sharing it outside the company.`
      : "Redacted: nothing matched the bot's redactor. Read it before sharing it outside the company.",
    '',
  ];
  return lines.join('\n');
}

/** Redacts, archives, compresses and splits a collected bundle (see the file's comment). */
export async function buildArchive(input: ArchiveInput): Promise<BuiltArchive> {
  const { bundle, collectedAt } = input;
  const base = bundleBaseName(bundle.node, collectedAt);
  let redactions = 0;
  let rawBytes = 0;
  const entries: Entry[] = [];
  const add = async (name: string, text: string, f: BundleFile) => {
    const clean = await redactLarge(text, input.redact);
    redactions += clean.count;
    rawBytes += Buffer.byteLength(text);
    entries.push({
      name,
      parts: clean.parts,
      note: `${f.command.includes('\n') ? 'nvidia-bug-report.sh (see above)' : `\`${f.command}\``}, exit ${f.exitCode}, ${formatBytes(byteLength(clean.parts))}`,
    });
  };
  for (const f of bundle.files) {
    await add(f.name, f.stdout, f);
    if (f.stderr.trim()) await add(`${f.name.replace(/\.[a-z]+$/, '')}.stderr.txt`, f.stderr, f);
  }

  const whole = await pack(base, input, entries, 1, 1, redactions);
  if (whole.length <= input.maxBytes) {
    return { parts: [{ filename: `${base}.tar.gz`, bytes: whole }], rawBytes, redactions, cut: [] };
  }

  // Too big for one upload: one part per group of files that fits, a file too big alone cut down.
  const budget = Math.max(BLOCK * 4, input.maxBytes - PART_OVERHEAD);
  const cut: { name: string; kept: number; of: number }[] = [];
  const sized: { entry: Entry; bytes: number }[] = [];
  for (const e of entries) {
    let entry = e;
    let bytes = (await gzipTar(base, [e], collectedAt)).length;
    // Only a file over the limit is ever joined into one string, to cut its middle out.
    const whole = bytes > budget ? e.parts.join('') : '';
    for (let tries = 0; bytes > budget && tries < 8; tries++) {
      const kept = entry === e ? whole.length : entry.parts[0]!.length;
      const text = cutMiddle(
        whole,
        Math.floor((kept * budget * 0.9) / bytes),
        `the file is larger than ${input.platform}'s upload limit`,
      );
      entry = {
        ...e,
        parts: [text],
        note: `${e.note}, cut to ${formatBytes(Buffer.byteLength(text))} to fit the upload limit`,
      };
      bytes = (await gzipTar(base, [entry], collectedAt)).length;
    }
    if (entry !== e) cut.push({ name: e.name, kept: byteLength(entry.parts), of: byteLength(e.parts) });
    sized.push({ entry, bytes });
  }
  const groups: Entry[][] = [];
  let current: Entry[] = [];
  let used = 0;
  for (const s of sized) {
    if (current.length > 0 && used + s.bytes > budget) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(s.entry);
    used += s.bytes;
  }
  if (current.length > 0) groups.push(current);
  const parts: ArchivePart[] = [];
  for (const [i, group] of groups.entries()) {
    const bytes = await pack(base, input, group, i + 1, groups.length, redactions);
    // The estimate is per file; the part as packed is what the platform sees.
    if (bytes.length > input.maxBytes) {
      throw new Error(`a bundle part came to ${bytes.length} bytes, over the ${input.maxBytes}-byte limit`);
    }
    parts.push({ filename: `${base}-part${i + 1}-of-${groups.length}.tar.gz`, bytes });
  }
  return { parts, rawBytes, redactions, cut };
}

async function pack(
  base: string,
  input: ArchiveInput,
  entries: readonly Entry[],
  part: number,
  parts: number,
  redactions: number,
): Promise<Buffer> {
  const files = [
    { name: 'README.txt', parts: [readme(input, entries, part, parts, redactions)] },
    ...entries,
  ];
  return gzipTar(base, files, input.collectedAt);
}
