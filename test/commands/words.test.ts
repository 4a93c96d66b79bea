import { describe, expect, it } from 'vitest';
import { alice, bob, harness } from '../incidents/harness.ts';

/*
 * Role, severity and status words mean in a command what they mean in core (src/core/roles.ts,
 * severity.ts, status.ts): typed in the sandbox, as a person types them.
 */
describe('core’s words in commands', () => {
  it('/incident assign lead me makes you the commander', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const reply = await h.command('incident', 'assign lead me', incident.channelId!, bob);
    expect(reply.message.text).toBe('@bob is now commander.');
    expect((await h.incidents.roles(incident)).map((r) => [r.role, r.userId])).toEqual([
      ['commander', 'bob'],
    ]);
    await h.close();
  });

  it.each([
    ['assign responders @alice', 'responder'],
    ['assign incident-commander @alice', 'commander'],
  ])('/incident %s', async (text, role) => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    await h.command('incident', text, incident.channelId!, bob);
    expect((await h.incidents.roles(incident)).map((r) => [r.role, r.userId])).toEqual([[role, alice.id]]);
    await h.close();
  });

  it('/incident severity takes every way core reads a severity, spaced too', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    for (const [typed, severity] of [
      ['sev 2', 'SEV2'],
      ['P1', 'SEV1'],
      ['SEV-4', 'SEV4'],
    ]) {
      const reply = await h.command('incident', `severity ${typed}`, incident.channelId!);
      expect(reply.message.text).toBe(`INC-${incident.number} is now ${severity}.`);
    }
    await h.close();
  });

  it('node names are the fleet’s in any case: GPU-NODE-5 is gpu-node-5, stored and shown so', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    const channel = incident.channelId!;
    const status = await h.command('node', 'status GPU-NODE-5', channel);
    expect(status.message.header).toMatch(/^gpu-node-5: /);
    const drain = await h.command('node', 'drain Gpu-Node-5', channel);
    expect(drain.message.text).toMatch(/^Requested drain of gpu-node-5\./);
    expect((await h.store.listActions(incident.id)).map((a) => a.target)).toEqual(['gpu-node-5']);
    const triage = await h.command('node', 'triage GPU-node-7', channel);
    expect(triage.message.text).toMatch(/^Triage finished: 1 node/);
    // A name no node has in any case is still answered with the closest ones.
    await expect(h.command('node', 'status GPU-NODE-55', channel)).rejects.toThrow(/Did you mean gpu-node-5/);
    await h.close();
  });
});
