import { describe, expect, it } from 'vitest';
import { isBotError } from '../../src/core/index.ts';
import { findRunbook } from '../../src/runbooks/find.ts';
import { loadRunbooks } from '../../src/runbooks/loader.ts';
import { describeCondition, runbookDetailMessage, runbookMessage } from '../../src/runbooks/message.ts';
import { RUNBOOK_DIR } from './helpers.ts';

const runbooks = loadRunbooks(RUNBOOK_DIR);
const gpuXid = runbooks.find((r) => r.name === 'gpu-xid')!;

describe('runbookMessage', () => {
  it('posts the title, summary, every mitigation (a conditional one with its condition), steps and links', () => {
    const m = runbookMessage(gpuXid, { runbookUrl: 'https://wiki.example.com/xid' });
    expect(m.header).toBe('📘 Runbook: GPU Xid error');
    expect(m.text).toMatch(/^📘 Runbook: GPU Xid error: The NVIDIA driver logged/);
    expect(m.sections![0]).toBe(gpuXid.summary);
    const mitigations = m.sections!.find((s) => s.startsWith('*Mitigations*'))!;
    expect(mitigations.split('\n').slice(1)).toEqual([
      '• *drain* the node (`/node drain <node>`): Move every workload off the node before a GPU reset, reboot or RMA.',
      '• *cordon* the node (`/node cordon <node>`): Keep new work off the node while you read dmesg.',
      '• *restart* the workload on Xid 31, 32, 43 or 94 (`/workload restart <workload>`): Restart the process that faulted.',
    ]);
    const steps = m.sections!.at(-1)!;
    expect(steps.split('\n')[0]).toBe('*Steps:*');
    expect(steps.split('\n')).toHaveLength(gpuXid.steps.length + 1);
    // Markdown bold becomes the chat markup's bold.
    expect(steps).toContain('5. *Xid 79*: the GPU fell off the bus.');
    expect(steps).not.toContain('**');
    expect(m.context).toEqual([
      '<https://wiki.example.com/xid|Runbook for this alert>',
      'References: <https://docs.nvidia.com/deploy/xid-errors/index.html|https://docs.nvidia.com/deploy/xid-errors/index.html>',
      '/runbook show gpu-xid for the full runbook',
    ]);
  });

  it('lists only the mitigations that apply to the findings, when given', () => {
    const only79 = runbookMessage(gpuXid, { findings: [{ level: 'critical', text: 'x', xid: 79 }] });
    const mitigations = only79.sections!.find((s) => s.startsWith('*Mitigations*'))!;
    expect(mitigations).toContain('*drain*');
    expect(mitigations).not.toContain('*restart*');
    const with31 = runbookMessage(gpuXid, { findings: [{ level: 'warning', text: 'x', xid: 31 }] });
    expect(with31.sections!.find((s) => s.startsWith('*Mitigations*'))).toContain(
      '• *restart* the workload (`/workload restart <workload>`)',
    );
    expect(only79.context).not.toContain('<https://wiki.example.com/xid|Runbook for this alert>');
  });
});

describe('runbookDetailMessage', () => {
  it('shows what the runbook matches, runs, recommends, offers, escalates and asks', () => {
    const m = runbookDetailMessage(gpuXid);
    expect(m.header).toBe('📘 GPU Xid error (gpu-xid)');
    const all = m.sections!.join('\n');
    expect(all).toContain(
      '*Matches:* GPUXidError, GpuXidError, DCGM_FI_DEV_XID_ERRORS, GPUFallenOffBus · opens a SEV2',
    );
    expect(all).toContain(
      '*Diagnostics:* gpu, gpu-health, gpu-remap, nvlink, xid, containers, container-restarts',
    );
    expect(all).toContain(
      '• on Xid 79 → *drain*: Xid 79, the GPU fell off the bus. That is a hardware failure, so move everything off the node.',
    );
    expect(all).toContain('• on a GPU not responding → *drain*:');
    expect(all).toContain('*Escalation* (after 30m to @sre): The Xid error is still open after 30 minutes.');
    expect(all).toContain('• *restart* the workload on Xid 31, 32, 43 or 94');
    expect(m.context).toContain(`From ${gpuXid.file}`);
    expect(m.context).toContain('Run it: /runbook run gpu-xid <node…>');
  });

  it('names the labels a runbook asks for', () => {
    const m = runbookDetailMessage(runbooks.find((r) => r.name === 'model-server-crash-loop')!);
    expect(m.sections!.join('\n')).toMatch(/\*Matches:\* KubePodCrashLooping with container = triton \| /);
  });
});

describe('describeCondition', () => {
  it('reads like a sentence', () => {
    expect(describeCondition({ xid: [79] })).toBe('Xid 79');
    expect(describeCondition({ xid: [48, 95] })).toBe('Xid 48 or 95');
    expect(describeCondition({ finding: 'oom' })).toBe('an OOM kill');
  });
});

describe('findRunbook', () => {
  const fail = (name: string) => {
    try {
      findRunbook(runbooks, name);
    } catch (err) {
      if (isBotError(err)) return err;
      throw err;
    }
    throw new Error(`expected ${name} to be unknown`);
  };

  it('finds a runbook by name, whatever the case', () => {
    expect(findRunbook(runbooks, 'GPU-Xid')).toBe(gpuXid);
  });

  it('suggests the closest names for a typo or a part of a name, with the list as hint', () => {
    const typo = fail('gpu-xd');
    expect(typo.code).toBe('bot.runbook.unknown');
    expect(typo.message).toBe('Unknown runbook "gpu-xd". Did you mean gpu-xid?');
    expect(typo.hint).toBe('See them all with /runbook list.');
    expect(fail('oom').message).toBe('Unknown runbook "oom". Did you mean gpu-oom or node-oom?');
    expect(fail('zzzzzzzzzzzz').message).toBe('Unknown runbook "zzzzzzzzzzzz".');
  });
});
