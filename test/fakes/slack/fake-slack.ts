import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buttonsIn, type FakeButton } from './block-kit.ts';
import { FakeSlackChat, type FakeSlackChatOptions } from './chat-platform.ts';
import type { Fault } from './faults.ts';
import { type CallRecord, HttpRoutes } from './http-routes.ts';
import { PayloadBuilder } from './payloads.ts';
import { type DeliverOptions, type Delivery, Person } from './people.ts';
import type {
  FakeChannel,
  FakeEphemeral,
  FakeFile,
  FakeMessage,
  FakeResponseUrlPost,
  FakeView,
} from './records.ts';
import { type InboundKind, type PostSignedOptions, postSigned, type SignedResponse } from './signing.ts';
import { snapshotChannel, snapshotMessage } from './snapshots.ts';
import {
  type EnvelopeType,
  type SendEnvelopeOptions,
  type SocketAck,
  SocketModeServer,
} from './socket-mode.ts';
import type { FakeUser, FakeUserGroup, NewUser, NewUserGroup } from './users.ts';
import { DEFAULT_TRIGGER_TTL_MS, Workspace } from './workspace.ts';

export type { CallRecord } from './http-routes.ts';

export interface FakeSlackOptions {
  /** Signs postSigned requests (default `fake-signing-secret`). */
  readonly signingSecret?: string;
  /** Added to every Web API call (benchmarks); can be changed later through `latencyMs`. */
  readonly latencyMs?: number;
  readonly botToken?: string;
  readonly appToken?: string;
  /** How long sendEnvelope waits for an ack. Slack's deadline is 3 s, the default. */
  readonly ackTimeoutMs?: number;
  /** Server pings on Socket Mode connections; 0 turns them off. Default 5000. */
  readonly pingIntervalMs?: number;
  /** trigger_id lifetime for views.open; Slack's is 3 s, the default. */
  readonly triggerTtlMs?: number;
  /** The largest file files.getUploadURLExternal takes; Slack's 1 GB (upload-limits.ts), the default. */
  readonly maxUploadBytes?: number;
}

/**
 * A fake Slack on 127.0.0.1 that the real WebClient, SocketModeClient and Bolt app talk to over
 * HTTP and WebSocket. Start one with `startFakeSlack()` (see index.ts for the tour).
 */
export class FakeSlack {
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  readonly teamId = 'T0FAKETEAM';
  readonly appId = 'A0FAKEAPP';
  readonly botUserId = 'U0BOT';
  readonly botId = 'B0BOT';
  /** Builders for Slack's payloads (events, commands, clicks, submissions). */
  readonly build: PayloadBuilder;
  /** How long deliver() and sendEnvelope() wait for the app's answer (Slack's 3 s by default). */
  readonly ackTimeoutMs: number;

  private readonly ws: Workspace;
  private readonly socket: SocketModeServer;
  private readonly http: HttpRoutes;
  private readonly server: Server;
  private inbound: { mode: 'socket' } | { mode: 'http'; url: string } = { mode: 'socket' };
  private port = 0;

  constructor(options: FakeSlackOptions = {}) {
    this.botToken = options.botToken ?? 'xoxb-0000000000-fake-bot-token';
    this.appToken = options.appToken ?? 'xapp-1-A0FAKEAPP-0000-fake-app-token';
    this.signingSecret = options.signingSecret ?? 'fake-signing-secret';
    this.ackTimeoutMs = options.ackTimeoutMs ?? 3000;
    this.ws = new Workspace(
      {
        teamId: this.teamId,
        teamDomain: 'fake-workspace',
        appId: this.appId,
        botUserId: this.botUserId,
        botId: this.botId,
        botName: 'incident-bot',
      },
      options.triggerTtlMs ?? DEFAULT_TRIGGER_TTL_MS,
      options.maxUploadBytes,
    );
    this.build = new PayloadBuilder(this.ws, () => this.origin);
    this.socket = new SocketModeServer(this.ws.ids, {
      appId: this.appId,
      ackTimeoutMs: this.ackTimeoutMs,
      pingIntervalMs: options.pingIntervalMs ?? 5000,
    });
    this.http = new HttpRoutes({
      ws: this.ws,
      botToken: this.botToken,
      appToken: this.appToken,
      origin: () => this.origin,
      openSocketUrl: () => this.socket.issueUrl(this.origin),
    });
    this.http.latencyMs = options.latencyMs ?? 0;
    this.server = createServer((req, res) => {
      this.http.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake slack: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.socket.handleUpgrade(req, socket, head));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Milliseconds added to every Web API call (e.g. 50 for the declare benchmark). */
  get latencyMs(): number {
    return this.http.latencyMs;
  }

  set latencyMs(ms: number) {
    this.http.latencyMs = ms;
  }

  /** `http://127.0.0.1:<port>` */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The Web API base URL: WebClient's `slackApiUrl`, the bot's SLACK_API_URL. Ends in `/api/`. */
  get url(): string {
    return `${this.origin}/api/`;
  }

  async close(): Promise<void> {
    await this.socket.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- HTTP

  // ---------------------------------------------------------------- setup

  addUser(user: NewUser): FakeUser {
    return this.ws.addUser(user);
  }

  addUserGroup(group: NewUserGroup): FakeUserGroup {
    return this.ws.addUserGroup(group);
  }

  /** Adds a channel as if someone had made it earlier (no name rules, no Web API call). */
  addChannel(input: {
    name: string;
    private?: boolean;
    archived?: boolean;
    topic?: string;
    members?: readonly string[];
  }): FakeChannel {
    if (this.ws.findChannel(input.name)) throw new Error(`fake slack: #${input.name} exists`);
    return snapshotChannel(this.ws.seedChannel(input));
  }

  // ---------------------------------------------------------------- faults

  /** Answers the next `times` calls of `method` (`'*'`: any) with a fault. See faults.ts. */
  failNext(method: string, fault: Fault, { times = 1 }: { times?: number } = {}): void {
    this.http.faults.add(method, fault, times);
  }

  clearFaults(): void {
    this.http.faults.clear();
  }

  /**
   * Calls `fn` with each Web API call's method as it arrives, before it takes effect; `'drop'`
   * drops that call unapplied and unanswered (the bot died before Slack took it). Unset: undefined.
   */
  onCall(fn: ((method: string) => Promise<'drop' | undefined> | 'drop' | undefined) | undefined): void {
    this.http.onCall = fn;
  }

  // ---------------------------------------------------------------- inspection

  calls(method?: string): CallRecord[] {
    return this.http.calls.filter((c) => method === undefined || c.method === method);
  }

  user(id: string): FakeUser | undefined {
    return this.ws.users.get(id);
  }

  users(): FakeUser[] {
    return [...this.ws.users.values()];
  }

  /** By id or name. */
  channel(idOrName: string): FakeChannel | undefined {
    const c = this.ws.findChannel(idOrName);
    return c ? snapshotChannel(c) : undefined;
  }

  channels(): FakeChannel[] {
    return [...this.ws.channels.values()].map(snapshotChannel);
  }

  /**
   * A channel's messages in ts order, thread replies included. Deleted messages and Slack's own
   * notices (`channel_join`, `channel_topic`, …) are left out unless asked for.
   */
  messages(channel: string, opts: { includeDeleted?: boolean; includeSystem?: boolean } = {}): FakeMessage[] {
    const c = this.ws.findChannel(channel);
    if (!c) return [];
    return this.ws
      .channelMessages(c.id)
      .filter(
        (m) =>
          (opts.includeDeleted || m.deletedAt === undefined) && (opts.includeSystem || m.origin !== 'system'),
      )
      .map(snapshotMessage);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    const c = this.ws.findChannel(channel);
    const m = c && this.ws.messages.get(c.id)?.find((x) => x.ts === ts);
    return m ? snapshotMessage(m) : undefined;
  }

  /** The buttons on a message, in order. */
  buttons(channel: string, ts: string): FakeButton[] {
    return buttonsIn(this.message(channel, ts)?.blocks);
  }

  ephemerals(filter: { channel?: string; user?: string } = {}): FakeEphemeral[] {
    const channelId = filter.channel === undefined ? undefined : this.ws.findChannel(filter.channel)?.id;
    return this.ws.ephemerals
      .filter(
        (e) =>
          (filter.channel === undefined || e.channel === channelId) &&
          (!filter.user || e.user === filter.user),
      )
      .map((e) => structuredClone(e));
  }

  views(): FakeView[] {
    return [...this.ws.views.values()].map((v) =>
      structuredClone({
        id: v.id,
        userId: v.userId,
        type: String(v.view.type ?? 'modal'),
        callbackId: String(v.view.callback_id ?? ''),
        privateMetadata: String(v.view.private_metadata ?? ''),
        externalId: v.externalId,
        hash: v.hash,
        view: v.view,
        history: v.history.map((h) => h.view),
        submittedValues: v.submittedValues,
        lastAck: v.lastAck,
      }),
    );
  }

  files(): FakeFile[] {
    return [...this.ws.files.values()].map((f) => ({
      id: f.id,
      filename: f.filename,
      title: f.title,
      length: f.length,
      uploaded: f.content !== undefined,
      completed: f.completed,
      content: f.content?.toString('utf8'),
      bytes: f.content ? Buffer.from(f.content) : undefined,
      channel: f.channel,
      initialComment: f.initialComment,
      threadTs: f.threadTs,
    }));
  }

  responseUrlPosts(): FakeResponseUrlPost[] {
    return [...this.ws.responseUrls.values()].flatMap((r) =>
      r.posts.map((p) => ({
        url: `${this.origin}/${r.kind === 'command' ? 'commands' : 'actions'}/${this.teamId}/${r.id}`,
        kind: r.kind,
        channel: r.channel,
        user: r.user,
        body: structuredClone(p.body),
        at: p.at,
        status: p.status,
      })),
    );
  }

  // ---------------------------------------------------------------- inbound

  /** Inbound payloads go over Socket Mode (the default). */
  useSocketMode(): void {
    this.inbound = { mode: 'socket' };
  }

  /** Inbound payloads go as signed HTTP requests to the app's Request URL (`…/slack/events`). */
  useHttp(url: string): void {
    this.inbound = { mode: 'http', url };
  }

  /** Open Socket Mode connections. */
  get socketConnections(): number {
    return this.socket.connected;
  }

  /** Socket Mode connections accepted so far, reconnects included. */
  get socketConnectionCount(): number {
    return this.socket.connectionCount;
  }

  waitForConnection(timeoutMs?: number): Promise<void> {
    return this.socket.waitForConnection(timeoutMs);
  }

  /** Sends one Socket Mode envelope and resolves with the app's ack (rejects after the ack timeout). */
  sendEnvelope(type: EnvelopeType, payload: unknown, opts?: SendEnvelopeOptions): Promise<SocketAck> {
    return this.socket.send(type, payload, opts);
  }

  /** Envelopes sent and acks received, for assertions. */
  get envelopes() {
    return this.socket.sent;
  }

  get acks() {
    return this.socket.acks;
  }

  /** Slack's `disconnect` message: the client reconnects through apps.connections.open. */
  requestReconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    this.socket.requestDisconnect(reason);
  }

  /** Cuts Socket Mode connections without a close handshake. */
  dropConnections(): void {
    this.socket.drop();
  }

  /** Posts what Slack posts to an app's Request URL, signed with the signing secret. */
  postSigned(
    targetUrl: string,
    kind: InboundKind,
    payload: unknown,
    opts?: PostSignedOptions,
  ): Promise<SignedResponse> {
    return postSigned(this.signingSecret, targetUrl, kind, payload, opts);
  }

  /** Sends a payload the current inbound way (Socket Mode or signed HTTP) and reports the answer. */
  async deliver(kind: InboundKind, payload: unknown, opts: DeliverOptions = {}): Promise<Delivery> {
    const started = performance.now();
    if (this.inbound.mode === 'http') {
      const url = this.inbound.url;
      const timeoutMs = opts.ackTimeoutMs ?? this.ackTimeoutMs;
      const r = await this.postSigned(url, kind, payload, {
        ...(opts.retryAttempt !== undefined ? { retryNum: opts.retryAttempt } : {}),
        ...(opts.retryReason !== undefined ? { retryReason: opts.retryReason } : {}),
        ...(opts.forgeSignature ? { forgeSignature: true } : {}),
        ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
        timeoutMs,
      }).catch((err: unknown) => {
        if (err instanceof Error && err.name === 'TimeoutError') {
          throw new Error(`fake slack: ${url} did not answer the ${kind} within ${timeoutMs} ms`);
        }
        throw err;
      });
      return { transport: 'http', status: r.status, response: r.json, body: r.body, ms: r.ms };
    }
    const type: EnvelopeType =
      kind === 'event' ? 'events_api' : kind === 'command' ? 'slash_commands' : 'interactive';
    const ack = await this.socket.send(type, payload, {
      ...(opts.retryAttempt !== undefined ? { retryAttempt: opts.retryAttempt } : {}),
      ...(opts.retryReason !== undefined ? { retryReason: opts.retryReason } : {}),
      ...(opts.ackTimeoutMs !== undefined ? { ackTimeoutMs: opts.ackTimeoutMs } : {}),
    });
    const response =
      ack.payload && typeof ack.payload === 'object' && Object.keys(ack.payload).length === 0
        ? undefined
        : ack.payload;
    return {
      transport: 'socket',
      status: 200,
      response,
      body: JSON.stringify(ack.payload ?? {}),
      ms: performance.now() - started,
      envelopeId: ack.envelope_id,
    };
  }

  /**
   * Sends an earlier payload again, as Slack's retries do: same body (same event_id), with
   * `retry_attempt` / `X-Slack-Retry-Num` set.
   */
  redeliver(
    previous: { kind: InboundKind; payload: unknown },
    opts: DeliverOptions = { retryAttempt: 1, retryReason: 'timeout' },
  ): Promise<Delivery> {
    return this.deliver(previous.kind, previous.payload, opts);
  }

  /** A person of the workspace (U0ALICE, U0BOB, U0CAROL, or one added with addUser). */
  as(userId: string): Person {
    if (!this.ws.users.has(userId)) throw new Error(`fake slack: no user ${userId}`);
    return new Person(
      { ws: this.ws, build: this.build, deliver: (k, p, o) => this.deliver(k, p, o) },
      userId,
    );
  }

  /** The ChatPlatform port implemented directly over this fake's state (for the contract suite). */
  asChatPlatform(options: FakeSlackChatOptions = {}): FakeSlackChat {
    return new FakeSlackChat(this.ws, () => this.origin, options);
  }
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  return new FakeSlack(options).listen();
}
