import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';

/**
 * The whole incident lifecycle through the sandbox's JSON API, against the real composition root
 * in its own process, then a `kill -9` and a restart on the same SQLite file. One bot process for
 * the file; each test declares the incident it works on.
 */
describe('incident lifecycle in the sandbox', () => {
  const tmp = tempDir();
  const env = { DATABASE_URL: `sqlite:${tmp.dir}/bot.db` };
  let bot: BotProcess;
  let alice: SandboxClient;
  let bob: SandboxClient;
  let general: string;

  beforeAll(async () => {
    bot = await startBotProcess(env);
    alice = new SandboxClient(bot.url, 'alice');
    bob = alice.as('bob');
    general = (await alice.channel('general')).id;
  });

  afterAll(async () => {
    await bot?.stop();
    tmp.remove();
  });

  it('answers /healthz once the store is reachable', async () => {
    const r = await fetch(`${bot.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('declares an incident: channel, card, announcement', async () => {
    const { number, channel, reply } = await alice.declare('"GPU node 5 fell off the bus" --severity sev2');
    expect(reply.reply.visibility).toBe('channel');
    expect(replyText(reply)).toContain(`INC-${number} declared (SEV2): GPU node 5 fell off the bus`);
    expect(channel.name).toBe(`inc-${number}-gpu-node-5-fell-off-the-bus`);
    expect(channel.members).toContain('alice');
    expect(channel.topic).toContain('SEV2');

    const messages = await alice.messages(channel.id);
    const card = messages.find((m) => m.message.header?.startsWith(`🟠 INC-${number}`));
    expect(card).toBeDefined();
    expect(card.message.buttons.map((b: any) => b.label)).toEqual([
      'Take command',
      'Investigating',
      'Mark mitigated',
      'Raise to SEV1',
      'Lower to SEV3',
      'Resolve',
    ]);

    const announce = await alice.messages((await alice.channel('incidents')).id);
    expect(announce.map((m) => m.message.text).join('\n')).toMatch(
      new RegExp(`INC-${number} declared.*SEV2`),
    );
  });

  it('records human messages, edits, deletions and 📌 on the timeline', async () => {
    const { number, channel } = await alice.declare('"Xid 79 on gpu-node-5"');
    const incChannel = channel.id;
    const sent = await bob.send(incChannel, 'dmesg shows Xid 79 on GPU 3');
    const typo = (await bob.send(incChannel, 'typo message')).message;

    let r = await bob.request('POST', `/sandbox/api/messages/${typo.id}/edit`, {
      user: 'bob',
      text: 'corrected message',
    });
    expect(r.status).toBe(200);
    const pin = { user: 'alice', emoji: '📌', on: true };
    r = await bob.request('POST', `/sandbox/api/messages/${sent.message.id}/react`, pin);
    expect(r.body).toEqual({ on: true, changed: true });
    // A retried request states the same wish and changes nothing.
    r = await bob.request('POST', `/sandbox/api/messages/${sent.message.id}/react`, pin);
    expect(r.body).toEqual({ on: true, changed: false });
    const deletable = (await bob.send(incChannel, 'wrong channel, sorry')).message.id;
    r = await bob.request('POST', `/sandbox/api/messages/${deletable}/delete`, { user: 'bob' });
    expect(r.status).toBe(200);

    // Only the author may edit.
    r = await alice.request('POST', `/sandbox/api/messages/${sent.message.id}/edit`, {
      user: 'alice',
      text: 'x',
    });
    expect(r.status).toBe(403);

    const { timeline } = await alice.incident(number);
    const human = timeline.filter((e: any) => e.kind === 'message');
    expect(human.map((e: any) => [e.actorId, e.text, e.key, !!e.editedAt, !!e.deletedAt])).toEqual([
      ['bob', 'dmesg shows Xid 79 on GPU 3', true, false, false],
      ['bob', 'corrected message', false, true, false],
      ['bob', '', false, false, true],
    ]);
  });

  it('changes severity, status and roles, and posts an update', async () => {
    const { number, channel } = await alice.declare('"Inference pool degraded" --severity sev2');
    const incChannel = channel.id;
    const ref = `INC-${number}`;
    expect(replyText(await alice.send(incChannel, '/incident severity SEV1'))).toContain(
      `${ref} is now SEV1`,
    );
    expect(replyText(await alice.send(incChannel, '/incident status investigating'))).toContain(
      'investigating',
    );
    expect(replyText(await alice.send(incChannel, '/incident assign commander @bob'))).toContain(
      '@bob is now commander',
    );
    expect(replyText(await bob.send(incChannel, '/incident assign comms me'))).toContain(
      'communications lead',
    );
    expect(
      replyText(await bob.send(incChannel, '/incident update Drained gpu-node-5; jobs rescheduled.')),
    ).toContain('Update posted');
    await bob.send(incChannel, '/incident note Vendor ticket 4411 opened');

    const { incident, roles, timeline } = await alice.incident(number);
    expect(incident.severity).toBe('SEV1');
    expect(incident.status).toBe('investigating');
    expect(incident.acknowledgedAt).not.toBeNull();
    expect(roles.map((r: any) => [r.role, r.userId])).toEqual(
      expect.arrayContaining([
        ['commander', 'bob'],
        ['communications', 'bob'],
      ]),
    );
    expect(timeline.map((e: any) => e.kind)).toEqual(
      expect.arrayContaining(['declared', 'severity', 'status', 'role', 'update', 'note']),
    );

    const card = (await alice.messages(incChannel)).find((m) => m.message.header?.startsWith(`🔴 ${ref}`));
    const fields = Object.fromEntries(card.message.fields.map((f: any) => [f.label, f.value]));
    expect(fields.Commander).toBe('@bob');
    expect(fields.Status).toContain('investigating');
    expect(card.message.sections.join('\n')).toContain('Drained gpu-node-5');
    expect((await alice.channel(channel.name)).topic).toContain('IC: Bob');
  });

  it('answers bad input with one clear line and writes nothing', async () => {
    const { number, channel } = await alice.declare('"Bad input drill"');
    const incChannel = channel.id;
    await alice.send(incChannel, '/incident status investigating');
    const before = (await alice.incident(number)).timeline.length;
    const cases: [string, RegExp][] = [
      ['/incident frobnicate', /Unknown command "\/incident frobnicate"/],
      ['/incident severity SEV9', /severity: must be one of SEV1, SEV2, SEV3, SEV4/],
      ['/incident status declared', /cannot go from investigating to declared/],
      ['/incident declare --severity SEV2', /<title> is required/],
      ['/incident declare "unterminated', /never closed/],
      ['/incident update', /<text> is required/],
      ['/incident assign commander @nobody', /No one called "@nobody"/],
      ['/incident timeline --bogus', /Unknown option --bogus/],
      ['/pager help', /There is no \/pager command/],
    ];
    for (const [command, expected] of cases) {
      const reply = await alice.send(incChannel, command);
      expect(reply.reply.visibility, command).toBe('ephemeral');
      expect(replyText(reply), command).toMatch(expected);
      expect(replyText(reply), command).not.toMatch(/at .*\.ts:\d+/);
    }
    // A quoted subcommand is the subcommand, not part of the options.
    expect(replyText(await alice.send(incChannel, '/incident "timeline" --key'))).toContain(
      `Timeline of INC-${number} (key events)`,
    );
    // Outside an incident channel, incident commands say where to run them.
    expect(replyText(await alice.send(general, '/incident status'))).toMatch(
      /needs an incident.*--incident/s,
    );
    expect((await alice.incident(number)).timeline.length).toBe(before);
  });

  it('keeps the lifecycle in order and lets only the commander close', async () => {
    const { number, channel } = await alice.declare('"Lifecycle in order"');
    const incChannel = channel.id;
    const ref = `INC-${number}`;
    await alice.send(incChannel, '/incident status investigating');
    await alice.send(incChannel, '/incident assign commander @bob');
    expect(replyText(await bob.send(incChannel, '/incident close'))).toMatch(
      /cannot go from investigating to closed/,
    );
    await alice.send(incChannel, '/incident mitigated');
    await alice.send(incChannel, '/incident resolve');
    expect(replyText(await alice.send(incChannel, '/incident close'))).toMatch(
      new RegExp(`Only the commander of ${ref} \\(Bob`),
    );
    expect(replyText(await bob.send(incChannel, '/incident close'))).toContain(`${ref} closed`);
    const notices = (await bob.messages(incChannel)).filter((m) => !m.visibleTo).map((m) => m.message.text);
    expect(notices.at(-1)).toBe(`📁 ${ref} closed by @bob. This channel is now archived.`);
    const { incident } = await alice.incident(number);
    expect(incident.status).toBe('closed');
    expect(incident.mitigatedAt).not.toBeNull();
    expect(incident.resolvedAt).not.toBeNull();
    expect((await alice.channels()).find((c) => c.id === incChannel).archived).toBe(true);
  });

  it('drops a redelivered event: the same event id acts once', async () => {
    const eventId = 'retry-0000-1111';
    await alice.send(general, '/incident declare Duplicate delivery check', eventId);
    await alice.send(general, '/incident declare Duplicate delivery check', eventId);
    const list = (await alice.request('GET', '/api/incidents')).body.incidents;
    expect(list.filter((i: any) => i.title === 'Duplicate delivery check')).toHaveLength(1);
  });

  it('loses nothing that was acknowledged across kill -9 and a restart', async () => {
    const { number, channel } = await alice.declare('"Before the crash" --severity sev2');
    await bob.send(channel.id, 'rebooting gpu-node-5');
    await alice.send(channel.id, '/incident status investigating');
    const before = await alice.incident(number);
    // Ephemeral replies live in memory, as on real platforms; everything else must survive.
    const persisted = (ms: any[]) => ms.filter((m) => !m.visibleTo);
    const beforeMessages = persisted(await alice.messages(channel.id));
    const last = await alice.declare('"Written just before the crash" --severity SEV3');
    await bot.kill();

    bot = await startBotProcess(env);
    alice = new SandboxClient(bot.url, 'alice');
    bob = alice.as('bob');
    const after = await alice.incident(number);
    expect(after).toEqual(before);
    expect(persisted(await alice.messages(channel.id))).toEqual(beforeMessages);
    const titles = (await alice.request('GET', '/api/incidents')).body.incidents.map((i: any) => i.title);
    expect(titles).toContain('Written just before the crash');
    // The restarted bot keeps numbering where it left off.
    expect((await alice.declare('"After the restart"')).number).toBe(last.number + 1);
  });
});
