import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the tests use: TEST_DATABASE_URL, or the local default CI also provides.
 * Every test run works in schemas of its own (`t_<random>`), dropped afterwards.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** host:port/database, never the password. */
export function testServer(): string {
  const u = new URL(TEST_DATABASE_URL);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

/** Undefined when the server answers, else why not. */
export async function postgresUnreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message || err.name : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `describe` when PostgreSQL answers. When it does not: in CI (`CI` set) a thrown error, so the
 * file fails with the reason; elsewhere `describe.skip`, with the reason in the suite's name.
 */
export async function pgSuite<D extends { skip: unknown }>(describe: D, what: string): Promise<D> {
  const reason = await postgresUnreachable();
  if (reason === undefined) return describe;
  const message = `PostgreSQL at ${testServer()} is unreachable (${reason}); ${what} need it.`;
  if (process.env.CI) {
    throw new Error(`${message} CI must provide it: start PostgreSQL or set TEST_DATABASE_URL.`);
  }
  console.warn(`Skipping: ${message} Set TEST_DATABASE_URL or start PostgreSQL to run them.`);
  return describe.skip as D;
}

/** A fresh, empty schema; `drop` removes it with everything in it. */
export async function freshSchema(): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await admin(`create schema "${schema}"`);
  return {
    schema,
    drop: async () => {
      await admin(`drop schema if exists "${schema}" cascade`);
    },
  };
}

/** TEST_DATABASE_URL with the connections' search_path set to `schema`. */
export function urlWithSchema(schema: string): string {
  const u = new URL(TEST_DATABASE_URL);
  const given = u.searchParams.get('options');
  u.searchParams.set('options', `${given ? `${given} ` : ''}-c search_path=${schema}`);
  return u.toString();
}

/** One statement on its own connection. */
export async function admin<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
