/**
 * An alert storm into two replicas on one PostgreSQL, with Slack as the chat platform, printed,
 * never asserted: 10,000 alerts across 1,000 groups sent within about 10 s, every notification
 * delivered to BOTH replicas (as two Alertmanager peers in a cluster each may, or a load balancer
 * retrying). Both replicas run the real Slack adapter (Bolt in Socket Mode, `alerts.platform:
 * slack`) against the in-repo fake Slack Web API, each through a tap that tells their calls apart.
 *
 * Printed afterwards:
 * - from the database: alerts stored, incidents opened, duplicates (an alert recorded twice, a
 *   group on the timeline twice), lost alerts (a replica answered 200 but they were not stored)
 *   and alerts stored but never carried to an incident;
 * - from the fake Slack: the alerts its messages announce (an alert in two messages is posted
 *   twice; fewer than were sent is lost on the way to Slack), the Web API calls per method and per
 *   replica against Slack's documented rate limits, and chat.postMessage per channel against
 *   Slack's one message a second per channel.
 *
 * The fake answers 429 only when a test injects it (failNext); it does not enforce Slack's tiers,
 * so the budget here is computed from Slack's documented limits (docs.slack.dev, "Rate limits"
 * and each method's page), not from the bot's own pacing table.
 *
 * Run with `npm run bench:storm` (needs PostgreSQL at TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test; the bench uses a schema of its own and drops it).
 * GROUPS (1000) and SLACK_LATENCY_MS (50, added by the fake to every Web API call) change the run;
 * STORM_TRACE=1 also prints every Web API call of the storm with its time and replica.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type CallRecord, startFakeSlack, textIn } from '../test/fakes/slack/index.ts';
import { type BotProcess, startBotProcess, tempDir } from '../test/helpers/bot-process.ts';
import { admin, freshSchema, urlWithSchema } from '../test/store/postgres-db.ts';
import { type SlackTap, startSlackTap } from './slack-tap.ts';

const GROUPS = Number(process.env.GROUPS ?? 1000);
const PER_GROUP = 10;
const SECONDS = 10;
const LATENCY_MS = Number(process.env.SLACK_LATENCY_MS ?? 50);
/** The storm's Slack traffic is over once the fake has seen no call for this long. */
const QUIET_MS = 5_000;

/**
 * Slack's documented limits per method and app per workspace, calls a minute ("Tier 2: 20+ per
 * minute", bursts tolerated). chat.postMessage is "special": about one message a second per
 * channel (checked per channel below) and several hundred a minute per workspace.
 */
const SLACK_PER_MINUTE: Readonly<Record<string, { tier: string; perMinute: number }>> = {
  'apps.connections.open': { tier: 'Tier 1', perMinute: 1 },
  'auth.test': { tier: 'special', perMinute: 100 },
  'conversations.create': { tier: 'Tier 2', perMinute: 20 },
  'conversations.setTopic': { tier: 'Tier 2', perMinute: 20 },
  'conversations.rename': { tier: 'Tier 2', perMinute: 20 },
  'conversations.archive': { tier: 'Tier 2', perMinute: 20 },
  'conversations.list': { tier: 'Tier 2', perMinute: 20 },
  'conversations.invite': { tier: 'Tier 3', perMinute: 50 },
  'conversations.info': { tier: 'Tier 3', perMinute: 50 },
  'conversations.join': { tier: 'Tier 3', perMinute: 50 },
  'chat.update': { tier: 'Tier 3', perMinute: 50 },
  'chat.postEphemeral': { tier: 'Tier 4', perMinute: 100 },
  'chat.getPermalink': { tier: 'special', perMinute: 100 },
  'users.info': { tier: 'Tier 4', perMinute: 100 },
  'users.list': { tier: 'Tier 2', perMinute: 20 },
  'usergroups.list': { tier: 'Tier 2', perMinute: 20 },
  'usergroups.users.list': { tier: 'Tier 2', perMinute: 20 },
  'views.open': { tier: 'Tier 4', perMinute: 100 },
  'views.update': { tier: 'Tier 4', perMinute: 100 },
  'files.getUploadURLExternal': { tier: 'Tier 4', perMinute: 100 },
  'files.completeUploadExternal': { tier: 'Tier 4', perMinute: 100 },
  'reactions.add': { tier: 'Tier 3', perMinute: 50 },
  'pins.add': { tier: 'Tier 2', perMinute: 20 },
};
const POSTS_PER_SECOND_PER_CHANNEL = 1;

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

const number = async (schema: string, sql: string) =>
  Number((await admin<{ n: string }>(sql.replaceAll('$s', `"${schema}"`)))[0]?.n ?? 0);
const count = (schema: string, from: string) => number(schema, `select count(*) as n from $s.${from}`);

/** The most timestamps (ms, sorted) inside any window of `windowMs`. */
function peak(sorted: readonly number[], windowMs: number): number {
  let best = 0;
  let i = 0;
  for (let j = 0; j < sorted.length; j++) {
    while (sorted[j]! - sorted[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const padEnd = (s: string | number, n: number) => String(s).padEnd(n);

/** Warnings and errors a replica logged, by message. */
function problems(bot: BotProcess): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of bot.output) {
    let key: string | undefined;
    try {
      const rec = JSON.parse(line) as { level?: number; msg?: string };
      if ((rec.level ?? 0) >= 40) key = rec.msg ?? '?';
    } catch {
      if (line.trim()) key = `(not a log line) ${line.slice(0, 80)}`;
    }
    if (key !== undefined) out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

async function main(): Promise<void> {
  const { schema, drop } = await freshSchema();
  const tmp = tempDir('incident-bot-bench-storm-');
  writeFileSync(`${tmp.dir}/bot.yml`, 'alerts:\n  platform: slack\n');
  const fake = await startFakeSlack({ latencyMs: LATENCY_MS });
  const taps: SlackTap[] = [await startSlackTap(fake.origin), await startSlackTap(fake.origin)];
  const env = (tap: SlackTap) => ({
    DATABASE_URL: urlWithSchema(schema),
    WEBHOOK_TOKEN: 'bench-storm-token-0123456789',
    CONFIG_FILE: `${tmp.dir}/bot.yml`,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_APP_TOKEN: fake.appToken,
    SLACK_API_URL: tap.url,
    SLACK_ANNOUNCE_CHANNEL: '#incidents',
  });
  const bots: BotProcess[] = [];
  try {
    bots.push(await startBotProcess(env(taps[0]!), { built: true }));
    bots.push(await startBotProcess(env(taps[1]!), { built: true }));
    const [a, b] = bots as [BotProcess, BotProcess];
    const connected = performance.now() + 15_000;
    while (fake.socketConnections < 2 && performance.now() < connected) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const token = env(taps[0]!).WEBHOOK_TOKEN;
    const send = (url: string, body: string) =>
      fetch(`${url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      }).then(
        async (r) => {
          const text = await r.text();
          if (r.status !== 200) firstRefusal ??= `HTTP ${r.status} ${text.slice(0, 160)}`;
          return r.status;
        },
        // A dropped connection (a replica gone, a socket reset) counts as a failed delivery.
        (err: unknown) => {
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          firstRefusal ??= `no answer: ${cause?.code ?? ''} ${cause?.message ?? String(err)}`;
          return 0;
        },
      );
    let firstRefusal: string | undefined;
    /** Answers by HTTP status (0: no answer), and the groups at least one replica took (200). */
    const answers = new Map<number, number>();
    const accepted = new Set<number>();
    const loadBefore = loadavg()[0]!;
    const startupCalls = fake.calls().length;
    const startedAt = Date.now();
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
          for (const c of codes) answers.set(c, (answers.get(c) ?? 0) + 1);
          if (codes.includes(200)) accepted.add(g);
        }),
      );
    }
    await Promise.all(inflight);
    const sentIn = (performance.now() - start) / 1000;
    const lastArrivedAt = Date.now();
    // Let both workers finish carrying (the record)…
    let pending = Number.POSITIVE_INFINITY;
    const deadline = performance.now() + 120_000;
    while (pending > 0 && performance.now() < deadline) {
      pending = await count(schema, 'alerts where pending = 1');
      if (pending > 0) await new Promise((r) => setTimeout(r, 250));
    }
    const carriedIn = (performance.now() - start) / 1000;
    // …and their paced Slack calls (the channel) until the fake has been quiet for a while.
    const quietDeadline = performance.now() + 300_000;
    let seen = fake.calls().length;
    let quietSince = performance.now();
    while (performance.now() - quietSince < QUIET_MS && performance.now() < quietDeadline) {
      await new Promise((r) => setTimeout(r, 250));
      const now = fake.calls().length;
      if (now !== seen) {
        seen = now;
        quietSince = performance.now();
      }
    }

    const loadAfter = loadavg()[0]!;

    // ---------------------------------------------------------------- the database
    const alerts = await count(schema, 'alerts');
    // Lost: a group a replica answered 200 for, with fewer alerts stored than it sent. A group
    // both replicas refused is not lost: the sender keeps it and resends (the bench does not).
    const storedByGroup = new Map(
      (
        await admin<{ g: string; n: string }>(
          `select substring(group_key from 'group="([0-9]+)"') as g, count(*) as n from "${schema}".alerts group by 1`,
        )
      ).map((r) => [Number(r.g), Number(r.n)]),
    );
    const lost = [...accepted].reduce((sum, g) => sum + PER_GROUP - (storedByGroup.get(g) ?? 0), 0);
    const refused = (GROUPS - accepted.size) * PER_GROUP;
    const deliveries = await number(schema, 'select coalesce(sum(received_count), 0) as n from $s.alerts');
    const incidents = await count(schema, 'incidents');
    const groupsLinked = await count(schema, "alert_groups where group_key <> '!storm'");
    const uncarried = await count(schema, 'alerts where incident_id is null');
    const recordedTwice = await number(
      schema,
      'select count(*) as n from (select fingerprint from $s.alerts group by fingerprint having count(*) > 1) d',
    );
    const twiceTimeline = await number(
      schema,
      `select count(*) as n from (select data::json->>'group' as g from $s.timeline_entries where kind = 'alert' group by 1 having count(*) > 1) d`,
    );
    const incidentRows = await admin<{ number: number; channel_id: string | null; platform: string }>(
      `select number, channel_id, platform from "${schema}".incidents order by number`,
    );

    // ---------------------------------------------------------------- what Slack shows
    const calls: CallRecord[] = fake.calls().slice(startupCalls);
    const lastCallAt = calls.reduce((m, c) => Math.max(m, c.at), 0);
    const channels = fake.channels();
    const nameOf = (id: string) => {
      const inc = incidentRows.find((r) => r.channel_id === id);
      const name = channels.find((c) => c.id === id)?.name ?? id;
      return inc ? `#${name}` : `#${name} (not an incident)`;
    };
    // An alert message says `🔥 N alerts firing` and lists up to 20 of them by summary.
    let announced = 0;
    let groupsAnnounced = 0;
    let alertMessages = 0;
    let botMessages = 0;
    const listed = new Map<string, number>();
    for (const ch of channels) {
      for (const m of fake.messages(ch.id)) {
        if (!m.byBot) continue;
        botMessages += 1;
        const head = /^🔥 (\d+) alerts? firing/.exec(m.text);
        if (!head) continue;
        alertMessages += 1;
        announced += Number(head[1]);
        const body = `${m.text}\n${textIn(m.blocks)}`;
        groupsAnnounced += Number(/From (\d+) alert groups/.exec(body)?.[1] ?? 1);
        for (const hit of body.matchAll(/host-(\d+-\d+) stopped answering/g)) {
          listed.set(hit[1]!, (listed.get(hit[1]!) ?? 0) + 1);
        }
      }
    }
    // Each listed alert appears in a message's blocks; the same alert in two messages is posted twice.
    const listedTwice = [...listed.values()].filter((n) => n > 1).length;

    console.log(
      `Alert storm into two replicas on PostgreSQL, Slack as the chat platform (real adapter, Socket Mode, fake Slack Web API +${LATENCY_MS} ms a call): ${GROUPS} groups × ${PER_GROUP} alerts, each notification sent to both`,
    );
    console.log(
      `  machine: ${availableParallelism()} cores, 1-minute load average ${loadBefore.toFixed(1)} before the storm, ${loadAfter.toFixed(1)} after (timings are only as steady as that)`,
    );
    console.log(
      `  sent in ${sentIn.toFixed(1)} s (${((GROUPS * PER_GROUP * 2) / sentIn).toFixed(0)} alert deliveries/s), non-200 answers: ${failed}${
        failed
          ? ` (${[...answers]
              .filter(([c]) => c !== 200)
              .map(([c, n]) => `${n}× ${c === 0 ? 'no answer' : c}`)
              .join(', ')}; first: ${firstRefusal}); groups both replicas refused: ${GROUPS - accepted.size}`
          : ''
      }`,
    );
    console.log(
      `  alerts stored: ${alerts} of ${GROUPS * PER_GROUP} (deliveries counted: ${deliveries}); lost (answered 200, not stored): ${lost}; refused by both replicas (the sender resends; not stored yet): ${refused}`,
    );
    console.log(
      `  all carried to incidents (database) after ${carriedIn.toFixed(1)} s, ${(carriedIn - sentIn).toFixed(1)} s after the last one arrived; alerts in no incident: ${uncarried}`,
    );
    console.log(
      `  incidents opened: ${incidents}, on ${[...new Set(incidentRows.map((r) => r.platform))].join(', ')} (the storm guard allows 5 a minute across replicas, then the storm incident); groups linked: ${groupsLinked}`,
    );
    console.log(
      `  duplicates: alerts recorded twice ${recordedTwice}, groups posted twice to the timeline: ${twiceTimeline}`,
    );
    console.log(
      `  Slack messages: ${botMessages} by the bot, ${alertMessages} of them alert messages announcing ${announced} of the ${alerts} stored alerts from ${groupsAnnounced} groups (stored but never announced in Slack: ${Math.max(0, alerts - announced)}, announced more than once: ${Math.max(0, announced - alerts)})`,
    );
    const incidentChannels = channels.filter((c) => /^inc-\d+-/.test(c.name));
    const numbers = incidentChannels.map((c) => c.name.split('-')[1]);
    console.log(
      `    incident channels in Slack: ${incidentChannels.length} for ${incidentRows.filter((r) => r.channel_id).length} incidents with a channel; two channels for one incident: ${numbers.length - new Set(numbers).size}${
        numbers.length > new Set(numbers).size
          ? ` (${incidentChannels
              .filter((c) => numbers.filter((n) => n === c.name.split('-')[1]).length > 1)
              .map(
                (c) =>
                  `#${c.name} ${c.id}, ${fake.messages(c.id).length} messages, ${incidentRows.some((r) => r.channel_id === c.id) ? 'the incident’s' : 'not the incident’s'}`,
              )
              .join('; ')})`
          : ''
      }`,
    );
    console.log(
      `    alerts listed by name: ${listed.size} (a message lists up to 20, the rest by count), listed in two messages: ${listedTwice}`,
    );
    console.log(
      `  Slack calls: ${calls.length} during the storm (plus ${startupCalls} at start-up); the last one ${((lastCallAt - lastArrivedAt) / 1000).toFixed(1)} s after the last alert arrived`,
    );
    const limited = calls.filter((c) => c.status === 429).length;
    const failedCalls = calls.filter((c) => !c.ok && c.status !== 429);
    console.log(
      `  rate-limited (429) answers: ${limited}; the fake does not enforce Slack's limits (429 only when injected), so the budget below is Slack's documented one. Other failed calls: ${failedCalls.length}${failedCalls.length ? ` (${[...new Set(failedCalls.map((c) => `${c.method} ${c.error ?? c.status}`))].join(', ')})` : ''}`,
    );

    // Per method: both replicas together, each replica, and the busiest minute against the tier.
    const tapped = taps.map((t) => t.calls.filter((c) => c.at >= startedAt));
    if (process.env.STORM_TRACE) {
      // Every storm call in order: seconds after the first alert, replica, method, channel. A tap
      // call is matched to the fake's record of it: same method, the first unmatched one after it.
      const trace = tapped
        .flatMap((t, i) => t.map((c) => ({ ...c, replica: 'AB'[i] })))
        .sort((x, y) => x.at - y.at);
      const matched = new Set<CallRecord>();
      for (const c of trace) {
        const rec = calls.find((f) => !matched.has(f) && f.method === c.method && f.at >= c.at - 5);
        if (rec) matched.add(rec);
        const ch = typeof rec?.params.channel === 'string' ? nameOf(rec.params.channel).slice(0, 40) : '';
        console.log(
          `    ${pad(((c.at - startedAt) / 1000).toFixed(2), 6)} s  ${c.replica}  ${padEnd(c.method, 24)} ${ch}`,
        );
      }
    }
    const methods = [...new Set(calls.map((c) => c.method))].sort();
    console.log(
      `  ${padEnd('method', 24)} ${pad('replica A', 9)} ${pad('replica B', 9)} ${pad('total', 6)} ${pad('busiest 60 s', 12)} ${pad('busiest 1 s', 11)}  Slack's limit`,
    );
    const over: string[] = [];
    for (const method of methods) {
      const at = calls
        .filter((c) => c.method === method)
        .map((c) => c.at)
        .sort((x, y) => x - y);
      const perReplica = tapped.map((t) => t.filter((c) => c.method === method).length);
      const busiest = peak(at, 60_000);
      const limit = SLACK_PER_MINUTE[method];
      let verdict: string;
      if (method === 'chat.postMessage') {
        verdict = `${POSTS_PER_SECOND_PER_CHANNEL}/s per channel (below); several hundred/min per workspace`;
      } else if (!limit) {
        verdict = 'not known to this bench';
      } else {
        const blown = busiest > limit.perMinute;
        if (blown) over.push(`${method} ${busiest} in a minute (${limit.tier}: ${limit.perMinute}+/min)`);
        verdict = `${limit.tier}: ${limit.perMinute}+/min${blown ? `  OVER by ${busiest - limit.perMinute}` : ''}`;
      }
      console.log(
        `  ${padEnd(method, 24)} ${pad(perReplica[0]!, 9)} ${pad(perReplica[1]!, 9)} ${pad(at.length, 6)} ${pad(busiest, 12)} ${pad(peak(at, 1000), 11)}  ${verdict}`,
      );
    }

    // chat.postMessage per channel: Slack allows about one a second, with short bursts.
    const postsByChannel = new Map<string, number[]>();
    const updatesByChannel = new Map<string, number>();
    for (const c of calls) {
      const ch = typeof c.params.channel === 'string' ? c.params.channel : '?';
      if (c.method === 'chat.postMessage') postsByChannel.set(ch, [...(postsByChannel.get(ch) ?? []), c.at]);
      if (c.method === 'chat.update') updatesByChannel.set(ch, (updatesByChannel.get(ch) ?? 0) + 1);
    }
    console.log(
      `  chat.postMessage per channel (Slack: about ${POSTS_PER_SECOND_PER_CHANNEL}/s per channel, short bursts allowed):`,
    );
    console.log(
      `    ${padEnd('channel', 44)} ${pad('posts', 5)} ${pad('over s', 6)} ${pad('busiest 1 s', 11)} ${pad('busiest 10 s', 12)} ${pad('busiest 60 s', 12)} ${pad('updates', 7)}`,
    );
    const sustained: string[] = [];
    for (const [ch, at] of [...postsByChannel].sort((x, y) => y[1].length - x[1].length)) {
      at.sort((x, y) => x - y);
      const span = (at.at(-1)! - at[0]!) / 1000;
      const p10 = peak(at, 10_000);
      const p60 = peak(at, 60_000);
      // Sustained: more than one a second averaged over any 10 s (Slack tolerates a short burst).
      if (p10 > 10 * POSTS_PER_SECOND_PER_CHANNEL) sustained.push(`${nameOf(ch)} ${p10} posts in 10 s`);
      console.log(
        `    ${padEnd(nameOf(ch).slice(0, 44), 44)} ${pad(at.length, 5)} ${pad(span.toFixed(1), 6)} ${pad(peak(at, 1000), 11)} ${pad(p10, 12)} ${pad(p60, 12)} ${pad(updatesByChannel.get(ch) ?? 0, 7)}`,
      );
    }
    console.log(
      `  over budget: ${over.length ? over.join('; ') : 'no method above its tier in any minute'}; ${sustained.length ? `channels above 1 post/s sustained: ${sustained.join('; ')}` : 'no channel above 1 post/s sustained (any 10 s window)'}`,
    );
    for (const [i, bot] of bots.entries()) {
      const p = problems(bot);
      console.log(
        `  replica ${'AB'[i]} logged ${[...p.values()].reduce((s, n) => s + n, 0)} warnings/errors${p.size ? `: ${[...p].map(([m, n]) => `${n}× ${m}`).join('; ')}` : ''}`,
      );
    }
  } finally {
    for (const [i, bot] of bots.entries()) {
      if (bot.child.exitCode !== null || bot.child.signalCode !== null) {
        console.log(
          `replica ${'AB'[i]} exited early (${bot.child.exitCode ?? bot.child.signalCode}); its last lines:\n${bot.output.slice(-15).join('\n')}`,
        );
      }
    }
    for (const bot of bots) await bot.stop();
    for (const tap of taps) await tap.close();
    await fake.close();
    tmp.remove();
    await drop();
  }
}

await main();
