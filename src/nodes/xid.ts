import { dmesgLines } from './parse/dmesg.ts';

/**
 * NVIDIA Xid errors: what each means, whose fault it usually is, and what NVIDIA's Xid catalogue
 * (docs.nvidia.com/deploy/xid-errors, "Immediate action") says to do about it. The reference runbook
 * fixes 31/32 (restart the workload), 48 (migrate now) and 79 (drain the node); the rest follow the
 * catalogue, in the bot's own words.
 *
 * - none: nothing to do now (a corrected error, an informational event).
 * - restart: the fault belongs to one process; restart the workload, the GPU is fine.
 * - reset: the GPU needs a reset (`nvidia-smi -r`) once nothing runs on it: move its work off first.
 * - reboot: the node needs a reboot: move everything off it first.
 * - migrate: this GPU is failing; move its work elsewhere now, then reset or replace it.
 * - drain: the node needs hands-on work (reset, reboot, reseat, RMA); move everything off it.
 * - investigate: read the surrounding log lines before acting.
 */
export type XidRecommendation = 'none' | 'restart' | 'reset' | 'reboot' | 'drain' | 'migrate' | 'investigate';

/** Where the catalogue puts the fault: the application, the driver, the GPU itself, or its links. */
export type XidCause = 'workload' | 'driver' | 'hardware' | 'interconnect';

export interface XidInfo {
  /** The catalogue's short name, e.g. `GSP RPC Timeout`. */
  readonly name: string;
  readonly meaning: string;
  readonly causes: readonly XidCause[];
  readonly recommendation: XidRecommendation;
}

/** Recommendations that take the node's work off it before anything else can be done. */
export const XID_MOVES_WORK: ReadonlySet<XidRecommendation> = new Set([
  'reset',
  'reboot',
  'drain',
  'migrate',
]);

const nvlink5 = (unit: string): XidInfo => ({
  name: `NVLink: ${unit} error`,
  meaning: `NVLink 5 ${unit} unit error (Blackwell): the link or its switch path reported a fault; whether it needs a reset depends on the error, and the driver says which in the Xid 154 that follows it.`,
  causes: ['interconnect', 'hardware'],
  recommendation: 'investigate',
});

export const XID_TABLE: Readonly<Record<number, XidInfo>> = {
  13: {
    name: 'Graphics engine exception',
    meaning:
      'Graphics engine exception: almost always the application (out-of-bounds access, illegal instruction); suspect the GPU only if it follows the GPU from job to job.',
    causes: ['workload', 'driver', 'hardware'],
    recommendation: 'investigate',
  },
  31: {
    name: 'GPU memory page fault',
    meaning:
      'GPU memory page fault: a process touched an address it does not own (usually an application bug).',
    causes: ['workload', 'driver'],
    recommendation: 'restart',
  },
  32: {
    name: 'Invalid or corrupted push buffer stream',
    meaning:
      'Invalid or corrupted push buffer stream: the GPU read a bad command stream, a memory fault like Xid 31 (driver, application, occasionally PCIe).',
    causes: ['workload', 'driver', 'interconnect'],
    recommendation: 'restart',
  },
  43: {
    name: 'GPU stopped processing',
    meaning:
      'GPU stopped processing: the channel of one process hit a fault and was torn down; the GPU itself is fine.',
    causes: ['workload', 'driver'],
    recommendation: 'restart',
  },
  45: {
    name: 'Preemptive cleanup',
    meaning:
      'Preemptive cleanup after earlier errors: the driver killed the channels of a process that exited or faulted; look at the Xid logged just before it.',
    causes: ['workload', 'driver'],
    recommendation: 'investigate',
  },
  48: {
    name: 'Double-bit ECC error',
    meaning: 'Double-bit ECC error: uncorrectable GPU memory error; the GPU is failing.',
    causes: ['hardware'],
    recommendation: 'migrate',
  },
  61: {
    name: 'Internal micro-controller breakpoint/warning',
    meaning:
      'Internal micro-controller breakpoint/warning: GPU firmware hit an internal fault; a hang often follows.',
    causes: ['driver', 'hardware'],
    recommendation: 'drain',
  },
  62: {
    name: 'Internal micro-controller halt',
    meaning: 'Internal micro-controller halt: GPU firmware stopped; the GPU needs a reset.',
    causes: ['driver', 'hardware'],
    recommendation: 'drain',
  },
  63: {
    name: 'ECC page retirement or row remapping recording event',
    meaning:
      'ECC page retirement or row remapping recorded: a bad memory row was marked; it takes effect at the next GPU reset.',
    causes: ['hardware'],
    recommendation: 'investigate',
  },
  64: {
    name: 'ECC page retirement or row remapper recording failure',
    meaning:
      'ECC page retirement or row remapping failed to record: the GPU ran out of spare rows or cannot store them.',
    causes: ['hardware'],
    recommendation: 'drain',
  },
  74: {
    name: 'NVLink error',
    meaning:
      'NVLink error: a link between GPUs (or to an NVSwitch) failed; multi-GPU jobs on this node will stall or crash.',
    causes: ['interconnect', 'hardware'],
    recommendation: 'drain',
  },
  79: {
    name: 'GPU has fallen off the bus',
    meaning: 'GPU has fallen off the bus: the GPU stopped answering on PCIe; hardware failure.',
    causes: ['hardware', 'interconnect'],
    recommendation: 'drain',
  },
  92: {
    name: 'High single-bit ECC error rate',
    meaning: 'High single-bit ECC error rate: corrected errors are piling up; the memory is degrading.',
    causes: ['hardware'],
    recommendation: 'investigate',
  },
  94: {
    name: 'Contained ECC error',
    meaning:
      'Contained ECC error: an uncorrectable memory error was confined to one process, which was killed; other work on the GPU is unaffected.',
    causes: ['hardware'],
    recommendation: 'restart',
  },
  95: {
    name: 'Uncontained ECC error',
    meaning:
      'Uncontained ECC error: an uncorrectable memory error may have reached every process on the GPU; it needs a reset before reuse.',
    causes: ['hardware'],
    recommendation: 'migrate',
  },
  109: {
    name: 'Context switch timeout',
    meaning:
      'Context switch timeout: the GPU could not switch between processes in time; NVIDIA says reset the GPU, and contact support if it comes back.',
    causes: ['driver', 'hardware', 'workload'],
    recommendation: 'reset',
  },
  119: {
    name: 'GSP RPC timeout',
    meaning:
      'GSP RPC timeout: the GPU System Processor stopped answering the driver; reset the GPU (power-cycle the node if it persists).',
    causes: ['driver', 'hardware'],
    recommendation: 'reset',
  },
  120: {
    name: 'GSP error',
    meaning:
      'GSP error: code running on the GPU System Processor failed; reset the GPU (power-cycle the node if it persists).',
    causes: ['driver', 'hardware'],
    recommendation: 'reset',
  },
  121: {
    name: 'C2C error',
    meaning:
      'C2C link corrected errors (Grace Hopper/Blackwell): the chip-to-chip link to the Grace CPU corrected errors, with no effect on work; reset the GPU at the next service window to retrain the link.',
    causes: ['interconnect'],
    recommendation: 'none',
  },
  136: {
    name: 'Link training failed',
    meaning: 'NVLink training failed: a link did not come up; reset the GPU, then check the link.',
    causes: ['interconnect', 'hardware'],
    recommendation: 'reset',
  },
  137: {
    name: 'NVLink privilege error',
    meaning:
      'NVLink privilege error: an illegal peer-to-peer access through NVLink, usually an application bug (run it under compute-sanitizer).',
    causes: ['workload', 'driver'],
    recommendation: 'restart',
  },
  140: {
    name: 'ECC unrecovered error',
    meaning:
      'Unrecovered ECC error: uncorrectable GPU memory errors arrived in a way that kept the driver from retiring or remapping the bad memory; reset the GPU, and call the vendor if it returns.',
    causes: ['hardware'],
    recommendation: 'reset',
  },
  143: {
    name: 'GPU initialization error',
    meaning:
      'GPU initialization failed: the GPU did not come up; reset it, and call the vendor if it fails again.',
    causes: ['hardware', 'driver'],
    recommendation: 'reset',
  },
  144: nvlink5('SAW'),
  145: nvlink5('RLW'),
  146: nvlink5('TLW'),
  147: nvlink5('TREX'),
  148: nvlink5('NVLPW_CTRL'),
  149: nvlink5('NETIR'),
  150: nvlink5('MSE'),
  151: {
    name: 'Key rotation error',
    meaning:
      'Key rotation error (confidential computing): the GPU could not rotate its encryption keys; NVIDIA says restart the VM.',
    causes: ['driver'],
    recommendation: 'reboot',
  },
  154: {
    name: 'GPU recovery action changed',
    meaning:
      "GPU recovery action changed: the driver's summary of what the Xids before it need (nothing, a GPU reset, a node reboot, or draining peer-to-peer work).",
    causes: ['driver'],
    recommendation: 'investigate',
  },
  155: {
    name: 'NVLink: SW defined error',
    meaning:
      'NVLink software-defined error: a link went down on purpose (or to sleep); reset the GPU to bring it back, and find who took it down.',
    causes: ['driver', 'interconnect'],
    recommendation: 'reset',
  },
  156: {
    name: 'Resource retirement event',
    meaning:
      'Resource retirement event: the GPU retired a failing resource; the retirement takes effect at the next GPU reset.',
    causes: ['hardware'],
    recommendation: 'reset',
  },
  157: {
    name: 'Resource retirement failure',
    meaning:
      'Resource retirement failure: the GPU has no spare left to retire a failing resource; work may run but the same Xid will return: plan its replacement.',
    causes: ['hardware'],
    recommendation: 'drain',
  },
  158: {
    name: 'GPU fatal timeout',
    meaning:
      'GPU fatal timeout: the GPU stopped making progress; reset it, and call the vendor if it returns.',
    causes: ['hardware', 'driver'],
    recommendation: 'reset',
  },
};

export function xidInfo(xid: number): XidInfo {
  return (
    XID_TABLE[xid] ?? {
      name: `Xid ${xid}`,
      meaning: `Xid ${xid} is not in the bot's table; look it up in NVIDIA's Xid catalogue (docs.nvidia.com/deploy/xid-errors).`,
      causes: [],
      recommendation: 'investigate',
    }
  );
}

/**
 * Xid 154's recovery action, as the driver spells it (`… changed from 0x0 (None) to 0x2 (Node
 * Reboot Required)`). Only these labels are read; an unknown one, or a number alone, is never
 * guessed at: it stays `investigate`.
 */
export const RECOVERY_ACTIONS: Readonly<Record<string, { recommendation: XidRecommendation; text: string }>> =
  {
    none: { recommendation: 'none', text: 'no recovery action needed' },
    'gpu reset required': { recommendation: 'reset', text: 'a GPU reset' },
    'node reboot required': { recommendation: 'reboot', text: 'a node reboot' },
    'drain p2p': { recommendation: 'drain', text: 'draining peer-to-peer work' },
    'drain and reset': { recommendation: 'drain', text: 'draining peer-to-peer work and a GPU reset' },
  };

const RECOVERY_CHANGE = /recovery action changed from 0x[0-9a-f]+ \(([^)]*)\) to 0x[0-9a-f]+ \(([^)]*)\)/i;

/** What an Xid 154 line asks for, or undefined when its text is not the form the driver prints. */
export function recoveryAction(
  message: string,
): { label: string; recommendation: XidRecommendation; text: string } | undefined {
  const m = RECOVERY_CHANGE.exec(message);
  if (!m) return undefined;
  const label = (m[2] ?? '').trim();
  const known = RECOVERY_ACTIONS[label.toLowerCase()];
  return known
    ? { label, ...known }
    : { label, recommendation: 'investigate', text: `"${label}", which the bot does not know` };
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
  /** Xid 154: the recovery action the driver now asks for, in words (`a node reboot`). */
  readonly recovery?: string;
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
      ...withRecovery(xid, rest.trim()),
    });
  }
  return events;
}

/** Xid 154 takes its recommendation from the action it names; every other Xid from the table. */
function withRecovery(xid: number, message: string): XidInfo & { recovery?: string } {
  const info = xidInfo(xid);
  if (xid !== 154) return info;
  const action = recoveryAction(message);
  return action ? { ...info, recommendation: action.recommendation, recovery: action.text } : info;
}

const GPU_AT = /NVRM: GPU at PCI:([0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}): (GPU-[0-9a-fA-F-]{36})/;
const BOARD_SERIAL = /NVRM: GPU Board Serial Number: (\d{6,20})\s*$/;

/**
 * What the driver logs of a GPU when it reports one (`GPU at PCI:0000:9a:00: GPU-<uuid>`, then
 * `GPU Board Serial Number: …`), by bus: for a GPU that no longer answers nvidia-smi, dmesg is
 * where its serial, the one an RMA needs, still is.
 */
export function parseGpuIdentities(dmesg: string): Map<string, { uuid?: string; serial?: string }> {
  const out = new Map<string, { uuid?: string; serial?: string }>();
  let bus: string | undefined;
  for (const { text } of dmesgLines(dmesg)) {
    const at = GPU_AT.exec(text);
    if (at) {
      bus = (at[1] ?? '').toLowerCase();
      out.set(bus, { ...out.get(bus), uuid: at[2] ?? '' });
      continue;
    }
    const serial = BOARD_SERIAL.exec(text);
    if (serial && bus) out.set(bus, { ...out.get(bus), serial: serial[1] ?? '' });
  }
  return out;
}
