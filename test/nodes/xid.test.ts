import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiCsv, toGpuHealth } from '../../src/nodes/parse/nvidia-smi.ts';
import {
  parseGpuIdentities,
  parseXidLines,
  recoveryAction,
  XID_TABLE,
  xidInfo,
} from '../../src/nodes/xid.ts';

describe('XID_TABLE', () => {
  it('follows the reference runbook for 31/32, 48 and 79', () => {
    expect(XID_TABLE[31]?.recommendation).toBe('restart');
    expect(XID_TABLE[32]?.recommendation).toBe('restart');
    expect(XID_TABLE[48]?.recommendation).toBe('migrate');
    expect(XID_TABLE[79]?.recommendation).toBe('drain');
    expect(XID_TABLE[79]?.meaning).toMatch(/fallen off the bus/i);
  });

  it('covers the common Xids, each with a meaning', () => {
    for (const xid of [13, 31, 32, 43, 45, 48, 61, 62, 63, 64, 74, 79, 92, 94, 95]) {
      expect(XID_TABLE[xid]?.meaning.length, String(xid)).toBeGreaterThan(20);
    }
  });

  it('sends an Xid it does not know to investigation', () => {
    expect(xidInfo(999)).toEqual({
      name: 'Xid 999',
      meaning: expect.stringContaining('999'),
      causes: [],
      recommendation: 'investigate',
    });
  });

  it("has the catalogue's newer Xids, each with a meaning, whose fault it is and an action", () => {
    for (const xid of [
      109, 119, 120, 121, 136, 137, 140, 143, 144, 145, 146, 147, 148, 149, 150, 151, 154, 155, 156, 157, 158,
    ]) {
      const info = XID_TABLE[xid];
      expect(info?.meaning.length, String(xid)).toBeGreaterThan(20);
      expect(info?.causes.length, String(xid)).toBeGreaterThan(0);
    }
    expect(XID_TABLE[120]).toMatchObject({ recommendation: 'reset', causes: ['driver', 'hardware'] });
    expect(XID_TABLE[121]?.recommendation).toBe('none');
    expect(XID_TABLE[140]?.causes).toEqual(['hardware']);
    expect(XID_TABLE[145]?.causes).toContain('interconnect');
    expect(XID_TABLE[158]?.recommendation).toBe('reset');
  });
});

describe('Xid 154: the recovery action becomes the recommendation', () => {
  const line = (action: string) =>
    `[ 100.5] NVRM: Xid (PCI:0000:01:00): 154, GPU recovery action changed from 0x0 (None) to ${action}`;

  it.each([
    ['0x0 (None)', 'none', 'no recovery action needed'],
    ['0x1 (GPU Reset Required)', 'reset', 'a GPU reset'],
    ['0x2 (Node Reboot Required)', 'reboot', 'a node reboot'],
    ['0x3 (Drain P2P)', 'drain', 'draining peer-to-peer work'],
    ['0x4 (Drain and Reset)', 'drain', 'draining peer-to-peer work and a GPU reset'],
  ])('%s', (action, recommendation, recovery) => {
    const [e] = parseXidLines(line(action));
    expect(e).toMatchObject({ xid: 154, recommendation, recovery });
  });

  it('an unknown label, or a form it does not know, is never guessed from the number', () => {
    expect(parseXidLines(line('0x5 (Recover IMEX Domain)'))[0]).toMatchObject({
      recommendation: 'investigate',
      recovery: '"Recover IMEX Domain", which the bot does not know',
    });
    expect(recoveryAction('GPU recovery action changed to 0x2')).toBeUndefined();
    expect(parseXidLines('[ 1.0] NVRM: Xid (PCI:0000:01:00): 154, something else')[0]).toMatchObject({
      recommendation: 'investigate',
    });
    expect(
      parseXidLines('[ 1.0] NVRM: Xid (PCI:0000:01:00): 154, something else')[0]?.recovery,
    ).toBeUndefined();
  });
});

describe('parseGpuIdentities', () => {
  it("takes a GPU's UUID and board serial from what the driver logged for its bus", () => {
    const dmesg = [
      '[5455980.118313] NVRM: GPU at PCI:0000:9A:00: GPU-e24f2c9b-e14f-2b08-e44f-2fc1e34f2e2e',
      '[5455980.118324] NVRM: GPU Board Serial Number: 1654923962909',
      '[5455980.118335] NVRM: Xid (PCI:0000:9a:00): 79, pid=48211, name=python3, GPU has fallen off the bus.',
      '[5455981.000000] NVRM: GPU Board Serial Number: 99',
    ].join('\n');
    expect(parseGpuIdentities(dmesg)).toEqual(
      new Map([
        ['0000:9a:00', { uuid: 'GPU-e24f2c9b-e14f-2b08-e44f-2fc1e34f2e2e', serial: '1654923962909' }],
      ]),
    );
    // A serial with no GPU line before it belongs to no bus.
    expect(parseGpuIdentities('[ 1.0] NVRM: GPU Board Serial Number: 1654923962909')).toEqual(new Map());
  });
});

describe('parseXidLines', () => {
  it('reads pid and process name, and the driver text after them', () => {
    const [e] = parseXidLines(
      '[5455980.118335] NVRM: Xid (PCI:0000:9A:00): 79, pid=48211, name=python3, GPU has fallen off the bus.',
    );
    expect(e).toEqual({
      xid: 79,
      pciBus: '0000:9a:00',
      pid: 48211,
      process: 'python3',
      message: 'GPU has fallen off the bus.',
      seconds: 5455980.118335,
      ...XID_TABLE[79],
    });
  });

  it('handles unknown pids, missing pids, dmesg -T stamps and CRLF', () => {
    const text = [
      "[Tue Mar  5 22:23:56 2024] NVRM: Xid (PCI:0000:3b:00): 48, pid='<unknown>', name=<unknown>, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 6, subpartition 0.",
      '[  812.000001] NVRM: Xid (PCI:0000:02:00): 13, 0002 00000000 0000c197 00001b0c 00000004 00000000',
      '[  900.5] NVRM: Xid (PCI:0000:18:00): 31, pid=1234, Ch 00000010, intr 10000000. MMU Fault',
      '[    5.2] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.90.07',
    ].join('\r\n');
    const events = parseXidLines(text);
    expect(events.map((e) => [e.xid, e.pid, e.process, e.recommendation])).toEqual([
      [48, undefined, undefined, 'migrate'],
      [13, undefined, undefined, 'investigate'],
      [31, 1234, undefined, 'restart'],
    ]);
    expect(events[0]?.seconds).toBeUndefined();
    expect(events[1]?.message).toBe('0002 00000000 0000c197 00001b0c 00000004 00000000');
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        expect(Array.isArray(parseXidLines(text))).toBe(true);
      }),
    );
  });

  it('never throws on text made of Xid-like fragments', () => {
    const fragment = fc.constantFrom(
      'NVRM: Xid (PCI:0000:9a:00): ',
      '79, ',
      "pid='<unknown>', ",
      'pid=, ',
      'name=, ',
      '[ 1.5] ',
      '[',
      ']',
      '\n',
      '99999999999999999999, ',
      'GPU has fallen off the bus.',
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), (parts) => {
        for (const e of parseXidLines(parts.join(''))) {
          expect(Number.isSafeInteger(e.xid)).toBe(true);
          expect(['restart', 'drain', 'migrate', 'investigate']).toContain(e.recommendation);
        }
      }),
    );
  });

  it('recovers xid, bus and pid from any well-formed line', () => {
    const hex = (n: number) =>
      fc.integer({ min: 0, max: 16 ** n - 1 }).map((v) => v.toString(16).padStart(n, '0'));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        hex(4),
        hex(2),
        fc.option(fc.integer({ min: 1, max: 4_194_304 }), { nil: undefined }),
        fc.stringMatching(/^[A-Za-z][A-Za-z .]{0,40}$/),
        (xid, domain, bus, pid, message) => {
          const pidPart = pid === undefined ? "pid='<unknown>', " : `pid=${pid}, `;
          const line = `[ 1234.567890] NVRM: Xid (PCI:${domain}:${bus}:00): ${xid}, ${pidPart}name=python3, ${message}`;
          const [e] = parseXidLines(line);
          expect(e).toMatchObject({ xid, pciBus: `${domain}:${bus}:00`, message: message.trim() });
          expect(e?.pid).toBe(pid);
        },
      ),
    );
  });
});

describe('parseNvidiaSmiCsv', () => {
  it('reads healthy rows, [N/A] fields and a GPU that needs a reset', () => {
    const text = [
      '0, NVIDIA H100 80GB HBM3, 34, 0 %, 0 MiB, 81559 MiB, 0',
      '1, NVIDIA A10G, 41, 87 %, 20112 MiB, 23028 MiB, [N/A]',
      '2, NVIDIA H100 80GB HBM3, [Unknown Error], [Unknown Error], [GPU requires reset], [GPU requires reset], [GPU requires reset]',
      'Unable to determine the device handle for GPU0000:9A:00.0: Unknown Error',
      '',
    ].join('\n');
    const rows = parseNvidiaSmiCsv(text);
    expect(rows).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        temperatureC: 34,
        utilizationPct: 0,
        memoryUsedMiB: 0,
        memoryTotalMiB: 81559,
        eccUncorrected: 0,
        responding: true,
      },
      {
        index: 1,
        name: 'NVIDIA A10G',
        temperatureC: 41,
        utilizationPct: 87,
        memoryUsedMiB: 20112,
        memoryTotalMiB: 23028,
        eccUncorrected: null,
        responding: true,
      },
      {
        index: 2,
        name: 'NVIDIA H100 80GB HBM3',
        temperatureC: null,
        utilizationPct: null,
        memoryUsedMiB: null,
        memoryTotalMiB: null,
        eccUncorrected: null,
        responding: false,
      },
    ]);
    expect(toGpuHealth(rows[2]!)).toMatchObject({ index: 2, temperatureC: 0, responding: false });
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        for (const row of parseNvidiaSmiCsv(text)) expect(Number.isInteger(row.index)).toBe(true);
      }),
    );
  });

  it('reads back any row it is given', () => {
    const value = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constant(null));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 15 }),
        value,
        value,
        value,
        value,
        value,
        (index, t, u, used, total, ecc) => {
          const f = (v: number | null, unit = '') => (v === null ? '[N/A]' : `${v}${unit}`);
          const line = `${index}, NVIDIA H100 80GB HBM3, ${f(t)}, ${f(u, ' %')}, ${f(used, ' MiB')}, ${f(total, ' MiB')}, ${f(ecc)}`;
          expect(parseNvidiaSmiCsv(line)).toEqual([
            {
              index,
              name: 'NVIDIA H100 80GB HBM3',
              temperatureC: t,
              utilizationPct: u,
              memoryUsedMiB: used,
              memoryTotalMiB: total,
              eccUncorrected: ecc,
              responding: true,
            },
          ]);
        },
      ),
    );
  });
});
