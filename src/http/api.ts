import { z } from 'zod';
import type { Action, Incident, RoleAssignment, TimelineEntry } from '../core/index.ts';
import { BotError, describeIssue, STATUSES } from '../core/index.ts';
import type { Store } from '../store/port.ts';
import { type Router, sendJson } from './router.ts';

const listQuery = z.object({
  status: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum(STATUSES)))
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

function incidentJson(i: Incident) {
  return { ...i, ref: `INC-${i.number}` };
}

export interface IncidentDetail {
  readonly incident: ReturnType<typeof incidentJson>;
  readonly roles: readonly RoleAssignment[];
  readonly timeline: readonly TimelineEntry[];
  readonly actions: readonly Action[];
}

/** Read-only JSON: what a dashboard, a script or a test needs. Dates are ISO-8601 UTC. */
export function registerApi(
  router: Router,
  deps: { readonly store: Store; readonly ready?: () => boolean },
): void {
  // Liveness: the process answers. A load balancer or Kubernetes restarts it when this fails.
  router.on('GET', '/healthz', async (_req, res) => {
    sendJson(res, 200, { status: 'ok' });
  });

  // Readiness: the store answers and the chat platforms have started; route traffic only then.
  router.on('GET', '/readyz', async (_req, res) => {
    const store = await deps.store.ping().then(
      () => 'ok',
      (err: unknown) => `failing: ${err instanceof Error ? err.message : String(err)}`,
    );
    const platforms = deps.ready?.() === false ? 'starting' : 'ok';
    const ready = store === 'ok' && platforms === 'ok';
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks: { store, platforms } });
  });

  router.on('GET', '/api/incidents', async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = listQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!q.success) {
      const issue = q.error.issues[0]!;
      throw new BotError('bot.http.bad_query', describeIssue(issue, String(issue.path[0] ?? 'the query')), {
        hint: `status takes a comma-separated list of ${STATUSES.join(', ')}; limit 1-1000.`,
      });
    }
    const incidents = await deps.store.listIncidents({
      ...(q.data.status ? { statuses: q.data.status } : {}),
      limit: q.data.limit,
    });
    sendJson(res, 200, { incidents: incidents.map(incidentJson) });
  });

  router.on('GET', '/api/incidents/:id', async (_req, res, params) => {
    const incident = await findIncident(deps.store, params.id ?? '');
    const [roles, timeline, actions] = await Promise.all([
      deps.store.listRoles(incident.id),
      deps.store.listTimeline(incident.id),
      deps.store.listActions(incident.id),
    ]);
    const body: IncidentDetail = { incident: incidentJson(incident), roles, timeline, actions };
    sendJson(res, 200, body);
  });

  /** The post-mortem draft as Markdown (`?format=json`: with how it was made). */
  router.on('GET', '/api/incidents/:id/postmortem', async (req, res, params) => {
    const incident = await findIncident(deps.store, params.id ?? '');
    const postmortem = await deps.store.getPostmortem(incident.id);
    if (!postmortem) {
      throw new BotError('bot.postmortem.not_found', `INC-${incident.number} has no post-mortem draft yet.`, {
        hint: 'Run /incident postmortem in its channel (it is also drafted when the incident is resolved).',
      });
    }
    if (new URL(req.url ?? '/', 'http://localhost').searchParams.get('format') === 'json') {
      sendJson(res, 200, { postmortem });
      return;
    }
    const body = Buffer.from(postmortem.markdown, 'utf8');
    res.writeHead(200, {
      'content-type': 'text/markdown; charset=utf-8',
      'content-length': body.length,
      'content-disposition': `inline; filename="INC-${incident.number}-postmortem.md"`,
      'cache-control': 'no-store',
    });
    res.end(body);
  });
}

/** By id, or by number (`12`, `INC-12`). */
async function findIncident(store: Store, id: string): Promise<Incident> {
  const byNumber = /^(?:inc-)?(\d+)$/i.exec(id);
  const incident = byNumber
    ? await store.getIncidentByNumber(Number(byNumber[1]))
    : await store.getIncident(id);
  if (!incident) throw new BotError('bot.incident.not_found', `There is no incident ${id}.`);
  return incident;
}
