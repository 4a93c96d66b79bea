import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BotError } from '../../src/core/errors.ts';
import { NODE_NAME_PATTERN } from '../../src/nodes/port.ts';
import {
  BatchDemux,
  buildBatch,
  checkHostKey,
  compileTemplate,
  DEFAULT_SSH_COMMANDS,
  drainReason,
  hostsMatch,
  parseKnownHosts,
  parseSchedulerState,
  pinsFor,
  renderTemplate,
  Semaphore,
  shellQuote,
  sshAdapterOptions,
  sshFingerprint,
  TailBuffer,
  withSudo,
} from '../../src/nodes/ssh/index.ts';
import { generateTestKey, knownHostsLine, splitWords } from '../fakes/ssh/index.ts';

const run = promisify(execFile);

/** Runs `script` in a real /bin/sh and splits its output the way the adapter does. */
async function throughSh(commands: string[], cap = 65_536) {
  const batch = buildBatch(commands);
  const { stdout, stderr } = await run('sh', ['-c', batch.script], { encoding: 'buffer' });
  const out = new BatchDemux(batch, true, cap);
  const err = new BatchDemux(batch, false, cap);
  // Byte by byte at the start, to prove a marker split across packets is still found.
  for (let i = 0; i < Math.min(64, stdout.length); i++) out.push(stdout.subarray(i, i + 1));
  out.push(stdout.subarray(64));
  err.push(stderr);
  out.end();
  err.end();
  return commands.map((_, i) => ({ stdout: out.text(i), stderr: err.text(i), status: out.status(i) }));
}

describe('shell quoting', () => {
  it('round-trips any string through a real sh as exactly one argument', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary-ascii' }), fc.string({ unit: 'grapheme' }), fc.string()).filter(
          // A lone surrogate has no UTF-8 form, so it cannot reach a shell as itself anyway.
          (s) => !s.includes('\0') && Buffer.from(s).toString() === s,
        ),
        async (s) => {
          const { stdout } = await run('sh', ['-c', `printf '%s' ${shellQuote(s)}; printf '|%s' "$#"`, 'sh']);
          expect(stdout).toBe(`${s}|0`);
          const args = await run('sh', ['-c', `set -- ${shellQuote(s)}; printf '%s' "$#"`]);
          expect(args.stdout).toBe('1');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a NUL byte, which no shell argument can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('sudo wraps the whole pipeline, quoted', () => {
    expect(withSudo("dmesg | grep -i 'xid'")).toBe(`sudo -n sh -c 'dmesg | grep -i '\\''xid'\\'''`);
  });
});

describe('command templates', () => {
  it('inserts validated values single-quoted; anything else is refused before rendering', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/)),
        fc.option(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 300 })), { nil: undefined }),
        (node, reason) => {
          const t = compileTemplate(DEFAULT_SSH_COMMANDS.cordon, ['node', 'reason']);
          let rendered: string;
          try {
            rendered = renderTemplate(t, { node, reason });
          } catch (err) {
            expect(err).toBeInstanceOf(BotError);
            expect((err as BotError).code).toBe('bot.node.invalid_name');
            expect(NODE_NAME_PATTERN.test(node)).toBe(false);
            return;
          }
          const { words, unquoted } = splitWords(rendered);
          expect(words).toEqual([
            'scontrol',
            'update',
            `nodename=${node}`,
            'state=drain',
            `reason=${drainReason(reason)}`,
          ]);
          expect(unquoted).toEqual([]);
          // The reason is plain words whatever came in: no quote, `$`, backtick, newline or control.
          expect(drainReason(reason)).toMatch(/^incident-bot( [A-Za-z0-9 .,:;#/()+=@_-]*)?$/);
          expect(drainReason(reason).length).toBeLessThanOrEqual(120);
        },
      ),
    );
  });

  it('gives Slurm a drain reason that names the incident in plain words', () => {
    expect(drainReason('INC-12: Xid 79 on gpu-node-5')).toBe('incident-bot INC-12: Xid 79 on gpu-node-5');
    expect(drainReason(undefined)).toBe('incident-bot');
    expect(drainReason("INC-3: it's $(reboot) `now`\nréseau")).toBe(
      'incident-bot INC-3: it s (reboot) now r seau',
    );
    expect(drainReason(`INC-4: ${'x'.repeat(300)}`)).toHaveLength(120);
  });

  it('are checked when the config is read', () => {
    const base = {
      type: 'ssh',
      user: 'gpuops',
      privateKeyPath: '~/.ssh/id_ed25519',
      knownHostsPath: './known_hosts',
      nodes: [{ name: 'gpu-node-9', host: '10.0.0.9' }],
    };
    const problems = (commands: object) =>
      sshAdapterOptions
        .safeParse({ ...base, commands })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems({ cordon: "scontrol update nodename='{node}' state=drain reason=x" })).toEqual([
      'commands.cordon: command template puts {node} inside quotes; write it bare, the bot quotes the value itself',
    ]);
    expect(problems({ cordon: 'scontrol update nodename={node} {workload}' })).toEqual([
      'commands.cordon: command template uses {workload}, which is not one of {node}, {reason}',
    ]);
    expect(problems({ stop: 'systemctl stop {unit}' })).toEqual([
      'commands.stop: command template uses {unit}, which is not one of {node}, {workload}',
    ]);
    expect(
      problems({ restart: "docker restart {workload} && docker inspect --format '{{.Name}}' {workload}" }),
    ).toBeUndefined();
    expect(problems({ drain: false, state: false })).toBeUndefined();
  });
});

describe('logs template', () => {
  it('renders {tail} as the digits of a checked whole number, and the container name quoted', () => {
    const t = compileTemplate(DEFAULT_SSH_COMMANDS.logs, ['node', 'workload', 'tail']);
    expect(renderTemplate(t, { node: 'gpu-node-1', workload: 'vllm', tail: 50 })).toBe(
      "docker logs --tail 50 'vllm' 2>&1",
    );
    for (const tail of [0, -1, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY, undefined]) {
      const err = (() => {
        try {
          renderTemplate(t, {
            node: 'gpu-node-1',
            workload: 'vllm',
            ...(tail === undefined ? {} : { tail }),
          });
        } catch (e) {
          return e;
        }
      })();
      expect((err as BotError).code, String(tail)).toBe('bot.workload.invalid_tail');
    }
  });
});

describe('TailBuffer', () => {
  const text = (cap: number, chunks: string[]) => {
    const b = new TailBuffer(cap);
    for (const c of chunks) b.push(Buffer.from(c));
    return b.text();
  };

  it('keeps everything under the cap', () => {
    expect(text(64, ['a\n', 'b\n'])).toBe('a\nb\n');
  });

  it('keeps the newest bytes from a whole line on, and counts what it cut', () => {
    const chunks = Array.from({ length: 50 }, (_, i) => `line ${i}\n`);
    const out = text(40, chunks);
    expect(out).toMatch(/^\[output truncated: \d+ earlier bytes not kept\]\n/);
    const body = out.slice(out.indexOf('\n') + 1);
    expect(body.endsWith('line 49\n')).toBe(true);
    expect(body.split('\n')[0]).toMatch(/^line \d+$/);
    const cut = Number(/(\d+) earlier/.exec(out)?.[1]);
    expect(cut + Buffer.byteLength(body)).toBe(Buffer.byteLength(chunks.join('')));
    // One chunk larger than the cap, and characters of several bytes: no broken character survives.
    expect(text(16, [`${'é'.repeat(40)}\nlast é line\n`])).toMatch(/\]\nlast é line\n$/);
  });
});

describe('config schema', () => {
  const base = {
    type: 'ssh',
    user: 'gpuops',
    privateKeyPath: '~/.ssh/id_ed25519',
    nodes: [{ name: 'gpu-node-9', host: '10.0.0.9', labels: { rack: 'r2' } }],
  };

  it('fills the documented defaults', () => {
    const o = sshAdapterOptions.parse({ ...base, knownHostsPath: './known_hosts' });
    expect(o).toMatchObject({
      name: 'ssh',
      port: 22,
      concurrency: 32,
      handshakeConcurrency: 8,
      perNodeConcurrency: 3,
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 30_000,
      idleTimeoutMs: 60_000,
      outputCapBytes: 65_536,
      sudo: false,
      commands: {},
      systemWorkloads: ['dcgm-exporter*', 'node-exporter*', 'cadvisor*'],
    });
  });

  it('demands pinned host keys and names every problem', () => {
    const issues = (input: object) =>
      sshAdapterOptions.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues(base)).toEqual([expect.stringMatching(/^knownHostsPath: host keys must be pinned/)]);
    expect(
      issues({
        ...base,
        hostKeys: { 'gpu-node-9': 'MD5:aa:bb', 'gpu-node-10': `SHA256:${'A'.repeat(43)}` },
        nodes: [...base.nodes, { name: 'gpu-node-9', host: '10.0.0.10' }, { name: 'bad name', host: 'x;y' }],
        concurrency: 0,
        colour: 'blue',
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^hostKeys\.gpu-node-9\.0: must be a SHA256 fingerprint/),
        expect.stringMatching(/^nodes\.2\.name: must start with a letter or digit/),
        expect.stringMatching(/^nodes\.2\.host: must be a hostname or an IP address/),
        expect.stringMatching(/^concurrency: /),
        expect.stringMatching(/colour/),
      ]),
    );
    expect(
      issues({
        ...base,
        hostKeys: { 'gpu-node-10': `SHA256:${'A'.repeat(43)}` },
        nodes: [...base.nodes, base.nodes[0]],
      }),
    ).toEqual([
      'nodes.1.name: gpu-node-9 is listed twice',
      'hostKeys.gpu-node-10: gpu-node-10 is not one of the nodes',
    ]);
  });
});

describe('batches', () => {
  it('split back into each command’s output and exit status, as a real sh runs them', async () => {
    const results = await throughSh([
      'printf abc',
      'echo oops >&2; echo out; exit 3',
      'printf "two\\nlines\\n"',
      'true',
      "printf '%s' \"it's\"",
    ]);
    expect(results).toEqual([
      { stdout: 'abc', stderr: '', status: 0 },
      { stdout: 'out\n', stderr: 'oops\n', status: 3 },
      { stdout: 'two\nlines\n', stderr: '', status: 0 },
      { stdout: '', stderr: '', status: 0 },
      { stdout: "it's", stderr: '', status: 0 },
    ]);
  });

  it('keep memory bounded per command and still find every marker', async () => {
    const results = await throughSh(['head -c 300000 /dev/zero | tr "\\0" x', 'echo after; exit 7'], 1000);
    expect(results[0]!.stdout).toMatch(/^x{1000}\n\[output truncated: 299000 more bytes not kept\]\n$/);
    expect(results[1]).toEqual({ stdout: 'after\n', stderr: '', status: 7 });
  });

  it('cannot be confused by output that imitates a marker without the nonce', async () => {
    const results = await throughSh(['printf "\\nib-000000000000000000000000:0:0\\n"', 'echo ok']);
    expect(results[0]!.stdout).toBe('\nib-000000000000000000000000:0:0\n');
    expect(results[1]).toEqual({ stdout: 'ok\n', stderr: '', status: 0 });
  });
});

describe('known_hosts', () => {
  const a = generateTestKey('a');
  const b = generateTestKey('b');

  it('matches plain, bracketed, wildcard, negated and hashed names', () => {
    expect(hostsMatch('10.0.0.9,gpu-node-9', '10.0.0.9')).toBe(true);
    expect(hostsMatch('[10.0.0.9]:2222', '[10.0.0.9]:2222')).toBe(true);
    expect(hostsMatch('10.0.0.9', '[10.0.0.9]:2222')).toBe(false);
    expect(hostsMatch('10.0.0.*,!10.0.0.13', '10.0.0.12')).toBe(true);
    expect(hostsMatch('10.0.0.*,!10.0.0.13', '10.0.0.13')).toBe(false);
    expect(hostsMatch('GPU-NODE-?', 'gpu-node-7')).toBe(true);
    const hashed = knownHostsLine('[10.0.0.9]:2222', a, true).split(' ')[0]!;
    expect(hostsMatch(hashed, '[10.0.0.9]:2222')).toBe(true);
    expect(hostsMatch(hashed, '10.0.0.9')).toBe(false);
  });

  it('pins what matches, refuses the rest, and skips lines it cannot read', () => {
    const text = [
      '# comment',
      '',
      knownHostsLine('10.0.0.9', a),
      `@cert-authority *.example ${a.publicLine}`,
      '10.0.0.9 ssh-ed25519 not-base64!!',
      `10.0.0.9 ssh-rsa ${a.blob.toString('base64')}`,
      '@bogus 10.0.0.9 ssh-ed25519 AAAA',
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.line, e.marker])).toEqual([
      [3, undefined],
      [4, 'cert-authority'],
    ]);
    const pins = pinsFor(entries, '10.0.0.9', 22, []);
    expect(pins.serverHostKey).toEqual(['ssh-ed25519']);
    expect(checkHostKey(pins, a.blob)).toEqual({ ok: true, fingerprint: a.fingerprint });
    expect(checkHostKey(pins, b.blob)).toEqual({ ok: false, reason: 'mismatch', fingerprint: b.fingerprint });
    expect(checkHostKey(pinsFor(entries, '10.0.0.10', 22, []), a.blob)).toMatchObject({
      ok: false,
      reason: 'unknown',
    });
    expect(checkHostKey(pinsFor(entries, '10.0.0.10', 22, [b.fingerprint]), b.blob)).toMatchObject({
      ok: true,
    });
  });

  it('prints fingerprints as ssh-keygen -lf does', () => {
    expect(sshFingerprint(a.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('scheduler state', () => {
  const view = (stdout: string, exitCode = 0) => parseSchedulerState({ stdout, exitCode });
  it('reads Slurm’s %T', () => {
    expect(view('drained\n')).toBe('cordoned');
    expect(view('draining\ndraining\n')).toBe('cordoned');
    expect(view('drained*\n')).toBe('cordoned');
    expect(view('down*\n')).toBe('not_ready');
    expect(view('idle*\n')).toBe('not_ready');
    expect(view('mixed\n')).toBe('ready');
    expect(view('')).toBeUndefined();
    expect(view('idle\n', 127)).toBeUndefined();
  });
});

describe('semaphore', () => {
  it('hands permits out in order and lets an aborted waiter leave the queue', async () => {
    const sem = new Semaphore(1);
    const first = await sem.acquire();
    const order: string[] = [];
    const ac = new AbortController();
    const b = sem.acquire().then((r) => {
      order.push('b');
      return r;
    });
    const gone = sem.acquire(ac.signal).catch(() => order.push('aborted'));
    const c = sem.acquire().then((r) => {
      order.push('c');
      return r;
    });
    ac.abort();
    await gone;
    expect(sem.waiting).toBe(2);
    first();
    (await b)();
    (await c)();
    expect(order).toEqual(['aborted', 'b', 'c']);
    expect(sem.active).toBe(0);
  });
});
