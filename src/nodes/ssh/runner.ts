import type { Logger } from '../../logger.ts';
import { abortedError, throwIfAborted } from '../errors.ts';
import type { CommandResult } from '../port.ts';
import { BatchDemux, buildBatch } from './batch.ts';
import { type ConnectionSettings, NodeConnection } from './connection.ts';
import { adapterClosedError } from './errors.ts';
import { CappedBuffer, TailBuffer } from './output.ts';
import { type Release, Semaphore } from './semaphore.ts';
import { shellQuote, withSudo } from './shell-quote.ts';

export interface RunnerOptions {
  readonly adapter: string;
  readonly concurrency: number;
  readonly handshakeConcurrency: number;
  readonly perNodeConcurrency: number;
  readonly commandTimeoutMs: number;
  readonly outputCapBytes: number;
  readonly sudo: boolean;
  readonly logger: Logger;
}

export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
  /** Which end of an over-long output to keep: the start (default) or, for a log, the end. */
  readonly keep?: 'head' | 'tail';
  /** Bytes kept per stream (per command in a batch), where not the adapter's outputCapBytes. */
  readonly capBytes?: number | undefined;
}

/**
 * Runs already-rendered, allow-listed command lines on nodes: one connection per node; a per-node
 * limit, then a limit on handshakes and a global limit on commands in flight;
 * a timeout and an AbortSignal on every command; output capped per stream. The per-node permit
 * comes first, so a busy node never holds a global one while it waits, and the global permit is
 * taken once connected, so handshakes overlap the commands already out.
 */
export class CommandRunner {
  private readonly global: Semaphore;
  private readonly handshakes: Semaphore;
  private readonly perNode = new Map<string, Semaphore>();
  private readonly connections = new Map<string, NodeConnection>();
  private closed = false;

  constructor(
    private readonly options: RunnerOptions,
    private readonly settingsFor: (node: string) => Omit<ConnectionSettings, 'handshakes'>,
  ) {
    this.global = new Semaphore(options.concurrency);
    this.handshakes = new Semaphore(options.handshakeConcurrency);
  }

  /** What the node actually runs for `command` (the sudo wrapper, when configured). */
  prepared(command: string): string {
    return this.options.sudo ? withSudo(command) : command;
  }

  async run(node: string, command: string, what: string, opts: RunOptions = {}): Promise<CommandResult> {
    const cap = opts.capBytes ?? this.options.outputCapBytes;
    const buffer = () => (opts.keep === 'tail' ? new TailBuffer(cap) : new CappedBuffer(cap));
    const stdout = buffer();
    const stderr = buffer();
    const full = this.prepared(command);
    const { exitCode, durationMs } = await this.exec(node, full, what, opts, {
      onStdout: (b) => stdout.push(b),
      onStderr: (b) => stderr.push(b),
    });
    return { command: full, exitCode, stdout: stdout.text(), stderr: stderr.text(), durationMs };
  }

  /**
   * Several commands in one exec (see batch.ts). Each result carries its own command, output and
   * exit status; durationMs is the batch's. A batch cut short (sudo refused, the node killed the
   * shell) gives the commands that did not finish the batch's own exit status and stderr.
   */
  async runBatch(
    node: string,
    commands: readonly string[],
    what: string,
    opts: RunOptions = {},
  ): Promise<CommandResult[]> {
    if (commands.length === 1) return [await this.run(node, commands[0] ?? '', what, opts)];
    const batch = buildBatch(commands);
    const cap = opts.capBytes ?? this.options.outputCapBytes;
    const out = new BatchDemux(batch, true, cap);
    const err = new BatchDemux(batch, false, cap);
    const script = `sh -c ${shellQuote(batch.script)}`;
    const { exitCode, durationMs } = await this.exec(
      node,
      this.options.sudo ? `sudo -n ${script}` : script,
      what,
      opts,
      { onStdout: (b) => out.push(b), onStderr: (b) => err.push(b) },
    );
    out.end();
    err.end();
    return commands.map((c, i) => ({
      command: this.prepared(c),
      exitCode: out.status(i) ?? (exitCode === 0 ? 255 : exitCode),
      stdout: out.text(i),
      stderr: err.text(i),
      durationMs,
    }));
  }

  /** Handshakes per node so far (reuse means one per node until it idles out). */
  connectCounts(): Record<string, number> {
    return Object.fromEntries([...this.connections].map(([node, c]) => [node, c.connects]));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  private async exec(
    node: string,
    command: string,
    what: string,
    opts: RunOptions,
    sinks: { onStdout: (b: Buffer) => void; onStderr: (b: Buffer) => void },
  ): Promise<{ exitCode: number; durationMs: number }> {
    const requestedAt = performance.now();
    const { signal } = opts;
    throwIfAborted(signal, what);
    if (this.closed) throw adapterClosedError(this.options.adapter);
    const releaseNode = await this.acquire(this.nodeLimit(node), signal, what);
    try {
      let started = performance.now();
      const { exitCode } = await this.connection(node).exec({
        command,
        what,
        timeoutMs: opts.timeoutMs ?? this.options.commandTimeoutMs,
        signal,
        requestedAt,
        slot: async () => {
          const release = await this.acquire(this.global, signal, what);
          started = performance.now();
          return release;
        },
        ...sinks,
      });
      return { exitCode, durationMs: Math.round(performance.now() - started) };
    } finally {
      releaseNode();
    }
  }

  private async acquire(sem: Semaphore, signal: AbortSignal | undefined, what: string): Promise<Release> {
    try {
      return await sem.acquire(signal);
    } catch {
      throw abortedError(what);
    }
  }

  private nodeLimit(node: string): Semaphore {
    let sem = this.perNode.get(node);
    if (!sem) {
      sem = new Semaphore(this.options.perNodeConcurrency);
      this.perNode.set(node, sem);
    }
    return sem;
  }

  private connection(node: string): NodeConnection {
    let c = this.connections.get(node);
    if (!c) {
      c = new NodeConnection({ ...this.settingsFor(node), handshakes: this.handshakes });
      this.connections.set(node, c);
    }
    return c;
  }
}
