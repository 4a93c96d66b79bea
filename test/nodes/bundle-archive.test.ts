import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { redact } from '../../src/core/index.ts';
import type { BundleFile, CollectedBundle } from '../../src/nodes/bundle.ts';
import {
  type ArchiveInput,
  buildArchive,
  gzipTar,
  redactLarge,
  tarHeader,
} from '../../src/nodes/bundle-archive.ts';

const AT = new Date('2026-12-08T00:31:00Z');
const KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACDpZpYt0Ss5H8nX2vKj6U6c1lSbR3aHSm1MNOgGZ9uXswAAAJi0m8mKtJvJ',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** What the real GNU tar reads out of an archive: its names, and one file's text. */
function untar(bytes: Buffer): { names: string[]; read: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  dirs.push(dir);
  const file = join(dir, 'a.tar.gz');
  writeFileSync(file, bytes);
  const names = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
  execFileSync('tar', ['-xzf', file, '-C', dir]);
  return { names, read: (name) => readFileSync(join(dir, name), 'utf8') };
}

/** One command's output, as an adapter returns it. */
function ran(name: string, command: string, stdout: string, more: Partial<BundleFile> = {}): BundleFile {
  return { name, command, exitCode: 0, stdout, stderr: '', ...more };
}

function bundle(files: CollectedBundle['files']): CollectedBundle {
  return { node: 'gpu-node-5', collector: 'standard', files, durationMs: 4200 };
}

const input = (b: CollectedBundle, over: Partial<ArchiveInput> = {}): ArchiveInput => ({
  bundle: b,
  context: ['Incident: INC-12 Xid 79 on gpu-node-5', 'Asked by: alice, 2026-12-08 00:31 UTC'],
  maxBytes: 10 * 1024 * 1024,
  platform: 'Discord',
  collectedAt: AT,
  redact,
  ...over,
});

describe('the diagnostic bundle archive', () => {
  it('is one tar.gz that GNU tar reads: a README, each file, and stderr beside its file', async () => {
    const built = await buildArchive(
      input(
        bundle([
          ran('nvidia-smi-q.txt', 'nvidia-smi -q', 'GPU 00000000:18:00.0\n'),
          ran('dmesg.txt', 'dmesg -T', '', {
            exitCode: 1,
            stderr: 'dmesg: read kernel buffer failed: Operation not permitted\n',
          }),
        ]),
      ),
    );
    expect(built.parts).toHaveLength(1);
    const [part] = built.parts;
    expect(part!.filename).toBe('diagnostics-gpu-node-5-20261208T0031Z.tar.gz');
    const out = untar(part!.bytes);
    const dir = 'diagnostics-gpu-node-5-20261208T0031Z';
    expect(out.names).toEqual([
      `${dir}/README.txt`,
      `${dir}/nvidia-smi-q.txt`,
      `${dir}/dmesg.txt`,
      `${dir}/dmesg.stderr.txt`,
    ]);
    expect(out.read(`${dir}/nvidia-smi-q.txt`)).toBe('GPU 00000000:18:00.0\n');
    expect(out.read(`${dir}/dmesg.stderr.txt`)).toContain('Operation not permitted');
    const readme = out.read(`${dir}/README.txt`);
    expect(readme).toContain('Diagnostic bundle of gpu-node-5');
    expect(readme).toContain('Incident: INC-12');
    expect(readme).toContain('the fixed set (this node has no nvidia-bug-report.sh), in 4.2 s');
    expect(readme).toContain('dmesg.txt: `dmesg -T`, exit 1');
    expect(readme).not.toContain('Part 1');
  });

  it('redacts secrets before anything is compressed, and counts them', async () => {
    const stdout = `env: SLACK_BOT_TOKEN=xoxb-1234567890-abcdefghijkl\n${KEY}\nafter the key\n`;
    const built = await buildArchive(
      input(bundle([{ name: 'dmesg.txt', command: 'dmesg -T', exitCode: 0, stdout, stderr: '' }])),
    );
    const raw = gunzipSync(built.parts[0]!.bytes).toString('utf8');
    expect(raw).not.toContain('xoxb-1234567890');
    expect(raw).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
    expect(raw).toContain('after the key');
    expect(built.redactions).toBe(2);
    expect(raw).toContain('Redacted: 2 secrets');
  });

  it('never cuts a private key in two between redaction chunks, wherever the chunk ends', async () => {
    await fc.assert(
      // 100-byte lines up to around the 256 KiB chunk, so some chunk ends inside the key.
      fc.asyncProperty(fc.integer({ min: 2615, max: 2625 }), async (lines) => {
        const text = `${`${'x'.repeat(99)}\n`.repeat(lines)}${KEY}\ntail\n`;
        const out = await redactLarge(text, redact);
        const clean = out.parts.join('');
        expect(clean).not.toContain('QyNTUxOQAAACDpZpYt0Ss5H8nX2vKj6U6c1lSbR3aHSm1MNOgGZ9uXswAAAJi0m8mKtJvJ');
        expect(clean.endsWith('tail\n')).toBe(true);
        expect(out.count).toBe(1);
      }),
      { seed: 16, numRuns: 40 },
    );
  });

  it('splits into parts under the upload limit, each with its own README, cutting a file too big alone', async () => {
    // Incompressible-ish text: a pseudo-random hex stream, so sizes stay near what was printed.
    let x = 1;
    const noise = (n: number) => {
      let s = '';
      while (s.length < n) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        s += `${x.toString(16)}\n`;
      }
      return s;
    };
    const limit = 400 * 1024;
    const built = await buildArchive(
      input(
        bundle([
          ran('nvidia-smi-q.txt', 'nvidia-smi -q', noise(200 * 1024)),
          ran('dmesg.txt', 'dmesg -T', noise(250 * 1024)),
          ran('journalctl-k.txt', 'journalctl -k', `first line\n${noise(2 * 1024 * 1024)}last line\n`),
        ]),
        { maxBytes: limit },
      ),
    );
    expect(built.parts.length).toBeGreaterThanOrEqual(2);
    const n = built.parts.length;
    const seen: string[] = [];
    for (const [i, part] of built.parts.entries()) {
      expect(part.bytes.length).toBeLessThanOrEqual(limit);
      expect(part.filename).toBe(`diagnostics-gpu-node-5-20261208T0031Z-part${i + 1}-of-${n}.tar.gz`);
      const out = untar(part.bytes);
      const dir = 'diagnostics-gpu-node-5-20261208T0031Z';
      expect(out.read(`${dir}/README.txt`)).toContain(
        `Part ${i + 1} of ${n}: split to fit Discord's upload limit of 400.0 KiB.`,
      );
      seen.push(...out.names.filter((name) => !name.endsWith('README.txt')));
      if (out.names.includes(`${dir}/journalctl-k.txt`)) {
        const journal = out.read(`${dir}/journalctl-k.txt`);
        // The start and the end kept, the middle said to be cut.
        expect(journal.startsWith('first line\n')).toBe(true);
        expect(journal.endsWith('last line\n')).toBe(true);
        expect(journal).toMatch(
          /\[… [\d.]+ (KiB|MiB) cut here: the file is larger than Discord's upload limit …\]/,
        );
      }
    }
    expect(seen.map((s) => s.split('/')[1]).sort()).toEqual([
      'dmesg.txt',
      'journalctl-k.txt',
      'nvidia-smi-q.txt',
    ]);
    expect(built.cut.map((c) => c.name)).toEqual(['journalctl-k.txt']);
  });

  it('writes ustar headers with a valid checksum, and GNU tar reads any text back byte for byte', async () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 33 - 1 }), (size) => {
        const h = tarHeader('d/f.txt', size, AT);
        let sum = 0;
        for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
        expect(Number.parseInt(h.subarray(148, 154).toString('ascii'), 8)).toBe(sum);
        expect(Number.parseInt(h.subarray(124, 135).toString('ascii'), 8)).toBe(size);
      }),
      { seed: 16, numRuns: 100 },
    );
    // Multi-byte text across the MiB the archive is written in at a time: no character cut in two.
    const text = `${'a'.repeat(1024 * 1024 - 1)}😀é${'b'.repeat(10)}`;
    const out = untar(await gzipTar('d', [{ name: 'f.txt', parts: [text, 'ü tail'] }], AT));
    expect(out.read('d/f.txt')).toBe(`${text}ü tail`);
  });
});
