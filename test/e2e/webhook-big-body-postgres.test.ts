import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigBody } from '../../bench/webhook-big-body.ts';
import { type BotProcess, startBotProcess } from '../helpers/bot-process.ts';
import { admin, freshSchema, pgSuite, urlWithSchema } from '../store/postgres-db.ts';

const pgDescribe = await pgSuite(describe, 'the big-webhook-body test on PostgreSQL');

/**
 * The sliced receive path on PostgreSQL, through the real bot process: one body written in
 * slices of 1,000 within one transaction, an alert sent twice in it (in different slices) stored
 * once with both deliveries counted and the later status, and a refused body storing nothing.
 */
pgDescribe('a big webhook body on PostgreSQL', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    ({ schema, drop } = await freshSchema());
    bot = await startBotProcess({ DATABASE_URL: urlWithSchema(schema) });
  });
  afterAll(async () => {
    await bot?.stop();
    await drop?.();
  });

  const post = (body: unknown) =>
    fetch(`${bot!.url}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const stored = async (group: string) =>
    admin<{ status: string; received_count: number; node: string }>(
      `select status, received_count, nodes::text as node from "${schema}".alerts where group_key = $1`,
      [`generic:${group}`],
    );

  it('stores 5,000 alerts sent in one body, one of them twice', async () => {
    const payload = JSON.parse(bigBody(5_000, 'pg-big'));
    payload.alerts[4_999] = { ...payload.alerts[0], status: 'resolved' };
    const res = await post(payload);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).alerts).toBe(5_000);
    const rows = await stored('pg-big');
    expect(rows).toHaveLength(4_999);
    const twice = rows.filter((r) => r.received_count === 2);
    expect(twice).toEqual([{ status: 'resolved', received_count: 2, node: '["gpu-0"]' }]);
  });

  it('stores nothing of a big body with one bad alert', async () => {
    const payload = JSON.parse(bigBody(5_000, 'pg-bad'));
    payload.alerts[4_500].status = 'burning';
    const res = await post(payload);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/^alerts\[4500\]\.status: /);
    expect(await stored('pg-bad')).toEqual([]);
  });
});
