/**
 * The diagnostic bundle (`/node collect`): what NVIDIA asks for with a bug report, read-only and
 * allow-listed like the diagnostics. Where the node has NVIDIA's own collector
 * (`nvidia-bug-report.sh`, shipped with the driver) it runs that; else a fixed set of the commands
 * the bug report is mostly made of. Nothing from chat reaches these lines: the only value is the
 * start of the incident window, a number of seconds the bot computes from its own clock.
 */

/** One file of a collected bundle, as the node printed it. */
export interface BundleFile {
  /** Its name in the archive (`nvidia-smi-q.txt`). */
  readonly name: string;
  /** The command as it ran, for the archive's README. */
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CollectedBundle {
  readonly node: string;
  /** NVIDIA's collector, or the fixed set where the node has none. */
  readonly collector: 'nvidia-bug-report' | 'standard';
  readonly files: readonly BundleFile[];
  readonly durationMs: number;
}

/**
 * The bug report writes a file, not stdout (`--output-file X` makes `X.gz` when gzip is there),
 * so the script writes it to a private temporary directory, prints it uncompressed (the bot
 * redacts before it compresses) and removes it. `--safe-mode` leaves out the parts NVIDIA says may
 * hang a system: this runs on a node that is already unwell. Exit 127 without the collector, as sh
 * says "not found": the fixed set is collected instead.
 */
export const BUG_REPORT_SCRIPT = [
  'command -v nvidia-bug-report.sh >/dev/null 2>&1 || exit 127',
  'd=$(mktemp -d) || exit 1',
  'nvidia-bug-report.sh --safe-mode --output-file "$d/nvidia-bug-report.log" >"$d/run.log" 2>&1',
  's=$?',
  'if [ -f "$d/nvidia-bug-report.log.gz" ]; then gzip -dc "$d/nvidia-bug-report.log.gz"',
  'elif [ -f "$d/nvidia-bug-report.log" ]; then cat "$d/nvidia-bug-report.log"',
  'else cat "$d/run.log" >&2; fi',
  'rm -rf "$d"',
  'exit $s',
].join('\n');

export const BUG_REPORT_FILE = 'nvidia-bug-report.log';

/** Exit status of the bug report script on a node without NVIDIA's collector. */
export const NO_COLLECTOR = 127;

/**
 * The fixed set, in the order the archive lists them: the full `nvidia-smi -q` (every section,
 * where the triage queries read a few fields), the kernel ring buffer with wall-clock stamps, the
 * kernel's journal for the incident window (it outlives a ring buffer that wrapped), and the GPUs'
 * PCI configuration (`-d 10de:`: NVIDIA's vendor id; link speed and width, AER errors).
 */
export function standardBundleCommands(since: Date): readonly { name: string; command: string }[] {
  return [
    { name: 'nvidia-smi-q.txt', command: 'nvidia-smi -q' },
    { name: 'dmesg.txt', command: 'dmesg -T' },
    { name: 'journalctl-k.txt', command: journalCommand(since) },
    { name: 'lspci-vv.txt', command: 'lspci -vv -d 10de:' },
  ];
}

/** `--since @<epoch seconds>`: systemd.time's unambiguous form, whatever the node's time zone. */
export function journalCommand(since: Date): string {
  const seconds = Math.floor(since.getTime() / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new Error(`not a time to collect from: ${since}`);
  return `journalctl -k --no-pager --since @${seconds}`;
}

/** The journal's start of the incident window a bundle covers: this long before it was declared. */
export const BUNDLE_LOOKBACK_MS = 60 * 60_000;

/**
 * What the bot keeps of each file a node prints for a bundle (the start: a bug report opens with
 * the driver and system summary). A bug report of an 8-GPU node is a few MiB; a node flooding its
 * kernel log must not grow the bot's memory without bound.
 */
export const BUNDLE_FILE_CAP_BYTES = 32 * 1024 * 1024;
/** How long a collection may take when the caller gives no limit: NVIDIA's script takes minutes. */
export const DEFAULT_BUNDLE_TIMEOUT_MS = 10 * 60_000;
