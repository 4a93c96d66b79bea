import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_WATCH } from '../../src/incidents/drain-watch.ts';
import type { SshNodeAdapter } from '../../src/nodes/ssh/index.ts';
import { connectSsh, type SshFleet, startSshFleet } from '../fakes/ssh/index.ts';
import { alice, bob, harness } from './harness.ts';

/**
 * A drain on a Slurm node through the whole bot: the real SSH adapter against the fake fleet's
 * `sinfo`/`squeue`/`scontrol`. The result says DRAINING while jobs run, the watch (a durable timer)
 * says DRAINED in the channel when the last one ends, and the drain reason names the incident.
 */
describe('a Slurm drain that is still finishing', () => {
  let fleet: SshFleet;
  let ssh: SshNodeAdapter;

  beforeAll(async () => {
    fleet = await startSshFleet({ count: 4 });
    ssh = await connectSsh(fleet);
  });
  afterAll(async () => {
    await ssh?.close();
    await fleet?.close();
  });

  it("triage shows Slurm's state, reason and jobs with their GPUs beside the diagnostics", async () => {
    fleet.reset();
    fleet.setSlurmJobs('gpu-node-3', [
      {
        id: '4121',
        user: 'alice',
        state: 'RUNNING',
        elapsed: '2:03:11',
        name: 'llama-70b-pretrain',
        gpus: 8,
      },
    ]);
    const h = await harness({ adapters: () => [ssh] });
    const incident = await h.declare('SEV2', 'Slow steps on gpu-node-3');
    // Two nodes, so each also probes the other's NCCL port: the diagnostics, the probe and the Slurm
    // read of a node are in flight together (one round trip), within the per-node limit of 3.
    fleet.setDelay(50);
    fleet.resetStats();
    const both = await h.triageIn(incident, ['gpu-node-3', 'gpu-node-4']);
    fleet.setDelay(0);
    expect(fleet.inFlight().perNodeMax['gpu-node-3']).toBe(3);
    const n3 = both.find((r) => r.node === 'gpu-node-3');
    expect(n3!.report!.summary).toContain(
      'Slurm MIXED, 1 job: 4121 llama-70b-pretrain (alice, 8 GPUs, RUNNING 2:03:11)',
    );

    await ssh.cordon('gpu-node-3', { reason: 'INC-9: hot GPU' });
    const [again] = await h.triageIn(incident, ['gpu-node-3']);
    expect(again!.report!.summary).toContain(
      'Slurm DRAINING (incident-bot INC-9: hot GPU), 1 job: 4121 llama-70b-pretrain (alice, 8 GPUs, RUNNING 2:03:11)',
    );
    await h.close();
  });

  it('previews the Slurm jobs, reports DRAINING, then DRAINED when the jobs end, once', async () => {
    fleet.reset();
    fleet.setSlurmJobs('gpu-node-2', [
      { id: '4121', user: 'alice', state: 'RUNNING', elapsed: '2:03:11', name: 'llama-70b-pretrain' },
    ]);
    const h = await harness({ adapters: () => [ssh] });
    const incident = await h.declare('SEV1', 'Xid 79 on gpu-node-2');
    const action = await h.actions.request(incident, 'drain', 'gpu-node-2', alice);
    expect(action.preview).toContain(
      '1 Slurm job on gpu-node-2 keeps running until it ends (Slurm says DRAINING until then, DRAINED after; no new jobs start):\n• 4121 llama-70b-pretrain (alice, RUNNING 2:03:11)',
    );
    const ran = await h.actions.approve(action.id, bob);
    expect(ran.status).toBe('succeeded');
    expect(fleet.drainReason('gpu-node-2')).toBe(`incident-bot INC-${incident.number}: Xid 79 on gpu-node-2`);
    await h.app.uow.idle();
    const channel = (await h.store.getIncident(incident.id))?.channelId ?? '';
    const texts = async () => (await h.messages(channel)).map((m) => m.message.text);
    expect(await texts()).toContainEqual(
      expect.stringMatching(
        /^⏳ drain of gpu-node-2: gpu-node-2 is draining: .*Slurm says DRAINING: 1 Slurm job still running \(4121\)$/,
      ),
    );
    const result = (await h.messages(channel)).find((m) => m.message.text.startsWith('⏳ drain of'));
    expect(result?.message.sections).toContain(
      '⏳ gpu-node-2 is still draining: the bot says here when it is DRAINED.',
    );
    expect(await h.store.getTimer(incident.id, DRAIN_WATCH)).toBeDefined();

    // A minute on, the job still runs: nothing is said, the watch stays.
    h.clock.advance(61_000);
    expect(await h.app.drainWatch.sweep()).toBe(0);
    expect(await h.store.getTimer(incident.id, DRAIN_WATCH)).toBeDefined();

    fleet.setSlurmJobs('gpu-node-2', []);
    h.clock.advance(61_000);
    // The reminders' sweep never leases the watch's timer away from it.
    await h.reminders.sweep();
    // Two sweeps at once (two replicas): one of them says it.
    const [a, b] = await Promise.all([h.app.drainWatch.sweep(), h.app.drainWatch.sweep()]);
    expect(a + b).toBe(1);
    await h.app.uow.idle();
    const drained = (await texts()).filter((t) => t.includes('is DRAINED'));
    expect(drained).toEqual([
      '✅ gpu-node-2 is DRAINED, 2 min after the drain: its last Slurm job ended. Slurm says DRAINED: no jobs left on it.',
    ]);
    expect(await h.store.getTimer(incident.id, DRAIN_WATCH)).toBeUndefined();
    const notes = (await h.store.listTimeline(incident.id)).filter((e) => e.text.includes('is DRAINED'));
    expect(notes).toHaveLength(1);
    await h.close();
  });

  it('stops watching when the incident is resolved, and gives up (saying so) after a day', async () => {
    fleet.reset();
    const job = { id: '77', user: 'bob', state: 'RUNNING', elapsed: '9:00:00', name: 'eval' } as const;
    fleet.setSlurmJobs('gpu-node-3', [job]);
    fleet.setSlurmJobs('gpu-node-4', [job]);
    const h = await harness({ adapters: () => [ssh] });
    const first = await h.declare('SEV3', 'slow node');
    await h.actions.approve((await h.actions.request(first, 'drain', 'gpu-node-3', alice)).id, bob);
    expect(await h.store.getTimer(first.id, DRAIN_WATCH)).toBeDefined();
    await h.incidents.changeStatus(first, 'resolved', alice);
    expect(await h.store.getTimer(first.id, DRAIN_WATCH)).toBeUndefined();

    const second = await h.declare('SEV3', 'another slow node');
    await h.actions.approve((await h.actions.request(second, 'drain', 'gpu-node-4', alice)).id, bob);
    for (let i = 0; i < 24 * 60 + 1; i += 60) {
      h.clock.advance(60 * 61_000);
      await h.app.drainWatch.sweep();
    }
    await h.app.uow.idle();
    const channel = (await h.store.getIncident(second.id))?.channelId ?? '';
    const gaveUp = (await h.messages(channel)).filter((m) => m.message.text.includes('stops watching'));
    expect(gaveUp.map((m) => m.message.text)).toEqual([
      expect.stringMatching(
        /^⏳ gpu-node-4 is still DRAINING 1 d( \d+ h)? after the drain; the bot stops watching it/,
      ),
    ]);
    expect(await h.store.getTimer(second.id, DRAIN_WATCH)).toBeUndefined();
    await h.close();
  });
});
