/** Parsers for the two container diagnostics (see DIAGNOSTIC_COMMANDS). They never throw. */

export type ContainerState = 'running' | 'restarting' | 'exited' | 'created' | 'paused' | 'dead' | 'unknown';

export interface ContainerStatus {
  readonly name: string;
  readonly state: ContainerState;
  /** From `Exited (137) …` / `Restarting (1) …`. */
  readonly exitCode: number | undefined;
  /** Docker's own words, e.g. `Up 3 days` or `Restarting (1) 5 seconds ago`. */
  readonly status: string;
}

function stateOf(status: string): ContainerState {
  if (/^Up\b.*\(Paused\)/.test(status)) return 'paused';
  if (/^Up\b/.test(status)) return 'running';
  if (/^Restarting\b/.test(status)) return 'restarting';
  if (/^Exited\b/.test(status)) return 'exited';
  if (/^Created\b/.test(status)) return 'created';
  if (/^Dead\b/.test(status)) return 'dead';
  return 'unknown';
}

/** Lines of `docker ps -a --format '{{.Names}} {{.Status}}'` (container names have no spaces). */
export function parseDockerPs(text: string): ContainerStatus[] {
  const out: ContainerStatus[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    const status = m[2] ?? '';
    const code = /^(?:Exited|Restarting) \((-?\d{1,4})\)/.exec(status)?.[1];
    out.push({
      name: m[1] ?? '',
      state: stateOf(status),
      exitCode: code === undefined ? undefined : Number(code),
      status,
    });
  }
  return out;
}

export interface ContainerRestarts {
  readonly name: string;
  readonly restartCount: number;
  readonly lastExitCode: number;
}

/** Lines of `<name> 12 restarts, last exit: 137`; a leading `/` (docker inspect's `.Name`) is dropped. */
export function parseContainerRestarts(text: string): ContainerRestarts[] {
  const out: ContainerRestarts[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\/?(\S+)\s+(\d{1,9}) restarts?, last exit: (-?\d{1,4})\s*$/.exec(line);
    if (!m) continue;
    out.push({ name: m[1] ?? '', restartCount: Number(m[2]), lastExitCode: Number(m[3]) });
  }
  return out;
}
