import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../alerts/fixtures.ts';
import { type BotProcess, startBotProcess } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';
import { waitFor } from '../helpers/wait.ts';
import { admin, freshSchema, pgSuite, urlWithSchema } from '../store/postgres-db.ts';

const pgDescribe = await pgSuite(describe, 'the PostgreSQL end-to-end tests');

const count = async (schema: string, query: string): Promise<number> =>
  Number((await admin<{ n: string }>(`select count(*) as n from "${schema}".${query}`))[0]?.n);

/**
 * The real bot process on PostgreSQL (DATABASE_URL=postgres://…, its own schema through the URL's
 * search_path option): the sandbox lifecycle, and two replicas sharing one database.
 */
pgDescribe('the bot on PostgreSQL', () => {
  describe('one process', () => {
    let schema: string;
    let drop: () => Promise<void>;
    let bot: BotProcess | undefined;

    beforeAll(async () => {
      ({ schema, drop } = await freshSchema());
    });
    afterAll(async () => {
      await bot?.stop();
      await drop?.();
    });

    it('declares and resolves an incident through the sandbox, and keeps it across a restart', async () => {
      const env = { DATABASE_URL: urlWithSchema(schema) };
      bot = await startBotProcess(env);
      // The ready line names the server, never the URL (which could carry a password).
      const ready = bot.output.find((l) => l.includes('"database"'))!;
      expect(JSON.parse(ready).database).toEqual({
        engine: 'postgres',
        server: expect.stringMatching(/:\d+\//),
      });

      const alice = new SandboxClient(bot.url, 'alice');
      const general = (await alice.channel('general')).id;
      const declared = await alice.send(
        general,
        '/incident declare "GPU node 5 fell off the bus" --severity sev2',
      );
      expect(replyText(declared)).toContain('INC-1 declared (SEV2): GPU node 5 fell off the bus');
      const channel = await alice.channel('inc-1-gpu-node-5-fell-off-the-bus');
      expect((await alice.messages(channel.id)).some((m) => m.message.header?.startsWith('🟠 INC-1'))).toBe(
        true,
      );

      await alice.send(channel.id, 'dmesg shows Xid 79 on GPU 3');
      expect(replyText(await alice.send(channel.id, '/incident resolve'))).toMatch(/resolved/i);
      const { incident, timeline } = await alice.incident(1);
      expect(incident.status).toBe('resolved');
      expect(incident.resolvedAt).not.toBeNull();
      expect(timeline.map((e: any) => e.kind)).toEqual(
        expect.arrayContaining(['declared', 'message', 'status']),
      );
      // Written to the schema the URL named.
      expect(await count(schema, "incidents where status = 'resolved'")).toBe(1);
      expect(await count(schema, "sandbox_channels where name like 'inc-1-%'")).toBe(1);

      expect(await bot.stop()).toBe(0);
      bot = await startBotProcess(env);
      const again = new SandboxClient(bot.url, 'alice');
      expect((await again.incident(1)).incident.status).toBe('resolved');
      const second = await again.send((await again.channel('general')).id, '/incident declare Second one');
      expect(replyText(second)).toContain('INC-2 declared');
    });
  });

  describe('two processes on one schema', () => {
    let schema: string;
    let drop: () => Promise<void>;
    const bots: BotProcess[] = [];

    beforeAll(async () => {
      ({ schema, drop } = await freshSchema());
      const env = { DATABASE_URL: urlWithSchema(schema) };
      // One after the other: the sandbox seeds its default channels on start.
      bots.push(await startBotProcess(env));
      bots.push(await startBotProcess(env));
    });
    afterAll(async () => {
      for (const bot of bots) await bot.stop();
      await drop?.();
    });

    it('open exactly one incident when both receive the same Alertmanager notification', async () => {
      const body = JSON.stringify(fixture('alertmanager-firing'));
      // Loopback callers need no token. Both at once, as two replicas behind a load balancer
      // would get Alertmanager's notification and its resend.
      const responses = await Promise.all(
        bots.map((bot) =>
          fetch(`${bot.url}/webhooks/alertmanager`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual([200, 200]);

      const alice = new SandboxClient(bots[0]!.url, 'alice');
      const incident = await waitFor(async () => (await alice.incident(1)).incident, 'INC-1', 15_000);
      expect(incident.title).toContain('Xid 79 on gpu-node-5');
      // Both processors are done once no alert is pending any more.
      await waitFor(
        async () => (await count(schema, 'alerts where pending = 1')) === 0,
        'alerts carried',
        15_000,
      );
      // Give a losing replica time to have tried, then check nothing else appeared.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await count(schema, 'incidents')).toBe(1);
      expect(await count(schema, 'alert_groups')).toBe(1);
      expect(await count(schema, "sandbox_channels where name like 'inc-%'")).toBe(1);
      const alerts = await admin<{ received_count: number; incident_id: string }>(
        `select received_count, incident_id from "${schema}".alerts`,
      );
      expect(alerts).toEqual([{ received_count: 2, incident_id: incident.id }]);
      // A replica that lost the race had its incident rolled back by the store, and says so; no
      // other error is acceptable.
      const errors = bots.flatMap((b) => b.output.filter((l) => l.includes('"level":50')));
      for (const line of errors) expect(line).toContain('The alert group already feeds INC-1');
      for (const bot of bots) {
        const list = (await new SandboxClient(bot.url, 'alice').request('GET', '/api/incidents')).body
          .incidents;
        expect(list.map((i: any) => i.number)).toEqual([1]);
      }
    });
  });
});
