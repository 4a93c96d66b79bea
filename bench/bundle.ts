/**
 * The diagnostic bundle's archive of a large bug report, printed, never asserted: how long
 * redaction, tar and gzip take, and how long the event loop was held at most meanwhile (a bug
 * report of tens of MiB must not stop the bot answering chat). `npx tsx bench/bundle.ts`
 * (`MIB=` the report's size, default 32: what the bot keeps of one file; `LIMIT_MIB=` the
 * platform's upload limit, default Discord's 10).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { redact } from '../src/core/index.ts';
import { buildArchive } from '../src/nodes/bundle-archive.ts';

const MIB = Number(process.env.MIB ?? 32);
const LIMIT = Number(process.env.LIMIT_MIB ?? 10) * 1024 * 1024;

/** A bug report's shape: nvidia-smi -q sections, kernel lines, a secret now and then. */
function report(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line =
      i % 997 === 0
        ? `    env: SLACK_BOT_TOKEN=xoxb-${String(i).padStart(10, '0')}-abcdefghijkl`
        : i % 3 === 0
          ? `[Tue Dec  8 00:${String(i % 60).padStart(2, '0')}:01 2026] NVRM: Xid (PCI:0000:9a:00): 79, pid=${i}, GPU has fallen off the bus.`
          : `        GPU Current Temp                  : ${30 + (i % 50)} C`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

const text = report(MIB * 1024 * 1024);
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const started = performance.now();
const built = await buildArchive({
  bundle: {
    node: 'gpu-node-5',
    collector: 'nvidia-bug-report',
    files: [
      {
        name: 'nvidia-bug-report.log',
        command: 'nvidia-bug-report.sh',
        exitCode: 0,
        stdout: text,
        stderr: '',
      },
    ],
    durationMs: 0,
  },
  context: ['Incident: INC-1 bench'],
  maxBytes: LIMIT,
  platform: 'Discord',
  collectedAt: new Date(),
  redact,
});
const ms = performance.now() - started;
delay.disable();
const out = built.parts.reduce((n, p) => n + p.bytes.length, 0);
console.log(`bundle archive: ${MIB} MiB bug report, upload limit ${(LIMIT / 1024 / 1024).toFixed(0)} MiB`);
console.log(`  total          ${ms.toFixed(0)} ms (${((MIB / ms) * 1000).toFixed(1)} MiB/s)`);
console.log(
  `  compressed     ${(out / 1024 / 1024).toFixed(2)} MiB in ${built.parts.length} part(s), ${built.redactions} secrets redacted`,
);
console.log(
  `  event loop     max ${(delay.max / 1e6).toFixed(1)} ms held, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms`,
);
