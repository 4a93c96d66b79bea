import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_COMMANDS } from '../../src/nodes/commands.ts';
import {
  GPU_HEALTH_FIELDS,
  normalizePciBus,
  parseGpuHealthCsv,
  parseNvlinkStatus,
  parseRemappedRowsCsv,
} from '../../src/nodes/parse/gpu-health.ts';
import type { CommandResult, DiagnosticId } from '../../src/nodes/port.ts';
import { analyze, XID_REPEAT } from '../../src/nodes/triage.ts';

const result = (stdout: string, exitCode = 0): CommandResult => ({
  command: 'test',
  exitCode,
  stdout,
  stderr: '',
  durationMs: 1,
});

// An H100 SXM on R570: row remapping, so the retired-page fields print [N/A].
const H100_ROW =
  '0, 00000000:18:00.0, 1654923007713, GPU-6c2d1f0e-9a4b-4e6f-8d2a-1b3c5d7e9f01, 690.77 W, 700.00 W, 5, 5, 16, 16, Not Active, Not Active, Not Active, Not Active, Active, [N/A], [N/A], [N/A]';
// A V100 on R470: page retirement instead of row remapping, a PCIe Gen3 link.
const V100_ROW =
  '1, 00000000:3B:00.0, 0323217044913, GPU-0b6f0a2e-5c1d-4e8f-9a7b-3c2d1e0f9a8b, 41.06 W, 300.00 W, 3, 3, 16, 16, Not Active, Not Active, Not Active, Not Active, Not Active, 2, 0, No';
// A consumer or virtual GPU: most of it [Not Supported].
const VGPU_ROW =
  '0, 00000000:02:00.0, [N/A], GPU-9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a, [N/A], [N/A], [Not Supported], [Not Supported], [Not Supported], [Not Supported], [Not Supported], [Not Supported], [Not Supported], [Not Supported], [Not Supported], [N/A], [N/A], [N/A]';

describe('the gpu-health query', () => {
  it('asks for the fields the parser reads, in its order', () => {
    expect(DIAGNOSTIC_COMMANDS['gpu-health']).toBe(
      `nvidia-smi --query-gpu=${GPU_HEALTH_FIELDS.join(',')} --format=csv,noheader`,
    );
    expect(GPU_HEALTH_FIELDS).toHaveLength(18);
  });

  it('reads an H100 on R570: power against its limit, the link, the power cap, no retired pages', () => {
    expect(parseGpuHealthCsv(H100_ROW)).toEqual([
      {
        index: 0,
        pciBus: '0000:18:00',
        serial: '1654923007713',
        uuid: 'GPU-6c2d1f0e-9a4b-4e6f-8d2a-1b3c5d7e9f01',
        powerDrawW: 690.77,
        powerLimitW: 700,
        pcieGen: 5,
        pcieGenMax: 5,
        pcieWidth: 16,
        pcieWidthMax: 16,
        throttle: ['sw_power_cap'],
        retiredSingleBit: null,
        retiredDoubleBit: null,
        retiredPending: null,
      },
    ]);
  });

  it('reads a V100 on R470, page retirement and all', () => {
    expect(parseGpuHealthCsv(V100_ROW)[0]).toMatchObject({
      pciBus: '0000:3b:00',
      pcieGen: 3,
      throttle: [],
      retiredSingleBit: 2,
      retiredDoubleBit: 0,
      retiredPending: false,
    });
  });

  it('takes [N/A] and [Not Supported] as not known: no throttle reasons, no serial, no zeros', () => {
    expect(parseGpuHealthCsv(VGPU_ROW)[0]).toMatchObject({
      serial: null,
      powerDrawW: null,
      pcieWidth: null,
      throttle: null,
      retiredPending: null,
    });
  });

  it('reads nothing from what an older driver prints for a field it lacks', () => {
    expect(
      parseGpuHealthCsv(
        'Field "clocks_throttle_reasons.hw_power_brake_slowdown" is not a valid field to query.\n',
      ),
    ).toEqual([]);
    expect(parseGpuHealthCsv('No devices were found\n')).toEqual([]);
  });
});

describe('the gpu-remap query', () => {
  it('reads pending and failure as 0/1 or Yes/No, counts as numbers', () => {
    expect(
      parseRemappedRowsCsv(
        '00000000:18:00.0, 0, 0, 0, 0\n00000000:3A:00.0, 0, 1, 1, 0\r\n00000000:BA:00.0, 2, 8, No, Yes\n',
      ),
    ).toEqual([
      { pciBus: '0000:18:00', correctable: 0, uncorrectable: 0, pending: false, failure: false },
      { pciBus: '0000:3a:00', correctable: 0, uncorrectable: 1, pending: true, failure: false },
      { pciBus: '0000:ba:00', correctable: 2, uncorrectable: 8, pending: false, failure: true },
    ]);
  });

  it('a GPU without row remapping (before Ampere) has no reading, not a healthy one', () => {
    expect(parseRemappedRowsCsv('00000000:3B:00.0, [N/A], [N/A], [N/A], [N/A]')).toEqual([
      { pciBus: '0000:3b:00', correctable: null, uncorrectable: null, pending: null, failure: null },
    ]);
  });
});

describe('nvidia-smi nvlink --status', () => {
  const gpu = (i: number, links: string[]) =>
    [
      `GPU ${i}: NVIDIA H100 80GB HBM3 (UUID: GPU-${i}0000000-0000-0000-0000-000000000000)`,
      ...links.map((l, k) => `\t Link ${k}: ${l}`),
    ].join('\n');

  it('names the links that are inactive', () => {
    const text = [gpu(0, ['26.562 GB/s', '26.562 GB/s']), gpu(1, ['26.562 GB/s', '<inactive>'])].join('\n');
    expect(parseNvlinkStatus(text)).toEqual([
      { gpu: 0, links: 2, down: [] },
      { gpu: 1, links: 2, down: [1] },
    ]);
  });

  it('leaves out GPUs that print no links (PCIe cards)', () => {
    expect(parseNvlinkStatus('GPU 0: NVIDIA L4 (UUID: GPU-1)\nGPU 1: NVIDIA L4 (UUID: GPU-2)\n')).toEqual([]);
  });
});

describe('normalizePciBus', () => {
  it("matches nvidia-smi's bus id to the driver's", () => {
    expect(normalizePciBus('00000000:9A:00.0')).toBe('0000:9a:00');
    expect(normalizePciBus('0000:9a:00')).toBe('0000:9a:00');
    expect(normalizePciBus('[N/A]')).toBeNull();
  });
});

describe('the parsers never throw', () => {
  it('whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        expect(Array.isArray(parseGpuHealthCsv(text))).toBe(true);
        expect(Array.isArray(parseRemappedRowsCsv(text))).toBe(true);
        expect(Array.isArray(parseNvlinkStatus(text))).toBe(true);
      }),
    );
  });

  it('nor does triage, whatever the GPU commands print', () => {
    const line = fc.oneof(
      fc.constantFrom(
        H100_ROW,
        V100_ROW,
        VGPU_ROW,
        '00000000:3A:00.0, 0, 1, 1, 0',
        'GPU 0: X (UUID: GPU-1)',
        '\t Link 0: <inactive>',
        '\t Link 1: 26.562 GB/s',
      ),
      fc.string({ maxLength: 80 }),
    );
    const out = fc.array(line, { maxLength: 12 }).map((l) => l.join('\n'));
    fc.assert(
      fc.property(
        out,
        out,
        out,
        out,
        fc.integer({ min: 0, max: 16 }),
        (gpu, health, remap, nvlink, expected) => {
          const report = analyze(
            'n',
            {
              gpu: result(gpu),
              'gpu-health': result(health),
              'gpu-remap': result(remap),
              nvlink: result(nvlink),
            },
            [],
            ['gpu', 'gpu-health', 'gpu-remap', 'nvlink'],
            { expectedGpus: expected },
          );
          for (const f of report.findings) expect(f.text.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('on rows made of real fields in any order', () => {
    const field = fc.constantFrom(
      '0',
      '7',
      '00000000:9A:00.0',
      '[N/A]',
      '[Not Supported]',
      'Active',
      'Not Active',
      '690.77 W',
      'Yes',
      '',
      ' ',
    );
    fc.assert(
      fc.property(fc.array(field, { minLength: 18, maxLength: 18 }), (fields) => {
        const rows = parseGpuHealthCsv(fields.join(', '));
        for (const r of rows) expect(Number.isInteger(r.index)).toBe(true);
      }),
    );
  });
});

const smi = (rows: string[]) => result(rows.join('\n'));
const baseGpu = (i: number, util = 90) =>
  `${i}, NVIDIA H100 80GB HBM3, 60, ${util} %, 70000 MiB, 81559 MiB, 0`;
const diagnostics: DiagnosticId[] = ['gpu', 'gpu-health', 'gpu-remap', 'nvlink', 'xid'];

describe('triage of the deeper GPU signals', () => {
  it('Xid 13 on different GPUs of a node is the software; the report says so and asks for no drain', () => {
    const xid = result(
      [
        '[ 100.0] NVRM: Xid (PCI:0000:18:00): 13, pid=11, name=python3, Graphics SM Warp Exception on (GPC 0, TPC 0, SM 0): Out Of Range Address',
        '[ 100.1] NVRM: Xid (PCI:0000:2a:00): 13, pid=11, name=python3, Graphics SM Warp Exception on (GPC 1, TPC 0, SM 0): Out Of Range Address',
        '[ 100.2] NVRM: Xid (PCI:0000:3a:00): 13, pid=11, name=python3, Graphics Exception: ESR 0x50e648=0x102000e',
      ].join('\n'),
    );
    const [f] = analyze('gpu-node-1', { xid }, [], ['xid']).findings;
    expect(f).toMatchObject({ level: 'info', xid: 13 });
    expect(f?.text).toMatch(
      /^Xid 13 on 3 GPUs \(python3\), 3 times: .* On 3 different GPUs of this node: that points at the software/,
    );
    expect(f?.recommendation).toBeUndefined();
  });

  it(`the same Xid ${XID_REPEAT} times on one GPU alone is its hardware: move the work off`, () => {
    const line = (n: number) =>
      `[ ${100 + n}.0] NVRM: Xid (PCI:0000:5d:00): 31, pid=${40 + n}, name=python3, Ch 00000010, intr 10000000. MMU Fault`;
    const once = analyze('gpu-node-1', { xid: result(line(0)) }, [], ['xid']).findings[0];
    expect(once).toMatchObject({ level: 'warning' });
    expect(once?.recommendation).toBeUndefined();
    const xid = result(Array.from({ length: XID_REPEAT }, (_, n) => line(n)).join('\n'));
    const [f] = analyze('gpu-node-1', { xid }, [], ['xid']).findings;
    expect(f).toMatchObject({ level: 'critical', recommendation: { kind: 'drain', node: 'gpu-node-1' } });
    expect(f?.text).toMatch(/Repeated 3 times on this GPU alone: that points at its hardware/);
  });

  it("Xid 154's recovery action decides: none asks for nothing, a reboot for a drain", () => {
    const line = (action: string) =>
      result(
        `[ 1.0] NVRM: Xid (PCI:0000:9a:00): 154, GPU recovery action changed from 0x0 (None) to ${action}`,
      );
    const [none] = analyze('n', { xid: line('0x0 (None)') }, [], ['xid']).findings;
    expect(none).toMatchObject({ level: 'info', text: expect.stringContaining('no recovery action needed') });
    expect(none?.recommendation).toBeUndefined();
    const [reboot] = analyze('n', { xid: line('0x2 (Node Reboot Required)') }, [], ['xid']).findings;
    expect(reboot).toMatchObject({
      level: 'critical',
      recommendation: { kind: 'drain', node: 'n', why: 'Xid 154: a node reboot' },
    });
  });

  it('reads nothing false from a driver that lacks the fields: not available on this node', () => {
    const report = analyze(
      'gpu-node-1',
      {
        gpu: smi([baseGpu(0)]),
        'gpu-health': result(
          'Field "clocks_throttle_reasons.hw_slowdown" is not a valid field to query.\n',
          2,
        ),
        'gpu-remap': result('00000000:18:00.0, [N/A], [N/A], [N/A], [N/A]\n'),
        nvlink: result('GPU 0: NVIDIA A10 (UUID: GPU-1)\n'),
      },
      [],
      diagnostics.filter((d) => d !== 'xid'),
      { expectedGpus: 1 },
    );
    expect(report.findings).toEqual([]);
    expect(report.skipped).toEqual([
      'gpu-health (nvidia-smi gave no reading: an older driver or a GPU without it)',
    ]);
  });

  it('a PCIe link narrower than it can be is a warning; an idle one at a low generation is not', () => {
    const row = (i: number, gen: number, width: number) =>
      `${i}, 00000000:1${i}:00.0, 16549230077${i}0, GPU-${i}, 100.00 W, 700.00 W, ${gen}, 5, ${width}, 16, Not Active, Not Active, Not Active, Not Active, Not Active, [N/A], [N/A], [N/A]`;
    const report = analyze(
      'gpu-node-1',
      {
        gpu: smi([baseGpu(0, 0), baseGpu(1), baseGpu(2)]),
        'gpu-health': smi([row(0, 1, 16), row(1, 5, 8), row(2, 3, 16)]),
      },
      [],
      ['gpu', 'gpu-health'],
    );
    expect(report.findings.map((f) => [f.kind, f.text.slice(0, 40)])).toEqual([
      ['pcie_degraded', 'GPU 1 PCIe link runs at x8 of x16: a fra'],
      ['pcie_degraded', 'GPU 2 PCIe link runs at Gen3 of Gen5 whi'],
    ]);
    expect(report.summary).toContain('GPU power 300 W of 2100 W');
  });

  it('a pending row remap names the GPU to reset by index, or by bus where the index is not known', () => {
    const remap = result('00000000:3A:00.0, 0, 1, 1, 0\n');
    const health = smi([
      '2, 00000000:3A:00.0, 1654923568215, GPU-2, 600.00 W, 700.00 W, 5, 5, 16, 16, Not Active, Not Active, Not Active, Not Active, Not Active, [N/A], [N/A], [N/A]',
    ]);
    const withIndex = analyze(
      'n',
      { 'gpu-remap': remap, 'gpu-health': health },
      [],
      ['gpu-remap', 'gpu-health'],
    );
    expect(withIndex.findings[0]?.text).toContain('`nvidia-smi -r -i 2`');
    expect(withIndex.findings[0]?.text).toMatch(
      /^GPU 2 \(PCI 0000:3a:00, serial 1654923568215\) has a row remap pending/,
    );
    const busOnly = analyze('n', { 'gpu-remap': remap }, [], ['gpu-remap']);
    expect(busOnly.findings[0]?.text).toContain('`nvidia-smi -r -i 00000000:3A:00.0`');
    expect(busOnly.findings[0]?.recommendation).toEqual({
      kind: 'cordon',
      node: 'n',
      why: 'row remap pending on PCI 0000:3a:00',
    });
  });

  it("Slurm's word on the node: its state, reason and first jobs; down is a warning", () => {
    const job = (i: number) => ({
      id: `41${i}`,
      user: 'alice',
      state: 'RUNNING',
      elapsed: '1:00',
      name: `j${i}`,
      gpus: 1,
    });
    const down = analyze('n', {}, [], [], {
      scheduler: {
        state: 'down*',
        reason: 'Not responding',
        jobs: Array.from({ length: 7 }, (_, i) => job(i)),
      },
    });
    expect(down.summary).toEqual([
      'Slurm DOWN* (Not responding), 7 jobs: 410 j0 (alice, 1 GPU, RUNNING 1:00), 411 j1 (alice, 1 GPU, RUNNING 1:00), 412 j2 (alice, 1 GPU, RUNNING 1:00), 413 j3 (alice, 1 GPU, RUNNING 1:00), 414 j4 (alice, 1 GPU, RUNNING 1:00), and 2 more',
    ]);
    expect(down.findings).toEqual([
      expect.objectContaining({
        level: 'warning',
        text: expect.stringMatching(/^Slurm has n DOWN\*: "Not responding"\. No new jobs land there/),
      }),
    ]);
    const idle = analyze('n', {}, [], [], { scheduler: { state: 'idle', jobs: [] } });
    expect(idle.summary).toEqual(['Slurm IDLE, no jobs']);
    expect(idle.findings).toEqual([]);
  });

  it('GPUs on PCIe only (no link up anywhere) have no NVLink down', () => {
    const status = [
      'GPU 0: X (UUID: GPU-1)',
      '\t Link 0: <inactive>',
      'GPU 1: X (UUID: GPU-2)',
      '\t Link 0: <inactive>',
    ].join('\n');
    expect(analyze('n', { nvlink: result(status) }, [], ['nvlink']).findings).toEqual([]);
  });

  it('a GPU missing needs the inventory count: without it, 7 listed GPUs are just 7 GPUs', () => {
    const gpu = smi(Array.from({ length: 7 }, (_, i) => baseGpu(i)));
    expect(analyze('n', { gpu }, [], ['gpu']).findings).toEqual([]);
    expect(analyze('n', { gpu }, [], ['gpu'], { expectedGpus: 8 }).findings).toEqual([
      expect.objectContaining({
        kind: 'gpu_missing',
        level: 'critical',
        recommendation: { kind: 'drain', node: 'n', why: '1 GPU missing' },
      }),
    ]);
  });
});
