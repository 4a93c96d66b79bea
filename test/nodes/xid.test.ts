import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiCsv, toGpuHealth } from '../../src/nodes/parse/nvidia-smi.ts';
import { parseXidLines, XID_TABLE, xidInfo } from '../../src/nodes/xid.ts';

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
    expect(xidInfo(999)).toEqual({ meaning: expect.stringContaining('999'), recommendation: 'investigate' });
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
      meaning: XID_TABLE[79]?.meaning,
      recommendation: 'drain',
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
