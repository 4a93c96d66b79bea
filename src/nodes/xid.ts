import { dmesgLines } from './parse/dmesg.ts';

/**
 * NVIDIA Xid errors: what each means and what an on-call engineer should do about it. The
 * reference runbook fixes 31/32 (restart the workload), 48 (migrate now) and 79 (drain the node);
 * the rest are the ones GPU fleets see most often.
 *
 * - restart: the fault belongs to one process; restart the workload, the GPU is fine.
 * - migrate: this GPU is failing; move its work elsewhere now, then reset or replace it.
 * - drain: the node needs hands-on work (reset, reboot, reseat, RMA); move everything off it.
 * - investigate: read the surrounding log lines before acting.
 */
export type XidRecommendation = 'restart' | 'drain' | 'migrate' | 'investigate';

export interface XidInfo {
  readonly meaning: string;
  readonly recommendation: XidRecommendation;
}

export const XID_TABLE: Readonly<Record<number, XidInfo>> = {
  13: {
    meaning:
      'Graphics engine exception: almost always the application (out-of-bounds access, illegal instruction); suspect the GPU only if it follows the GPU from job to job.',
    recommendation: 'investigate',
  },
  31: {
    meaning:
      'GPU memory page fault: a process touched an address it does not own (usually an application bug).',
    recommendation: 'restart',
  },
  32: {
    meaning:
      'Invalid or corrupted push buffer stream: the GPU read a bad command stream, a memory fault like Xid 31 (driver, application, occasionally PCIe).',
    recommendation: 'restart',
  },
  43: {
    meaning:
      'GPU stopped processing: the channel of one process hit a fault and was torn down; the GPU itself is fine.',
    recommendation: 'restart',
  },
  45: {
    meaning:
      'Preemptive cleanup after earlier errors: the driver killed the channels of a process that exited or faulted; look at the Xid logged just before it.',
    recommendation: 'investigate',
  },
  48: {
    meaning: 'Double-bit ECC error: uncorrectable GPU memory error; the GPU is failing.',
    recommendation: 'migrate',
  },
  61: {
    meaning:
      'Internal micro-controller breakpoint/warning: GPU firmware hit an internal fault; a hang often follows.',
    recommendation: 'drain',
  },
  62: {
    meaning: 'Internal micro-controller halt: GPU firmware stopped; the GPU needs a reset.',
    recommendation: 'drain',
  },
  63: {
    meaning:
      'ECC page retirement or row remapping recorded: a bad memory row was marked; it takes effect at the next GPU reset.',
    recommendation: 'investigate',
  },
  64: {
    meaning:
      'ECC page retirement or row remapping failed to record: the GPU ran out of spare rows or cannot store them.',
    recommendation: 'drain',
  },
  74: {
    meaning:
      'NVLink error: a link between GPUs (or to an NVSwitch) failed; multi-GPU jobs on this node will stall or crash.',
    recommendation: 'drain',
  },
  79: {
    meaning: 'GPU has fallen off the bus: the GPU stopped answering on PCIe; hardware failure.',
    recommendation: 'drain',
  },
  92: {
    meaning: 'High single-bit ECC error rate: corrected errors are piling up; the memory is degrading.',
    recommendation: 'investigate',
  },
  94: {
    meaning:
      'Contained ECC error: an uncorrectable memory error was confined to one process, which was killed; other work on the GPU is unaffected.',
    recommendation: 'restart',
  },
  95: {
    meaning:
      'Uncontained ECC error: an uncorrectable memory error may have reached every process on the GPU; it needs a reset before reuse.',
    recommendation: 'migrate',
  },
  119: {
    meaning:
      'GSP RPC timeout: the GPU System Processor stopped answering the driver; the GPU usually needs a reset.',
    recommendation: 'drain',
  },
};

export function xidInfo(xid: number): XidInfo {
  return (
    XID_TABLE[xid] ?? {
      meaning: `Xid ${xid} is not in the bot's table; look it up in NVIDIA's Xid catalog.`,
      recommendation: 'investigate',
    }
  );
}

export interface XidEvent extends XidInfo {
  readonly xid: number;
  /** Lower-case PCI address as the driver prints it, e.g. `0000:9a:00`. */
  readonly pciBus: string;
  readonly pid?: number;
  /** The process name, on drivers that print `name=`. */
  readonly process?: string;
  /** The driver's own text after the number (and pid/name), e.g. `GPU has fallen off the bus.` */
  readonly message: string;
  /** Seconds since boot, from the dmesg prefix. */
  readonly seconds?: number;
}

// `NVRM: Xid (PCI:0000:9a:00): 79, pid=48211, name=python3, GPU has fallen off the bus.` Older
// drivers omit name=, unknown pids print as `pid='<unknown>'`, and some Xids (13) have no pid at all.
const XID_LINE =
  /NVRM: Xid \(PCI:([0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-7])?)\): (\d{1,5}),\s*(.*)$/;
const PID = /^pid='?(?:(\d{1,10})|<unknown>)'?,\s*/;
const NAME = /^name=([^,]*),\s*/;

export function parseXidLines(dmesg: string): XidEvent[] {
  const events: XidEvent[] = [];
  for (const { seconds, text } of dmesgLines(dmesg)) {
    const m = XID_LINE.exec(text);
    if (!m) continue;
    const xid = Number(m[2]);
    let rest = m[3] ?? '';
    let pid: number | undefined;
    let process: string | undefined;
    const p = PID.exec(rest);
    if (p) {
      if (p[1] !== undefined) pid = Number(p[1]);
      rest = rest.slice(p[0].length);
    }
    const n = NAME.exec(rest);
    if (n) {
      const name = n[1] ?? '';
      if (name !== '' && name !== '<unknown>') process = name;
      rest = rest.slice(n[0].length);
    }
    events.push({
      xid,
      pciBus: (m[1] ?? '').toLowerCase(),
      ...(pid === undefined ? {} : { pid }),
      ...(process === undefined ? {} : { process }),
      message: rest.trim(),
      ...(seconds === undefined ? {} : { seconds }),
      ...xidInfo(xid),
    });
  }
  return events;
}
