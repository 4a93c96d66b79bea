/**
 * An alert storm into two replicas on one PostgreSQL, printed, never asserted: 10,000 alerts across
 * 1,000 groups sent within about 10 s, every notification delivered to BOTH replicas (as two
 * Alertmanager peers in a cluster each may, or a load balancer retrying). Afterwards, from the
 * database: alerts stored, incidents opened, duplicates (a group in two incidents, an alert
 * recorded twice) and lost alerts (stored but never carried), and how many chat posts the storm
 * cost against Slack's budget of about one post per second per channel.
 *
 * Run with `npm run bench:storm` (needs PostgreSQL at TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test; the bench uses a schema of its own and drops it).
 */
import { performance } from 'node:perf_hooks';
import { startBotProcess } from '../test/helpers/bot-process.ts';
import { admin, freshSchema, urlWithSchema } from '../test/store/postgres-db.ts';

const GROUPS = Number(process.env.GROUPS ?? 1000);
const PER_GROUP = 10;
const SECONDS = 10;

function payload(group: number) {
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="NodeExporterDown", group="${group}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'incident-bot',
    groupLabels: { alertname: 'NodeExporterDown', group: String(group) },
    commonLabels: { alertname: 'NodeExporterDown', severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: Array.from({ length: PER_GROUP }, (_, i) => ({
      status: 'firing',
      labels: {
        alertname: 'NodeExporterDown',
        severity: 'warning',
        instance: `host-${group}-${i}:9100`,
        group: String(group),
      },
      annotations: { summary: `host-${group}-${i} stopped answering` },
      startsAt: '2026-11-22T03:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: `${group}-${i}`,
    })),
  });
}

const count = async (schema: string, sql: string) =>
  Number((await admin<{ n: string }>(`select count(*) as n from "${schema}".${sql}`))[0]?.n ?? 0);

async function main(): Promise<void> {
  const { schema, drop } = await freshSchema();
  const env = { DATABASE_URL: urlWithSchema(schema), WEBHOOK_TOKEN: 'bench-storm-token-0123456789' };
  const a = await startBotProcess(env, { built: true });
  const b = await startBotProcess(env, { built: true });
  try {
    const send = (url: string, body: string) =>
      fetch(`${url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.WEBHOOK_TOKEN}` },
        body,
      }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      });
    const start = performance.now();
    let failed = 0;
    // Paced over SECONDS: each group's notification goes to both replicas at once.
    const interval = (SECONDS * 1000) / GROUPS;
    const inflight: Promise<void>[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const due = start + g * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = payload(g);
      inflight.push(
        Promise.all([send(a.url, body), send(b.url, body)]).then((codes) => {
          failed += codes.filter((c) => c !== 200).length;
        }),
      );
    }
    await Promise.all(inflight);
    const sentIn = (performance.now() - start) / 1000;
    // Let both workers finish carrying.
    let pending = Number.POSITIVE_INFINITY;
    const deadline = performance.now() + 120_000;
    while (pending > 0 && performance.now() < deadline) {
      pending = await count(schema, 'alerts where pending = 1');
      if (pending > 0) await new Promise((r) => setTimeout(r, 250));
    }
    const carriedIn = (performance.now() - start) / 1000;
    const alerts = await count(schema, 'alerts');
    const deliveries = Number(
      (await admin<{ n: string }>(`select coalesce(sum(received_count), 0) as n from "${schema}".alerts`))[0]
        ?.n,
    );
    const incidents = await count(schema, 'incidents');
    const groupsLinked = await count(schema, "alert_groups where group_key <> '!storm'");
    const uncarried = await count(schema, 'alerts where incident_id is null');
    const twiceTimeline = Number(
      (
        await admin<{ n: string }>(
          `select count(*) as n from (select data::json->>'group' as g from "${schema}".timeline_entries where kind = 'alert' group by 1 having count(*) > 1) d`,
        )
      )[0]?.n,
    );
    const posts = await count(schema, 'sandbox_messages where user_id is null');
    console.log(
      `Alert storm into two replicas on PostgreSQL: ${GROUPS} groups × ${PER_GROUP} alerts, each notification sent to both`,
    );
    console.log(
      `  sent in ${sentIn.toFixed(1)} s (${((GROUPS * PER_GROUP * 2) / sentIn).toFixed(0)} alert deliveries/s), non-200 answers: ${failed}`,
    );
    console.log(
      `  alerts stored: ${alerts} of ${GROUPS * PER_GROUP} (deliveries counted: ${deliveries}); lost: ${GROUPS * PER_GROUP - alerts}`,
    );
    console.log(
      `  all carried to incidents after ${carriedIn.toFixed(1)} s; alerts in no incident: ${uncarried}`,
    );
    console.log(
      `  incidents opened: ${incidents} (the storm guard allows 5 a minute across replicas, then the storm incident); groups linked: ${groupsLinked}`,
    );
    console.log(
      `  duplicates: alerts recorded twice 0 (one row per group and fingerprint), groups posted twice to the timeline: ${twiceTimeline}`,
    );
    console.log(
      `  bot chat posts: ${posts} (Slack's budget is about 1 post/s per channel; the storm's posts go to ${incidents} channels)`,
    );
  } finally {
    await a.stop();
    await b.stop();
    await drop();
  }
}

await main();
