import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFileConfig } from '../../src/config-file.ts';
import type { Incident } from '../../src/core/index.ts';
import { parseButtonId, snoozeButtonId } from '../../src/incidents/buttons.ts';
import { DEFAULT_REMINDERS, ReminderService } from '../../src/incidents/reminders.ts';
import { alice, bob, harness } from './harness.ts';

const MIN = 60_000;
type Harness = Awaited<ReturnType<typeof harness>>;

/** Messages everyone sees in the incident's channel whose text starts with `prefix`. */
async function posts(h: Harness, incident: Incident, prefix: string) {
  return (await h.messages(incident.channelId!)).filter((m) => m.message.text.startsWith(prefix));
}
const updateReminders = (h: Harness, incident: Incident) => posts(h, incident, '⏰');
const commanderNudges = (h: Harness, incident: Incident) => posts(h, incident, '🧭');
const actionNudges = (h: Harness, incident: Incident) => posts(h, incident, '🛠️ INC-');

/** Sets the clock to `minutes` after the harness's start (03:00 UTC, when incidents are declared) and sweeps. */
async function at(h: Harness, minutes: number): Promise<number> {
  h.clock.set(new Date(Date.parse('2026-11-22T03:00:00Z') + minutes * MIN));
  return h.reminders.sweep();
}
const time = (minutes: number) => new Date(Date.parse('2026-11-22T03:00:00Z') + minutes * MIN);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('update reminders by severity', () => {
  it('SEV2: nothing at 29 min, a reminder at 30, and an update at 40 moves the next to 70', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV2');
    expect((await h.store.getTimer(incident.id, 'update'))?.dueAt).toEqual(time(30));

    expect(await at(h, 29)).toBe(0);
    expect(await updateReminders(h, incident)).toHaveLength(0);
    expect(await at(h, 30)).toBe(1);
    const [first] = await updateReminders(h, incident);
    expect(first!.message.text).toContain(
      '⏰ INC-1 needs a status update. None since it was declared 30 min ago',
    );
    expect(first!.message.text).toContain('SEV2 asks for one every 30 min');
    expect(first!.message.text).toContain('No commander yet');
    expect(first!.message.buttons?.map((b) => b.label)).toEqual(['Take command', 'Snooze 1 h', 'Snooze 2 h']);
    expect(first!.message.buttons?.[0]?.id).toBe(`card:take-command:${incident.id}`);
    expect((await h.store.getTimer(incident.id, 'update'))?.dueAt).toEqual(time(60));

    h.clock.set(time(40));
    await h.incidents.assignRole(incident, 'commander', alice, alice);
    await h.incidents.postUpdate(incident, 'Drained gpu-node-5; errors dropping.', alice);
    expect(await at(h, 60)).toBe(0);
    expect((await h.store.getTimer(incident.id, 'update'))?.dueAt).toEqual(time(70));
    expect(await at(h, 69.9)).toBe(0);
    expect(await at(h, 70)).toBe(1);
    const reminders = await updateReminders(h, incident);
    expect(reminders).toHaveLength(2);
    expect(reminders[1]!.message.text).toContain('The last one was 30 min ago');
    expect(reminders[1]!.message.text).toContain('@alice, please tell people where things stand');
    expect(reminders[1]!.message.buttons?.map((b) => b.label)).toEqual(['Snooze 1 h', 'Snooze 2 h']);
    // Nothing on the timeline: reminders are not part of the incident's story.
    expect((await h.store.listTimeline(incident.id)).map((e) => e.text).join('\n')).not.toContain('⏰');
    await h.close();
  });

  it('fires a reminder whose stored payload does not parse (another version wrote it) as if it were empty', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV2');
    // What a future version (or a hand edit) might leave: the field there, the wrong type.
    await h.store.scheduleTimer({
      incidentId: incident.id,
      kind: 'update',
      dueAt: time(30),
      payload: { remindedAt: 12345 },
      createdAt: time(0),
    });
    expect(await at(h, 30)).toBe(1);
    expect((await updateReminders(h, incident))[0]!.message.text).toContain(
      'None since it was declared 30 min ago',
    );
    expect((await h.store.getTimer(incident.id, 'update'))?.payload).toEqual({
      remindedAt: time(30).toISOString(),
    });
    await h.close();
  });

  it('keeps reminding every interval while nobody posts an update', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV1');
    for (const m of [15, 30, 45]) expect(await at(h, m)).toBe(1);
    // A sweep that comes late (the bot was down) posts one reminder, not the ones it missed.
    expect(await at(h, 200)).toBe(1);
    expect(await at(h, 214)).toBe(0);
    expect(await at(h, 215)).toBe(1);
    expect(await updateReminders(h, incident)).toHaveLength(5);
    await h.close();
  });

  it('SEV4 gets no update reminders', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV4');
    expect(await h.store.getTimer(incident.id, 'update')).toBeUndefined();
    for (const m of [60, 240, 24 * 60]) expect(await at(h, m)).toBe(0);
    expect(await updateReminders(h, incident)).toHaveLength(0);
    await h.close();
  });

  it('follows a severity change: sooner when raised, none at SEV4, back when raised again', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV3');
    expect((await h.store.getTimer(incident.id, 'update'))?.dueAt).toEqual(time(60));

    h.clock.set(time(10));
    let current = await h.incidents.changeSeverity(incident, 'SEV1', alice);
    expect((await h.store.getTimer(incident.id, 'update'))?.dueAt).toEqual(time(15));
    expect(await at(h, 14)).toBe(0);
    expect(await at(h, 15)).toBe(1);

    h.clock.set(time(20));
    current = await h.incidents.changeSeverity(current, 'SEV4', alice);
    expect(await h.store.getTimer(incident.id, 'update')).toBeUndefined();
    expect(await at(h, 120)).toBe(0);

    // Raised again long after the last reminder: overdue, so the next sweep asks.
    current = await h.incidents.changeSeverity(current, 'SEV2', alice);
    expect((await h.store.getTimer(incident.id, 'update'))?.dueAt).toEqual(time(120));
    expect(await at(h, 120)).toBe(1);
    expect(await updateReminders(h, incident)).toHaveLength(2);
    await h.close();
  });

  it('stops when the incident is resolved and starts again when it is reopened', async () => {
    const h = await harness();
    const incident = await h.declare('SEV1');
    h.clock.set(time(3));
    const resolved = await h.incidents.changeStatus(incident, 'resolved', alice);
    expect(await h.store.getTimer(incident.id, 'update')).toBeUndefined();
    expect(await h.store.getTimer(incident.id, 'commander')).toBeUndefined();
    expect(await at(h, 60)).toBe(0);
    expect(await posts(h, incident, '⏰')).toHaveLength(0);
    expect(await posts(h, incident, '🧭')).toHaveLength(0);

    await h.incidents.changeStatus(resolved, 'investigating', alice);
    expect(await h.store.getTimer(incident.id, 'update')).toBeDefined();
    expect(await at(h, 61)).toBe(1);
    await h.close();
  });

  it('drops a timer whose incident was closed without its hook (decided when it fires)', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV2');
    // Written behind the service's back, as by a bot without reminders: no hook ran.
    const stored = (await h.store.getIncident(incident.id))!;
    await h.store.updateIncident(incident.id, stored.version, { status: 'resolved', updatedAt: time(1) });
    expect(await at(h, 30)).toBe(0);
    expect(await h.store.getTimer(incident.id, 'update')).toBeUndefined();
    await h.close();
  });
});

describe('the commander nudge', () => {
  it('asks for a commander after 5 minutes, and Take command works from the nudge', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    expect(await at(h, 4.9)).toBe(0);
    expect(await at(h, 5)).toBe(1);
    const [nudge] = await commanderNudges(h, incident);
    expect(nudge!.message.text).toContain('🧭 INC-1 has had no commander for 5 min.');
    expect(nudge!.message.buttons?.map((b) => [b.label, b.id])).toEqual([
      ['Take command', `card:take-command:${incident.id}`],
      ['Snooze 15 min', snoozeButtonId('commander', 15, incident.id)],
      ['Snooze 30 min', snoozeButtonId('commander', 30, incident.id)],
    ]);
    // One nudge, not one per sweep.
    expect(await h.store.getTimer(incident.id, 'commander')).toBeUndefined();
    expect(await at(h, 10)).toBe(0);

    const reply = await h.click(incident.channelId!, nudge!.id, nudge!.message.buttons![0]!.id, bob);
    expect(reply?.message.text).toBe('You are now the commander of INC-1.');
    expect((await h.store.listRoles(incident.id)).find((r) => r.role === 'commander')?.userId).toBe('bob');
    await h.close();
  });

  it('is cancelled when someone takes command first', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2');
    expect(await h.store.getTimer(incident.id, 'commander')).toBeDefined();
    h.clock.set(time(2));
    await h.incidents.assignRole(incident, 'commander', bob, alice);
    expect(await h.store.getTimer(incident.id, 'commander')).toBeUndefined();
    expect(await at(h, 5)).toBe(0);
    expect(await commanderNudges(h, incident)).toHaveLength(0);
    // Assigning another role does not touch it.
    const other = await h.declare('SEV2', 'Second');
    await h.incidents.assignRole(other, 'responder', bob, alice);
    expect(await h.store.getTimer(other.id, 'commander')).toBeDefined();
    await h.close();
  });

  it('is not posted when a commander was assigned without the hook (checked when it fires)', async () => {
    const h = await harness();
    const incident = await h.declare('SEV2');
    await h.store.assignRole({
      incidentId: incident.id,
      role: 'commander',
      userId: 'bob',
      userName: 'Bob',
      assignedAt: time(1),
    });
    expect(await at(h, 5)).toBe(0);
    expect(await h.store.getTimer(incident.id, 'commander')).toBeUndefined();
    await h.close();
  });
});

describe('the action-aware nudge', () => {
  it('says what was approved and how long ago when no update followed', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV3');
    h.clock.set(time(1));
    await h.incidents.assignRole(incident, 'commander', alice, alice);
    const action = await h.actions.request(incident, 'cordon', 'gpu-node-2', alice);
    h.clock.set(time(2));
    expect((await h.actions.approve(action.id, alice)).status).toBe('succeeded');
    expect((await h.store.getTimer(incident.id, 'action'))?.dueAt).toEqual(time(12));

    expect(await at(h, 11.9)).toBe(0);
    expect(await at(h, 14)).toBe(1);
    const [nudge] = await actionNudges(h, incident);
    expect(nudge!.message.text).toBe(
      '🛠️ INC-1: cordon of gpu-node-2 approved 12 min ago (succeeded), no status update since. @alice, tell people what changed: `/incident update <text>`.',
    );
    expect(nudge!.message.buttons?.map((b) => b.label)).toEqual(['Snooze 15 min', 'Snooze 30 min']);
    expect(await h.store.getTimer(incident.id, 'action')).toBeUndefined();
    expect(await at(h, 30)).toBe(0);
    await h.close();
  });

  it('stays quiet when an update was posted after the approval', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV3');
    const action = await h.actions.request(incident, 'cordon', 'gpu-node-2', alice);
    h.clock.set(time(2));
    await h.actions.approve(action.id, alice);
    h.clock.set(time(6));
    await h.incidents.postUpdate(incident, 'Cordoned gpu-node-2.', alice);
    expect(await at(h, 12)).toBe(0);
    expect(await actionNudges(h, incident)).toHaveLength(0);
    expect(await h.store.getTimer(incident.id, 'action')).toBeUndefined();
    await h.close();
  });

  it('nudges for each approval once, a later one in its own time', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV3');
    const first = await h.actions.request(incident, 'cordon', 'gpu-node-2', alice);
    const second = await h.actions.request(incident, 'cordon', 'gpu-node-4', alice);
    await h.actions.approve(first.id, alice);
    h.clock.set(time(5));
    await h.actions.approve(second.id, alice);
    expect((await h.store.getTimer(incident.id, 'action'))?.dueAt).toEqual(time(10));
    expect(await at(h, 10)).toBe(1);
    expect(await at(h, 15)).toBe(1);
    const nudges = (await actionNudges(h, incident)).map((m) => m.message.text);
    expect(nudges).toHaveLength(2);
    expect(nudges[0]).toContain('cordon of gpu-node-2 approved 10 min ago');
    expect(nudges[0]).not.toContain('gpu-node-4');
    expect(nudges[1]).toContain('cordon of gpu-node-4 approved 10 min ago');
    expect(nudges[1]).not.toContain('gpu-node-2');
    await h.close();
  });
});

describe('snoozing', () => {
  it('moves the update reminder, says until when, and takes the buttons off the reminder', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV2');
    expect(await at(h, 30)).toBe(1);
    const [reminder] = await updateReminders(h, incident);
    const snooze = reminder!.message.buttons!.find((b) => b.label === 'Snooze 1 h')!;
    expect(snooze.id.length).toBeLessThan(60);
    const reply = await h.click(incident.channelId!, reminder!.id, snooze.id, bob);
    expect(reply?.visibility).toBe('ephemeral');
    expect(reply?.message.text).toBe('Snoozed the update reminder for INC-1 until 04:30 UTC.');
    expect((await h.store.getTimer(incident.id, 'update'))?.dueAt).toEqual(time(90));
    const after = (await h.messages(incident.channelId!)).find((m) => m.id === reminder!.id)!;
    expect(after.message.text).toBe('😴 Update reminder for INC-1 snoozed by @bob until 04:30 UTC.');
    expect(after.message.buttons).toBeUndefined();
    // Nothing on the timeline.
    expect((await h.store.listTimeline(incident.id)).map((e) => e.text).join('\n')).not.toMatch(/snooze/i);

    expect(await at(h, 60)).toBe(0);
    expect(await at(h, 89)).toBe(0);
    expect(await at(h, 90)).toBe(1);
    await h.close();
  });

  it('takes the snooze buttons off every reminder once the incident is resolved, keeping what a snooze said', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV2');
    expect(await at(h, 30)).toBe(1);
    expect(await at(h, 60)).toBe(1);
    const [first, second] = await updateReminders(h, incident);
    const snooze = first!.message.buttons!.find((b) => b.label === 'Snooze 1 h')!;
    await h.click(incident.channelId!, first!.id, snooze.id, bob);
    await h.incidents.changeStatus(incident, 'resolved', alice);
    await h.app.uow.idle();
    const byId = new Map((await h.messages(incident.channelId!)).map((m) => [m.id, m.message]));
    // The snoozed one was already redrawn: it keeps saying who snoozed it.
    expect(byId.get(first!.id)?.text).toBe('😴 Update reminder for INC-1 snoozed by @bob until 05:00 UTC.');
    expect(byId.get(second!.id)).toMatchObject({
      text: second!.message.text,
      context: ['INC-1 is resolved: its reminders have stopped.'],
    });
    expect(byId.get(second!.id)?.buttons).toBeUndefined();
    // A click on a button of an old copy still says why it does nothing.
    const old = second!.message.buttons!.find((b) => b.label === 'Snooze 1 h')!;
    expect((await h.click(incident.channelId!, second!.id, old.id, bob))?.message.text).toMatch(
      /INC-1 is resolved; its reminders have stopped/,
    );
    await h.close();
  });

  it('snoozes the commander nudge, and refuses once there is a commander', async () => {
    const h = await harness();
    const incident = await h.declare('SEV3');
    expect(await at(h, 5)).toBe(1);
    const [nudge] = await commanderNudges(h, incident);
    const snooze = nudge!.message.buttons!.find((b) => b.label === 'Snooze 15 min')!;
    expect((await h.click(incident.channelId!, nudge!.id, snooze.id, bob))?.message.text).toBe(
      'Snoozed the commander reminder for INC-1 until 03:20 UTC.',
    );
    expect(await at(h, 19)).toBe(0);
    expect(await at(h, 20)).toBe(1);
    // The snoozed nudge now says so; the new one has its buttons.
    const nudges = await commanderNudges(h, incident);
    expect(nudges.map((m) => m.id)).not.toContain(nudge!.id);
    expect(nudges).toHaveLength(1);

    await h.incidents.assignRole(incident, 'commander', alice, alice);
    const again = nudges[0];
    const refused = await h.click(incident.channelId!, again!.id, again!.message.buttons![2]!.id, bob);
    expect(refused?.message.text).toBe('❌ INC-1 has a commander now (Alice); there is nothing to snooze.');
    expect(await h.store.getTimer(incident.id, 'commander')).toBeUndefined();
    await h.close();
  });

  it('snoozes the action nudge: it comes back for the same approval', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV3');
    const action = await h.actions.request(incident, 'cordon', 'gpu-node-2', alice);
    await h.actions.approve(action.id, alice);
    expect(await at(h, 10)).toBe(1);
    const [nudge] = await actionNudges(h, incident);
    await h.click(incident.channelId!, nudge!.id, nudge!.message.buttons![0]!.id, bob);
    expect((await h.store.getTimer(incident.id, 'action'))?.dueAt).toEqual(time(25));
    expect(await at(h, 25)).toBe(1);
    expect((await actionNudges(h, incident)).at(-1)!.message.text).toContain(
      'cordon of gpu-node-2 approved 25 min ago',
    );
    await h.close();
  });

  it('parses only the snoozes it offers', () => {
    const id = '4f0b6a3e-5c1d-4e8f-9a2b-0c3d4e5f6a7b';
    expect(parseButtonId(snoozeButtonId('commander', 240, id))).toEqual({
      kind: 'snooze',
      reminder: 'commander',
      minutes: 240,
      incidentId: id,
    });
    expect(snoozeButtonId('commander', 240, id).length).toBeLessThan(60);
    for (const bad of [`card:snooze-upd-7:${id}`, `card:snooze-xyz-15:${id}`, `card:snooze-upd-15:${id}:x`]) {
      expect(() => parseButtonId(bad)).toThrow(/not one the bot knows/);
    }
  });
});

describe('leases and restarts', () => {
  it('two bot processes on one store post a due reminder once', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV2');
    const other = h.replica('replica-2');
    h.clock.set(time(30));
    const counts = await Promise.all([
      h.reminders.sweep(),
      other.sweep(),
      h.reminders.sweep(),
      other.sweep(),
    ]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await updateReminders(h, incident)).toHaveLength(1);
    await h.close();
  });

  it('a reminder held by a process that died fires once its lease runs out', async () => {
    const h = await harness({ reminders: { commanderAfterMinutes: null } });
    const incident = await h.declare('SEV2');
    h.clock.set(time(30));
    expect(await h.store.claimDueTimers(h.clock.now(), 'crashed', 60_000)).toHaveLength(1);
    expect(await h.reminders.sweep()).toBe(0);
    expect(await at(h, 30.9)).toBe(0);
    expect(await at(h, 31)).toBe(1);
    expect(await updateReminders(h, incident)).toHaveLength(1);
    await h.close();
  });

  it('survives a restart: a new process on the same database posts the due reminder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'incident-bot-reminders-'));
    dirs.push(dir);
    const database = join(dir, 'bot.db');
    const before = await harness({ database, reminders: { commanderAfterMinutes: null } });
    const incident = await before.declare('SEV2');
    await before.close();

    const after = await harness({ database, reminders: { commanderAfterMinutes: null } });
    expect(await at(after, 29)).toBe(0);
    expect(await at(after, 30)).toBe(1);
    const [reminder] = await updateReminders(after, incident);
    expect(reminder!.message.text).toContain('⏰ INC-1 needs a status update');
    await after.close();
  });

  it('reconcile() gives open incidents declared before reminders an update timer; the sweep then posts', async () => {
    const h = await harness({ reminders: { enabled: false } });
    const incident = await h.declare('SEV2');
    const quiet = await h.declare('SEV4', 'Minor');
    expect(await h.store.getTimer(incident.id, 'update')).toBeUndefined();
    h.clock.set(time(45));
    const service = new ReminderService(
      h.store,
      h.clock,
      pino({ level: 'silent' }),
      { uow: h.app.uow, directory: h.app.directory },
      {
        ...DEFAULT_REMINDERS,
        sweepSeconds: 1,
      },
    );
    expect(await service.reconcile()).toBe(1);
    await service.sweep();
    expect(await updateReminders(h, incident)).toHaveLength(1);
    expect((await h.store.getTimer(incident.id, 'update'))?.dueAt).toEqual(time(75));
    expect(await h.store.getTimer(quiet.id, 'update')).toBeUndefined();
    // Declared before: no commander nudge is invented for it.
    expect(await h.store.getTimer(incident.id, 'commander')).toBeUndefined();
    await h.close();
  });

  it('does nothing when turned off', async () => {
    const h = await harness({ reminders: { enabled: false } });
    const incident = await h.declare('SEV1');
    expect(await h.store.getTimer(incident.id, 'update')).toBeUndefined();
    expect(await h.store.getTimer(incident.id, 'commander')).toBeUndefined();
    expect(await h.reminders.reconcile()).toBe(0);
    h.clock.advance(3 * 3_600_000);
    await h.reminders.sweep();
    expect(await posts(h, incident, '⏰')).toHaveLength(0);
    await h.close();
  });
});

describe('reminders configuration', () => {
  it('defaults to SEV1 15, SEV2 30, SEV3 60 minutes, SEV4 none, commander 5, action 10', () => {
    expect(parseFileConfig('', 'bot.yml').reminders).toEqual({
      enabled: true,
      update: { SEV1: 15, SEV2: 30, SEV3: 60, SEV4: null },
      commanderAfterMinutes: 5,
      actionNudgeAfterMinutes: 10,
      sweepSeconds: 15,
    });
  });

  it('takes partial settings, fractions for drills and null for none', () => {
    const r = parseFileConfig(
      'reminders:\n  update: { SEV2: 0.05, SEV4: 240 }\n  commanderAfterMinutes: null\n',
      'bot.yml',
    ).reminders;
    expect(r.update).toEqual({ SEV1: 15, SEV2: 0.05, SEV3: 60, SEV4: 240 });
    expect(r.commanderAfterMinutes).toBeNull();
    expect(r.actionNudgeAfterMinutes).toBe(10);
  });

  it('names a typo and a bad value with their lines', () => {
    let problems: readonly string[] = [];
    try {
      parseFileConfig('reminders:\n  update:\n    SEV5: 10\n  commanderAfterMinutes: 0\n', 'bot.yml');
    } catch (err) {
      problems = (err as { problems: readonly string[] }).problems;
    }
    expect(problems).toEqual([
      'bot.yml:3: reminders.update.SEV5: unknown key (check the spelling)',
      'bot.yml:4: reminders.commanderAfterMinutes: must be at least 0.05 (three seconds), or null for none',
    ]);
  });
});
