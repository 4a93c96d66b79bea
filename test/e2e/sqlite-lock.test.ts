import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess, tempDir } from '../helpers/bot-process.ts';
import { replyText, SandboxClient } from '../helpers/sandbox-client.ts';

/**
 * Two processes on one SQLite file each believed they were the only one: the second one's
 * start-up recovery marked the first's running drain "outcome unknown". The second is refused now.
 */
describe('one bot process per SQLite file', () => {
  const tmp = tempDir();
  let first: BotProcess;

  beforeAll(async () => {
    first = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
  });

  afterAll(async () => {
    await first?.stop();
    tmp.remove();
  });

  it('refuses a second process at start-up with what to do, and leaves the first alone', async () => {
    const alice = new SandboxClient(first.url, 'alice');
    const general = (await alice.channel('general')).id;
    const count = async () => (await alice.request('GET', '/api/incidents')).body.incidents.length;
    const before = await count();
    await alice.send(general, '/incident declare Before the second start --severity SEV3');

    const err = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const output = (err as Error).message;
    expect(output).toMatch(/^bot exited with 1 before it was ready/);
    expect(output).toContain(
      `incident-bot: Another process is using the SQLite database at ${tmp.dir}/bot.db: is another incident-bot running on it?`,
    );
    expect(output).toContain('Several bots on one database need PostgreSQL');
    expect(output).not.toMatch(/\n\s+at /); // no stack trace

    expect(replyText(await alice.send(general, '/incident list'))).toContain('Before the second start');
    await alice.send(general, '/incident declare After the second start --severity SEV3');
    expect(await count()).toBe(before + 2);
  });

  it('a killed process leaves nothing behind: the next one starts on the same file', async () => {
    const titles = async (client: SandboxClient) =>
      (await client.request('GET', '/api/incidents')).body.incidents.map((i: any) => i.title);
    const alice = new SandboxClient(first.url, 'alice');
    await alice.send(
      (await alice.channel('general')).id,
      '/incident declare Before the kill --severity SEV3',
    );
    const before = await titles(alice);
    expect(before).toContain('Before the kill');
    await first.kill();
    first = await startBotProcess({ DATABASE_URL: `sqlite:${tmp.dir}/bot.db` });
    expect(await titles(new SandboxClient(first.url, 'alice'))).toEqual(before);
  });
});
