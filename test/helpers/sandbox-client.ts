import { randomUUID } from 'node:crypto';

/** A person using the sandbox through its JSON API, as the page does. */
export class SandboxClient {
  constructor(
    readonly baseUrl: string,
    readonly user: string,
    private readonly token?: string,
  ) {}

  as(user: string): SandboxClient {
    return new SandboxClient(this.baseUrl, user, this.token);
  }

  async request<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async channels(): Promise<any[]> {
    const r = await this.request('GET', `/sandbox/api/workspace?user=${this.user}`);
    return r.body.channels;
  }

  async channel(name: string): Promise<any> {
    const c = (await this.channels()).find((x) => x.name === name);
    if (!c)
      throw new Error(`no channel #${name}; have ${(await this.channels()).map((x) => x.name).join(', ')}`);
    return c;
  }

  async messages(channelId: string): Promise<any[]> {
    const r = await this.request('GET', `/sandbox/api/channels/${channelId}/messages?user=${this.user}`);
    if (r.status !== 200) throw new Error(`messages: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.messages;
  }

  /** Types into the composer: a chat message, or a slash command. Returns the bot's reply, if any. */
  async send(channelId: string, text: string, eventId: string = randomUUID()): Promise<any> {
    const r = await this.request('POST', '/sandbox/api/send', { user: this.user, channelId, text, eventId });
    if (r.status !== 200) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async click(
    channelId: string,
    messageId: string,
    buttonId: string,
    eventId: string = randomUUID(),
  ): Promise<any> {
    const r = await this.request('POST', '/sandbox/api/click', {
      user: this.user,
      channelId,
      messageId,
      buttonId,
      eventId,
    });
    return r.body;
  }

  /**
   * `/incident declare <args>` typed in #general: the new incident's number, its channel (as this
   * person sees it) and the reply. Each test declares its own, so none depends on another's.
   */
  async declare(args: string): Promise<{ number: number; channel: any; reply: any }> {
    const reply = await this.send((await this.channel('general')).id, `/incident declare ${args}`);
    const m = /INC-(\d+) declared .*→ #(\S+)/.exec(replyText(reply));
    if (!m) throw new Error(`declare ${args}: ${replyText(reply)}`);
    return { number: Number(m[1]), channel: await this.channel(m[2]!), reply };
  }

  async incident(ref: string | number): Promise<any> {
    const r = await this.request('GET', `/api/incidents/${ref}`);
    if (r.status !== 200) throw new Error(`incident ${ref}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

/** The text of a reply, with its sections, for assertions. */
export function replyText(reply: any): string {
  const m = reply?.reply?.message ?? reply?.message ?? reply;
  return [m?.header, m?.text, ...(m?.sections ?? []), ...(m?.context ?? [])].filter(Boolean).join('\n');
}
